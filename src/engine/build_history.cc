#include "engine/build_history.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "engine/publisher.h"
#include "engine/store_sync.h"

namespace soundtrend::engine {

namespace {

double SecondsSince(const Clock& clock, int64_t start_nanos) {
  return static_cast<double>(clock.MonotonicNanos() - start_nanos) / 1e9;
}

}  // namespace

Result<BuildSummary> BuildHistory(store::ChartStore& store, const BuildOptions& options,
                                  const Clock& clock) {
  BuildSummary summary;
  summary.latest_closed_day = LatestClosedDay(clock.NowMicros(), options.lateness_seconds);
  if (options.as_of && *options.as_of > summary.latest_closed_day) {
    return Status::InvalidArgument("--as-of " + FormatDay(*options.as_of) +
                                   " is not a closed day yet (latest closed day: " +
                                   FormatDay(summary.latest_closed_day) + ")");
  }
  Result<std::optional<Day>> last = store.LatestUsageDay();
  if (!last.ok()) return last.status();
  if (!last->has_value()) {
    summary.no_data = true;
    return summary;
  }
  if (options.as_of) {
    summary.as_of = *options.as_of;
  } else {
    summary.as_of = std::min(summary.latest_closed_day, **last);
    summary.as_of_clamped = summary.as_of < summary.latest_closed_day;
  }

  ChartEngine engine;
  int64_t start = clock.MonotonicNanos();
  Result<LoadSummary> loaded = LoadEngine(store, engine);
  if (!loaded.ok()) return loaded.status();
  summary.seq = loaded->seq;
  summary.editions_loaded = loaded->editions_loaded;
  summary.stale = loaded->stale;
  summary.stats = engine.Stats();
  summary.load_seconds = SecondsSince(clock, start);

  start = clock.MonotonicNanos();
  std::vector<store::EditionRecord> records =
      engine.ComputeHistoryThrough(summary.as_of, &summary.history);
  summary.compute_seconds = SecondsSince(clock, start);
  if (summary.history.first_computed) {
    summary.first_computed_day = summary.history.first_computed;
    summary.days_computed = *summary.history.last_computed - *summary.history.first_computed + 1;
  }

  start = clock.MonotonicNanos();
  if (!records.empty()) ST_RETURN_IF_ERROR(store.SaveEditions(records));
  summary.editions_saved = static_cast<int64_t>(records.size());
  summary.save_seconds = SecondsSince(clock, start);
  return summary;
}

std::string FormatBuildSummary(const BuildSummary& s) {
  if (s.no_data) return "no usage data yet: nothing to build\n";
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(2);
  out << "as of " << FormatDay(s.as_of);
  if (s.as_of_clamped) {
    out << " (last day with data; latest closed day " << FormatDay(s.latest_closed_day) << ")";
  }
  out << "\n";
  out << "loaded: " << s.stats.sounds << " sounds, " << s.stats.cells << " daily cells";
  if (s.stats.first_day && s.stats.last_day) {
    out << " (" << FormatDay(*s.stats.first_day) << ".." << FormatDay(*s.stats.last_day) << ")";
  }
  out << ", " << s.stats.videos << " videos, " << s.editions_loaded
      << " saved editions (data through batch " << s.seq << ") in " << s.load_seconds << " s\n";
  if (s.stale.keys > 0) {
    out << "late data: " << s.stale.keys
        << " (region, day) pairs changed after their editions were saved ("
        << FormatDay(*s.stale.first_day) << ".." << FormatDay(*s.stale.last_day)
        << "): " << s.stale.editions << " editions to compute again\n";
  }
  if (s.history.recomputed > 0) {
    out << "recomputed: " << s.history.recomputed << " editions of "
        << FormatDay(*s.history.first_recomputed) << ".." << FormatDay(*s.history.last_recomputed)
        << ", " << s.history.changed << " changed\n";
  }
  if (s.days_computed == 0 && s.stats.first_day && s.as_of < *s.stats.first_day) {
    out << "computed: 0 days (no data on or before " << FormatDay(s.as_of) << ")\n";
  } else if (s.days_computed == 0) {
    out << "computed: 0 new days (history already through " << FormatDay(s.as_of) << ")\n";
  } else {
    out << "computed: " << s.days_computed << " days (" << FormatDay(*s.first_computed_day) << ".."
        << FormatDay(*s.history.last_computed) << "), " << s.history.computed << " editions\n";
  }
  out << "saved " << s.editions_saved << " editions; compute " << s.compute_seconds << " s, save "
      << s.save_seconds << " s\n";
  out << "total: " << (s.load_seconds + s.compute_seconds + s.save_seconds) << " s\n";
  return out.str();
}

}  // namespace soundtrend::engine
