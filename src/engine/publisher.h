// When a day's charts are published, and a small driver that publishes them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "common/day.h"
#include "common/records.h"
#include "common/status.h"
#include "engine/chart_engine.h"
#include "engine/chart_set.h"
#include "engine/store_sync.h"
#include "store/chart_store.h"

namespace soundtrend::engine {

// The latest closed day at `now_micros` (unix microseconds, UTC): a day D is closed once
// `lateness_seconds` have passed after its end (00:00 UTC of D+1), i.e. its data is
// taken as complete then. Pure. Requires lateness_seconds >= 0.
Day LatestClosedDay(int64_t now_micros, int64_t lateness_seconds);

struct PublisherOptions {
  int64_t lateness_seconds = 2 * 3600;  // data of day D may arrive until D+1 02:00 UTC
};

// Drives a ChartEngine for a server: feeds it data and, when polled, publishes the charts
// of the latest closed day if that day changed or data arrived since the last publication.
//
// With a store, every Poll first reads what batches stored after the watermark changed
// (store_sync.h): an ingest by this process, by the CLI or by another node reaches the
// engine without a signal, and the editions it affects are recomputed by that Poll's
// publication (docs/api.md §4 "Late data and corrections"). Without a store, data comes through
// Apply.
//
// Thread-safety: every method may be called from any thread; they serialize on an internal
// mutex (Poll holds it while reading the store and computing, so a concurrent Apply waits).
// The returned ChartSets are immutable and independent of later calls.
class Publisher {
 public:
  // `engine`, `clock` and `store` (optional) must outlive the Publisher; the engine must be
  // used only through this Publisher from now on. With a store, `watermark` is the batch seq
  // the engine already holds (LoadEngine's), and Apply must not be used.
  Publisher(ChartEngine* engine, const Clock* clock, PublisherOptions options = {},
            store::ChartStore* store = nullptr, int64_t watermark = 0);

  // Feeds a batch into the engine (no store only).
  void Apply(const Batch& batch);

  struct Publication {
    std::shared_ptr<const ChartSet> charts;          // never null
    std::vector<store::EditionRecord> new_editions;  // history to save
    SyncSummary sync;                                // what came from the store
    HistoryStats history;                            // editions computed and recomputed
  };
  // Reads the store's changes (with a store), then publishes when the latest closed day is
  // newer than the last published one, or the engine's data changed since; nullopt
  // otherwise. A store error is returned (nothing is published then).
  Result<std::optional<Publication>> Poll();

  // The latest closed day by the clock and options.
  Day ClosedDay() const;
  // The batch seq the engine holds (with a store).
  int64_t watermark() const;

 private:
  ChartEngine* engine_;
  const Clock* clock_;
  PublisherOptions options_;
  store::ChartStore* store_;
  mutable std::mutex mutex_;
  int64_t watermark_;
  std::optional<Day> published_day_;
  uint64_t published_version_ = 0;
};

}  // namespace soundtrend::engine
