// soundtrend: a self-hosted trending-music service. See README.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/logging.h"
#include "common/version.h"

namespace {

// Overwrites the value of --admin-token in the process's own argv (what ps and /proc show)
// once it has been copied: it only narrows the window between exec and this call, so the
// flag still warns (serve_command.cc).
void HideAdminToken(int argc, char** argv) {
  static constexpr std::string_view kFlag = "--admin-token";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == kFlag && i + 1 < argc) {
      std::memset(argv[i + 1], 'x', std::strlen(argv[i + 1]));
    } else if (arg.size() > kFlag.size() + 1 &&
               arg.substr(0, kFlag.size() + 1) == "--admin-token=") {
      std::memset(argv[i] + kFlag.size() + 1, 'x', arg.size() - kFlag.size() - 1);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace app_ns = soundtrend::app;
  CLI::App app{"soundtrend: trending-music charts and the API that serves them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "soundtrend " + std::string(soundtrend::kVersion));
  // A configuration file (TOML): global options at the top, a subcommand's in its section
  // ([serve], [keys.create], ...), same names as the flags without the dashes. Flags given
  // on the command line win over the file, the file over the environment. An unknown
  // setting is an error (exit 2), as an unknown flag is.
  app.set_config("--config", "", "Read options from this TOML file (see deploy/soundtrend.toml)")
      ->envname("SOUNDTREND_CONFIG");
  app.allow_config_extras(false);
  app.footer(
      "Exit codes: 0 done (also: nothing to change, e.g. a grant or batch applied before); 1 "
      "refused or failed (no database at --db, unknown key, invalid input file, nothing "
      "applied by ingest, storage error); 2 usage error (unknown or malformed flag, setting "
      "or value, --config problem). Options may come from --config FILE (TOML): flags win "
      "over the file, the file over the environment.");
  app_ns::GlobalOptions global;
  app.add_option("--db", global.db_path, "SQLite database file")
      ->envname("SOUNDTREND_DB")
      ->capture_default_str();
  std::vector<std::string> levels(std::begin(app_ns::kLogLevels), std::end(app_ns::kLogLevels));
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error, critical, off")
      ->envname("SOUNDTREND_LOG_LEVEL")
      ->check(CLI::IsMember(levels))
      ->capture_default_str();
  std::vector<std::string> formats(std::begin(app_ns::kLogFormats), std::end(app_ns::kLogFormats));
  app.add_option("--log-format", global.log_format,
                 "serve's logs: text, or json (one object per line, with the request's query "
                 "string and client address)")
      ->envname("SOUNDTREND_LOG_FORMAT")
      ->check(CLI::IsMember(formats))
      ->capture_default_str();
  app.add_option("--log-file", global.log_file,
                 "serve's logs go to this file (reopened on SIGUSR1, for logrotate) instead of "
                 "stderr")
      ->envname("SOUNDTREND_LOG_FILE");

  soundtrend::app::AddServeCommand(app, global);
  soundtrend::app::AddIngestCommand(app, global);
  soundtrend::app::AddBuildCommand(app, global);
  soundtrend::app::AddDemoCommand(app, global);
  soundtrend::app::AddKeysCommands(app, global);
  soundtrend::app::AddBackupCommand(app, global);
  soundtrend::app::AddMigrateCommand(app, global);

  // CLI contract: usage errors exit 2 (not CLI11's own codes, e.g. 106 or 109); --help and
  // --version exit 0; a command's own outcome travels as CLI::RuntimeError(code).
  try {
    app.name(argc > 0 ? argv[0] : "soundtrend");
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    HideAdminToken(argc, argv);
    app.parse(args);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ConfigError& e) {
    // "INI was not able to parse serve.prot": an unknown or malformed setting in --config.
    std::cerr << "soundtrend: --config: " << e.what() << " (unknown setting or bad value)\n";
    return 2;
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage hint on stderr
    return 2;
  }
  return 0;
}
