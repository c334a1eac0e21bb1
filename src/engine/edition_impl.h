// Internal to the engine: the data an edition is built from and the immutable
// Edition/ChartSet implementations. Not for other modules (they use chart_set.h).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/day.h"
#include "common/records.h"
#include "common/regions.h"
#include "engine/chart_set.h"
#include "engine/chunked_array.h"

namespace soundtrend::engine::internal {

constexpr int kMaxPeriod = 120;
constexpr Day kNeverUsed = INT32_MAX;

struct SoundInfo {
  std::shared_ptr<const SoundRecord> record;  // never null
  std::string folded_title;                   // FoldForSearch(title)
  std::string folded_author;                  // FoldForSearch(author)
};
using SoundPtr = std::shared_ptr<const SoundInfo>;
using SoundsSnapshot = ChunkedArray<SoundPtr>::Snapshot;

// Uses of one region on one day. `local` is the sound's dense index in the region.
struct UseCell {
  uint32_t local;
  uint32_t uses;
};
struct UsesColumn {
  std::vector<UseCell> cells;  // sorted by local, one cell per local (once normalized)
  bool normalized = true;
  // Uses of `local` (0 when absent). Requires a normalized column.
  int64_t Find(uint32_t local) const;
  // Sorts and merges duplicate locals (their uses add up).
  void Normalize();
};

struct VideoCell {
  uint32_t local;
  uint64_t video_id;
  int64_t views;
  std::string cover;
};
struct VideoColumn {
  // Sorted by (local, views desc, video_id asc); at most 4 per local, distinct video ids
  // (once normalized).
  std::vector<VideoCell> cells;
  bool normalized = true;
  void Normalize();
};

// Everything an edition of one region needs from the engine, frozen at publication.
struct RegionSnapshot {
  RegionId region = 0;
  Day day = 0;
  // [i] holds day (day - kMaxPeriod + 1 + i); null when there is no data that day.
  std::array<std::shared_ptr<const UsesColumn>, kMaxPeriod> uses;
  std::array<std::shared_ptr<const VideoColumn>, kMaxPeriod> videos;
  ChunkedArray<uint32_t>::Snapshot local_to_global;
  ChunkedArray<Day>::Snapshot first_use;
};

// A sound's listing history in one region+period, as of the edition's day.
struct ListingInfo {
  uint32_t local;
  int32_t count;  // editions with day <= D that listed it
  Day first_day;  // first such edition
};

struct EditionInput {
  std::shared_ptr<const RegionSnapshot> region;
  std::shared_ptr<const SoundsSnapshot> sounds;
  int period = 7;
  std::vector<uint32_t> top_locals;  // rank order, at most 100
  std::vector<int64_t> top_usage;
  size_t ranked_count = 0;
  std::vector<std::pair<uint32_t, int32_t>> previous_ranks;  // (local, rank) of D-P, by local
  std::vector<ListingInfo> listings;                         // by local
};

class EditionImpl final : public Edition {
 public:
  explicit EditionImpl(EditionInput input);

  RegionId region() const override { return in_.region->region; }
  int period() const override { return in_.period; }
  Day day() const override { return in_.region->day; }
  const std::vector<ChartEntry>& top() const override { return top_; }
  size_t ranked_count() const override { return in_.ranked_count; }
  std::vector<ChartEntry> Search(std::string_view folded_keyword) const override;
  void PrepareSearch() const override;
  bool search_prepared() const override { return full_ready_.load(std::memory_order_acquire); }
  // Times this edition built its full ranking (0 or 1; for tests).
  int full_ranking_builds() const { return full_builds_.load(std::memory_order_relaxed); }

 private:
  // `window_uses`: the sound's uses on each day of the window (period elements), or null to
  // look them up in the columns.
  ChartEntry BuildEntry(uint32_t local, int32_t rank, int64_t usage,
                        const int64_t* window_uses = nullptr) const;
  void ComputeFullRanking() const;

  EditionInput in_;
  std::vector<ChartEntry> top_;
  // The full ranking, computed by PrepareSearch (at publication) or else on first search.
  mutable std::once_flag full_once_;
  mutable std::atomic<bool> full_ready_{false};
  mutable std::atomic<int> full_builds_{0};
  mutable std::vector<uint32_t> full_order_;  // locals in rank order
  mutable std::vector<int64_t> full_usage_;
  // The folded titles and authors in rank order, as one text scanned by Search: record i is
  // text_[record_start_[i], record_start_[i + 1]) = title '\0' author '\0'; the title is
  // title_size_[i] bytes.
  mutable std::string text_;
  mutable std::vector<uint32_t> record_start_;  // full_order_.size() + 1 entries
  mutable std::vector<uint32_t> title_size_;
};

class ChartSetImpl final : public ChartSet {
 public:
  explicit ChartSetImpl(Day day) : day_(day) {}
  Day day() const override { return day_; }
  const Edition* Find(RegionId region, int period) const override;
  void Set(RegionId region, int period_index, std::unique_ptr<EditionImpl> edition);

 private:
  Day day_;
  std::array<std::unique_ptr<EditionImpl>, kRegionCount * 3> editions_;
};

// Rank order: usage desc, then uses on the day desc, then clip_id asc.
struct RankKey {
  int64_t usage;
  int64_t today;
  uint64_t clip_id;
  uint32_t local;
  bool operator<(const RankKey& o) const {
    if (usage != o.usage) return usage > o.usage;
    if (today != o.today) return today > o.today;
    return clip_id < o.clip_id;
  }
};

}  // namespace soundtrend::engine::internal
