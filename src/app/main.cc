// soundtrend: a self-hosted trending-music service. See README.md.
#include <CLI/CLI.hpp>

#include "app/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"soundtrend: trending-music charts and the API that serves them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "soundtrend 0.1.0");
  soundtrend::app::GlobalOptions global;
  app.add_option("--db", global.db_path, "SQLite database file")
      ->envname("SOUNDTREND_DB")
      ->capture_default_str();
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error")
      ->envname("SOUNDTREND_LOG_LEVEL")
      ->capture_default_str();

  soundtrend::app::AddServeCommand(app, global);
  soundtrend::app::AddIngestCommand(app, global);
  soundtrend::app::AddBuildCommand(app, global);
  soundtrend::app::AddDemoCommand(app, global);
  soundtrend::app::AddKeysCommands(app, global);

  CLI11_PARSE(app, argc, argv);
  return 0;
}
