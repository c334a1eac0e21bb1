// Loading a ChartEngine from a ChartStore, and keeping it up to date with the batches any
// process or node stores afterwards (docs/api.md §4 "Late data and corrections"): the store's
// batch sequence is the watermark; what batches after it changed is read back whole
// (store::ChartStore::ReadChanges) and replaces the engine's days, which recomputes exactly
// the editions those days affect at the next publication.
#pragma once

#include <cstdint>
#include <optional>

#include "common/day.h"
#include "common/status.h"
#include "engine/chart_engine.h"
#include "store/chart_store.h"

namespace soundtrend::engine {

struct LoadSummary {
  int64_t seq = 0;  // the watermark: every batch up to it is in the engine
  int64_t editions_loaded = 0;
  // Saved editions whose data changed after they were computed (late data stored by a
  // process that did not recompute them).
  InvalidationStats stale;
};

// Loads everything `store` holds into a new `engine`: catalog, daily uses, videos and the
// saved editions, drops the editions batches after their data_seq affect, and sets the
// engine's data_seq to the returned watermark.
Result<LoadSummary> LoadEngine(store::ChartStore& store, ChartEngine& engine);

struct SyncSummary {
  int64_t from_seq = 0;
  int64_t to_seq = 0;     // the new watermark (== from_seq: nothing new)
  int64_t sounds = 0;     // sound records read
  int64_t cell_days = 0;  // (region, day) daily uses replaced
  int64_t video_days = 0;
  std::optional<Day> first_day, last_day;  // of the replaced daily uses
};

// Applies to `engine` what batches after `after_seq` changed in `store`, and sets the
// engine's data_seq to the new watermark.
Result<SyncSummary> SyncEngine(store::ChartStore& store, ChartEngine& engine, int64_t after_seq);

}  // namespace soundtrend::engine
