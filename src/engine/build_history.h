// `soundtrend build`: load a chart store into a ChartEngine, compute the chart history
// (the top 100 of every region x period) of every day through an as-of day, and save the
// editions that are new. The CLI (app/build_command.cc) only parses options and prints.
//
// Rules:
// - No usage data in the store: nothing is computed or saved (`no_data` is set).
// - As-of default: the latest closed day (engine::LatestClosedDay with the lateness
//   allowance), clamped to the last day with usage data (editions after it would only
//   repeat the data's tail).
// - An explicit as-of after the latest closed day is refused (kInvalidArgument): saved
//   history is final (the engine keeps published editions as they are), so it must not be
//   computed from a day whose data may still arrive.
// - Every edition from the first day with data through the as-of day that the store has
//   no record of is computed; a saved edition whose data changed after it was computed
//   (a batch stored since, e.g. late data ingested by the CLI or another node, see
//   store_sync.h) is computed again: the saved history always equals a computation from
//   scratch on the stored data. Running build twice saves nothing the second time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/day.h"
#include "common/status.h"
#include "engine/chart_engine.h"
#include "store/chart_store.h"

namespace soundtrend::engine {

struct BuildOptions {
  std::optional<Day> as_of;             // nullopt: the default above
  int64_t lateness_seconds = 2 * 3600;  // >= 0
};

struct BuildSummary {
  bool no_data = false;        // the store has no usage data; nothing else is set
  Day as_of = 0;               // the day built through
  bool as_of_clamped = false;  // default as-of lowered to the last day with data
  Day latest_closed_day = 0;
  int64_t seq = 0;            // the store's latest batch: the data the editions reflect
  int64_t days_computed = 0;  // days with editions computed for the first time in this run
  std::optional<Day> first_computed_day;
  int64_t editions_loaded = 0;  // saved editions read from the store
  InvalidationStats stale;      // saved editions whose data changed since (late data)
  HistoryStats history;         // editions computed and recomputed
  int64_t editions_saved = 0;   // new or recomputed editions written
  EngineStats stats;            // the engine after loading
  double load_seconds = 0, compute_seconds = 0, save_seconds = 0;
};

// Runs the build against `store` with time from `clock`.
Result<BuildSummary> BuildHistory(store::ChartStore& store, const BuildOptions& options,
                                  const Clock& clock);

// Human-readable summary (several lines, each ending in '\n').
std::string FormatBuildSummary(const BuildSummary& summary);

}  // namespace soundtrend::engine
