// Subcommands of the `soundtrend` binary. Each Add*Command registers one or more
// subcommands on `app` with their options and callback. A callback that fails throws
// CLI::RuntimeError(exit_code) after printing a clear message on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace soundtrend::app {

// Options every subcommand shares (before the subcommand on the command line, or at the top
// of the --config file).
struct GlobalOptions {
  std::string db_path = "data/soundtrend.db";  // --db, env SOUNDTREND_DB
  std::string log_level = "info";              // --log-level, env SOUNDTREND_LOG_LEVEL
  std::string log_format = "text";             // --log-format text|json
  std::string log_file;                        // --log-file; empty: stderr
};

void AddServeCommand(CLI::App& app, GlobalOptions& global);    // serve
void AddIngestCommand(CLI::App& app, GlobalOptions& global);   // ingest
void AddBuildCommand(CLI::App& app, GlobalOptions& global);    // build
void AddDemoCommand(CLI::App& app, GlobalOptions& global);     // demo
void AddKeysCommands(CLI::App& app, GlobalOptions& global);    // keys, credits, ledger
void AddBackupCommand(CLI::App& app, GlobalOptions& global);   // backup
void AddMigrateCommand(CLI::App& app, GlobalOptions& global);  // migrate

}  // namespace soundtrend::app
