// soundtrend: a self-hosted trending-music service. See README.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "app/commands.h"

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
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage hint on stderr
    return 2;
  }
  return 0;
}
