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
#include "engine/chart_engine.h"
#include "engine/chart_set.h"
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
// Thread-safety: every method may be called from any thread; they serialize on an internal
// mutex (Poll holds it while computing, so a concurrent Apply waits). The returned ChartSets
// are immutable and independent of later calls.
class Publisher {
 public:
  // `engine` and `clock` must outlive the Publisher; the engine must be used only through
  // this Publisher from now on.
  Publisher(ChartEngine* engine, const Clock* clock, PublisherOptions options = {});

  // Feeds a stored batch into the engine.
  void Apply(const Batch& batch);

  struct Publication {
    std::shared_ptr<const ChartSet> charts;          // never null
    std::vector<store::EditionRecord> new_editions;  // history to persist
  };
  // Publishes when the latest closed day is newer than the last published one, or the
  // engine's data changed since; nullopt otherwise.
  std::optional<Publication> Poll();

  // The latest closed day by the clock and options.
  Day ClosedDay() const;

 private:
  ChartEngine* engine_;
  const Clock* clock_;
  PublisherOptions options_;
  std::mutex mutex_;
  std::optional<Day> published_day_;
  uint64_t published_version_ = 0;
};

}  // namespace soundtrend::engine
