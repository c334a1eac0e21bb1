// The published, immutable result of the chart engine: every edition of one day.
//
// A ChartSet is built once by the engine and never changed; it is shared between threads
// through std::shared_ptr<const ChartSet> and is safe to read concurrently. The API layer
// renders JSON from it; it knows nothing of HTTP or JSON itself.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/day.h"
#include "common/records.h"
#include "common/regions.h"

namespace soundtrend::engine {

struct TrendPoint {
  int64_t time = 0;    // unix seconds at 00:00 UTC of the point's day (P=120: bucket's last day)
  int hundredths = 0;  // value * 100, 0..100, rounded half away from zero (SPEC §4)
  friend bool operator==(const TrendPoint&, const TrendPoint&) = default;
};

struct RelatedVideo {
  uint64_t item_id = 0;
  std::string cover_uri;
  friend bool operator==(const RelatedVideo&, const RelatedVideo&) = default;
};

// One sound's line in an edition, every field of SPEC §3 that is not a constant of the
// request (country_code, is_search) or derivable from the sound (link, url_title).
struct ChartEntry {
  std::shared_ptr<const SoundRecord> sound;  // never null
  int32_t rank = 0;                          // 1-based position in the full ranking
  int64_t usage_count = 0;
  std::optional<int32_t> rank_diff;      // absolute places moved; nullopt when new (type 4)
  int32_t rank_diff_type = 4;            // 1 up, 2 unchanged, 3 down, 4 new
  std::optional<int32_t> on_list_times;  // editions that listed it, this one included
  bool new_to_top_100 = false;           // never on this region+period chart before the window
  std::vector<TrendPoint> trend;         // oldest first
  std::vector<RelatedVideo> related;     // up to 4, most viewed first; empty renders null
};

// One chart: region x period x day.
class Edition {
 public:
  virtual ~Edition() = default;
  virtual RegionId region() const = 0;
  virtual int period() const = 0;  // 7, 30 or 120
  virtual Day day() const = 0;
  // The chart: ranks 1..min(100, ranked_count()), in rank order.
  virtual const std::vector<ChartEntry>& top() const = 0;
  // Number of sounds with at least one use in the window (all of them are ranked).
  virtual size_t ranked_count() const = 0;
  // SPEC §4 search: every sound used in the region during the window whose folded title
  // or author contains `folded_keyword` (already passed through FoldForSearch), in rank
  // order, with every field filled. Thread-safe.
  virtual std::vector<ChartEntry> Search(std::string_view folded_keyword) const = 0;
  // Builds now whatever Search needs beyond top() (e.g. the full ranking and its search
  // text), so that no later Search pays for it. Idempotent and thread-safe: concurrent
  // calls and Searches build it once; without it, the first Search builds it. Call before
  // the edition is handed to readers (the serve publication does). Default: nothing to build.
  virtual void PrepareSearch() const {}
  // True once Search needs nothing more to be built (after PrepareSearch or a first Search).
  virtual bool search_prepared() const { return true; }
};

// Every edition of one day.
class ChartSet {
 public:
  virtual ~ChartSet() = default;
  virtual Day day() const = 0;
  // The edition of region x period (7, 30 or 120); null when that chart has no data.
  virtual const Edition* Find(RegionId region, int period) const = 0;

  // Edition::PrepareSearch on every edition of the set (on the calling thread).
  void PrepareSearch() const {
    for (size_t region = 0; region < kRegionCount; ++region) {
      for (int period : {7, 30, 120}) {
        const Edition* edition = Find(static_cast<RegionId>(region), period);
        if (edition != nullptr) edition->PrepareSearch();
      }
    }
  }
};

}  // namespace soundtrend::engine
