// The published, immutable result of the chart engine: every edition of one day, plus
// everything needed to answer for a past day (docs/api.md §9) and for one sound (docs/api.md §7).
//
// A ChartSet is built once by the engine and never changed; it is shared between threads
// through std::shared_ptr<const ChartSet> and is safe to read concurrently. Past editions
// and sound details are computed on demand from the set's immutable data (the daily
// columns and the chart history, shared with the engine copy-on-write), on the calling
// thread, without locks. The API layer renders JSON from it; it knows nothing of HTTP.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/chart_kind.h"
#include "common/day.h"
#include "common/records.h"
#include "common/regions.h"

namespace soundtrend::engine {

struct TrendPoint {
  int64_t time = 0;    // unix seconds at 00:00 UTC of the point's day (P=120: bucket's last day)
  int hundredths = 0;  // value * 100, 0..100, rounded half away from zero (docs/api.md §4)
  friend bool operator==(const TrendPoint&, const TrendPoint&) = default;
};

struct RelatedVideo {
  uint64_t item_id = 0;
  std::string cover_uri;
  friend bool operator==(const RelatedVideo&, const RelatedVideo&) = default;
};

// One sound's line in an edition, every field of docs/api.md §3 that is not a constant of the
// request (country_code, is_search) or derivable from the sound (link, url_title).
struct ChartEntry {
  std::shared_ptr<const SoundRecord> sound;  // never null
  int32_t rank = 0;         // 1-based position in the full ranking; 0 = not ranked (detail only)
  int64_t usage_count = 0;  // surging: u, the uses of the window
  std::optional<int32_t> rank_diff;      // absolute places moved; nullopt when new (type 4)
  int32_t rank_diff_type = 4;            // 1 up, 2 unchanged, 3 down, 4 new
  std::optional<int32_t> on_list_times;  // editions that listed it, this one included
  bool new_to_top_100 = false;           // never on this region+period chart before the window
  std::vector<TrendPoint> trend;         // oldest first
  std::vector<RelatedVideo> related;     // up to 4, most viewed first; empty renders null
  // Surging only: (u + 10) / (p + 10) in hundredths, rounded half away from zero.
  std::optional<int64_t> growth_hundredths;
};

// One chart: kind x region x period x day.
class Edition {
 public:
  virtual ~Edition() = default;
  virtual ChartKind kind() const = 0;
  virtual RegionId region() const = 0;
  virtual int period() const = 0;  // 7, 30 or 120
  virtual Day day() const = 0;
  // The chart: ranks 1..min(100, ranked_count()), in rank order.
  virtual const std::vector<ChartEntry>& top() const = 0;
  // Popular: sounds with at least one use in the window (all of them are ranked).
  // Surging: eligible sounds (all of them are ranked). May build the full ranking.
  virtual size_t ranked_count() const = 0;
  // docs/api.md §4 search: every ranked sound whose folded title or author contains
  // `folded_keyword` (already passed through FoldForSearch), in rank order, with every
  // field filled. Thread-safe.
  virtual std::vector<ChartEntry> Search(std::string_view folded_keyword) const = 0;
  // Builds now whatever Search needs beyond top() (e.g. the full ranking and its search
  // text), so that no later Search pays for it. Idempotent and thread-safe: concurrent
  // calls and Searches build it once; without it, the first Search builds it. Call before
  // the edition is handed to readers (the serve publication does). Default: nothing to build.
  virtual void PrepareSearch() const {}
  // True once Search needs nothing more to be built (after PrepareSearch or a first Search).
  virtual bool search_prepared() const { return true; }
};

// docs/api.md §7 for one sound, region, period and day (the popular chart's history).
struct SoundDetail {
  // Every §3 field, computed as for a search hit: rank in the full ranking of the window
  // (0 when the sound had no use in the region in the window: then usage_count is 0 and
  // trend empty; rank_diff_type is 3 with no rank_diff when it was on the previous
  // window's top 100, else 4).
  ChartEntry entry;
  struct Audience {
    RegionId region;
    int64_t uses;  // uses in that region in the window, > 0
    friend bool operator==(const Audience&, const Audience&) = default;
  };
  std::vector<Audience> audience;    // up to 10: uses desc, then region code asc
  int32_t popular_days = 0;          // = on_list_times (0 when never listed)
  int current_popularity = 0;        // hundredths: uses on D / largest daily uses through D
  std::optional<int32_t> peak_rank;  // best rank on any edition through D
  std::optional<Day> peak_date;      // first edition that reached peak_rank
  std::optional<Day> first_listed;   // first edition that listed the sound
  int32_t streak = 0;                // consecutive editions ending with D's that listed it
  struct RankOnDay {
    Day day;
    std::optional<int32_t> rank;  // nullopt when not in that day's top 100
    friend bool operator==(const RankOnDay&, const RankOnDay&) = default;
  };
  std::vector<RankOnDay> rank_history;  // every day of the window, oldest first
  struct UsesOnDay {
    Day day;
    int64_t uses;
    friend bool operator==(const UsesOnDay&, const UsesOnDay&) = default;
  };
  std::vector<UsesOnDay> usage_by_day;  // days of the window from the first use on
};

// Every edition of one day, and the data of every earlier day.
class ChartSet {
 public:
  virtual ~ChartSet() = default;
  // The day of the set (the latest closed day when published).
  virtual Day day() const = 0;
  // The first day with data: editions exist for every day in [first_day, day()]. nullopt
  // when there is no data.
  virtual std::optional<Day> first_day() const = 0;
  // The edition of day() for region x period (7, 30 or 120) x kind; null when that chart has
  // no entry (no use, or no eligible sound).
  virtual const Edition* Find(RegionId region, int period,
                              ChartKind kind = ChartKind::kPopular) const = 0;
  // The edition of `day` in [first_day(), day()] (docs/api.md §9: all data of the set counts),
  // computed now from the set's immutable data; day() gives the published one. Null when
  // the chart has no entry that day, or `day` is outside the range. Thread-safe, no locks.
  virtual std::shared_ptr<const Edition> EditionOf(RegionId region, int period, ChartKind kind,
                                                   Day day) const = 0;
  // docs/api.md §7 for `clip_id` as of `day` in [first_day(), day()]. nullopt when the clip is
  // neither in the catalog nor in any usage (or `day` is outside the range). Thread-safe.
  virtual std::optional<SoundDetail> Detail(uint64_t clip_id, RegionId region, int period,
                                            Day day) const = 0;

  // Edition::PrepareSearch on every edition of day() (on the calling thread).
  void PrepareSearch() const {
    for (ChartKind kind : kChartKinds) {
      for (size_t region = 0; region < kRegionCount; ++region) {
        for (int period : kPeriods) {
          const Edition* edition = Find(static_cast<RegionId>(region), period, kind);
          if (edition != nullptr) edition->PrepareSearch();
        }
      }
    }
  }
};

}  // namespace soundtrend::engine
