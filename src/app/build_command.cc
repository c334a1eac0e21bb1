// `soundtrend build [--as-of YYYY-MM-DD] [--lateness-seconds N]`: computes and saves the
// chart history through a day (see engine/build_history.h for the rules).
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/commands.h"
#include "common/clock.h"
#include "common/day.h"
#include "engine/build_history.h"
#include "store/sqlite/sqlite_chart_store.h"

namespace soundtrend::app {
namespace {

struct BuildCommandOptions {
  std::string as_of;  // empty = the latest closed day, clamped to the data
  int64_t lateness_seconds = 7200;
};

void RunBuild(const GlobalOptions& global, const BuildCommandOptions& o) {
  engine::BuildOptions options;
  options.lateness_seconds = o.lateness_seconds;
  if (!o.as_of.empty()) {
    auto day = ParseDay(o.as_of);
    if (!day) {
      std::fprintf(stderr, "build: --as-of must be YYYY-MM-DD, got '%s'\n", o.as_of.c_str());
      throw CLI::RuntimeError(2);
    }
    options.as_of = *day;
  }
  const std::filesystem::path db(global.db_path);
  std::error_code ec;
  if (db.has_parent_path()) std::filesystem::create_directories(db.parent_path(), ec);
  auto store = store::OpenSqliteChartStore(global.db_path);
  if (!store.ok()) {
    std::fprintf(stderr, "build: cannot open %s: %s\n", global.db_path.c_str(),
                 store.status().ToString().c_str());
    throw CLI::RuntimeError(1);
  }
  auto summary = engine::BuildHistory(**store, options, SystemClock::Instance());
  if (!summary.ok()) {
    std::fprintf(stderr, "build: %s\n", summary.status().message().c_str());
    throw CLI::RuntimeError(summary.status().code() == Status::Code::kInvalidArgument ? 2 : 1);
  }
  std::fputs(engine::FormatBuildSummary(*summary).c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

void AddBuildCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<BuildCommandOptions>();
  auto* cmd = app.add_subcommand(
      "build", "Compute and save the chart history (every edition) through a closed day");
  cmd->add_option("--as-of", options->as_of,
                  "Last day to build, YYYY-MM-DD (default: the latest closed day, or the last "
                  "day with data if earlier)");
  cmd->add_option("--lateness-seconds", options->lateness_seconds,
                  "A day closes this long after its end (UTC)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([&global, options] { RunBuild(global, *options); });
}

}  // namespace soundtrend::app
