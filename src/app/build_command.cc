// `soundtrend build [--as-of YYYY-MM-DD] [--lateness-seconds N] [--json]`: computes and
// saves the chart history through a day (see engine/build_history.h for the rules). Refuses
// a database that does not exist. --json: the summary as one JSON object.
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/commands.h"
#include "app/database.h"
#include "app/stores.h"
#include "common/clock.h"
#include "common/day.h"
#include "common/json_writer.h"
#include "engine/build_history.h"

namespace soundtrend::app {
namespace {

struct BuildCommandOptions {
  std::string as_of;  // empty = the latest closed day, clamped to the data
  int64_t lateness_seconds = 7200;
  bool json = false;
};

std::string SummaryJson(const engine::BuildSummary& s) {
  auto day = [](std::string& out, std::optional<Day> d) {
    if (d) {
      json::AppendString(out, FormatDay(*d));
    } else {
      out += "null";
    }
  };
  std::string out = "{\"no_data\":";
  json::AppendBool(out, s.no_data);
  out += ",\"as_of\":";
  day(out, s.no_data ? std::nullopt : std::optional<Day>(s.as_of));
  out += ",\"as_of_clamped\":";
  json::AppendBool(out, s.as_of_clamped);
  out += ",\"latest_closed_day\":";
  day(out, s.no_data ? std::nullopt : std::optional<Day>(s.latest_closed_day));
  out += ",\"days_computed\":";
  json::AppendInt(out, s.days_computed);
  out += ",\"first_computed_day\":";
  day(out, s.first_computed_day);
  out += ",\"editions_loaded\":";
  json::AppendInt(out, s.editions_loaded);
  out += ",\"editions_saved\":";
  json::AppendInt(out, s.editions_saved);
  out += ",\"sounds\":";
  json::AppendInt(out, s.stats.sounds);
  out += ",\"cells\":";
  json::AppendInt(out, s.stats.cells);
  out += ",\"videos\":";
  json::AppendInt(out, s.stats.videos);
  char buf[128];
  std::snprintf(buf, sizeof buf,
                ",\"load_seconds\":%.3f,\"compute_seconds\":%.3f,\"save_seconds\":%.3f}",
                s.load_seconds, s.compute_seconds, s.save_seconds);
  out += buf;
  return out;
}

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
  const Result<DbCheck> check = CheckDatabase(global.db_path, DbAccess::kExisting);
  if (!check.ok()) {
    std::fprintf(stderr, "build: %s\n", check.status().message().c_str());
    throw CLI::RuntimeError(check.status().code() == Status::Code::kInvalidArgument ? 2 : 1);
  }
  auto store = OpenChartStore(global.db_path);
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
  if (o.json) {
    std::puts(SummaryJson(*summary).c_str());
  } else {
    std::fputs(engine::FormatBuildSummary(*summary).c_str(), stdout);
  }
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
  cmd->add_flag("--json", options->json, "Print the summary as one JSON object");
  cmd->callback([&global, options] { RunBuild(global, *options); });
}

}  // namespace soundtrend::app
