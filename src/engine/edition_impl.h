// Internal to the engine: the immutable data editions are built from (daily columns and
// the chart history of a region, frozen at publication) and the Edition / ChartSet
// implementations. Not for other modules (they use chart_set.h).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
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
constexpr size_t kTopSize = 100;

// A series is the history of one chart kind and period of a region: index kind * 3 +
// period index (popular 7, 30, 120, then surging 7, 30, 120).
constexpr int kSeriesCount = 6;
constexpr int SeriesIndex(ChartKind kind, int period_index) {
  return KindIndex(kind) * 3 + period_index;
}
constexpr ChartKind SeriesKind(int series) {
  return series < 3 ? ChartKind::kPopular : ChartKind::kSurging;
}
constexpr int SeriesPeriod(int series) { return kPeriods[series % 3]; }
// Days of data an edition reads, ending on its day: P (popular) or 2P (surging: the window
// and the one before it).
constexpr int SeriesSpan(int series) {
  return SeriesKind(series) == ChartKind::kPopular ? SeriesPeriod(series)
                                                   : 2 * SeriesPeriod(series);
}

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

// The first cell in [first, last) (sorted by local) whose local is >= `local`, searching
// forward from `first` with doubling steps: cheap when the answer is near `first`, as when
// a sorted list of locals is looked up in turn.
const UseCell* GallopLowerBound(const UseCell* first, const UseCell* last, uint32_t local);

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

// A top list: locals in rank order, at most 100.
using TopList = std::vector<uint32_t>;
using TopPtr = std::shared_ptr<const TopList>;

// Open-addressing hash map from a global sound index to a region's dense index (local).
// The slots are a ChunkedArray, so a Snapshot (taken at publication) is cheap and
// immutable while the engine keeps inserting: it lets a ChartSet find a sound's local in
// every region without an index of its own.
class DenseIndexMap {
 public:
  class Snapshot {
   public:
    // The value of `key`, or UINT32_MAX when absent.
    uint32_t Find(uint32_t key) const { return FindIn(slots_, mask_, key); }

   private:
    friend class DenseIndexMap;
    ChunkedArray<uint64_t>::Snapshot slots_;
    size_t mask_ = 0;
  };

  DenseIndexMap() : slots_(16, kEmpty), mask_(15) {}

  // The value of `key`, or UINT32_MAX when absent.
  uint32_t Find(uint32_t key) const { return FindIn(slots_, mask_, key); }
  // Inserts a key that is not present.
  void Insert(uint32_t key, uint32_t value) {
    if ((size_ + 1) * 10 > slots_.size() * 7) Grow();
    Place(key, value);
    ++size_;
  }
  size_t size() const { return size_; }
  Snapshot TakeSnapshot() const {
    Snapshot s;
    if (size_ > 0) {
      s.slots_ = slots_.TakeSnapshot();
      s.mask_ = mask_;
    }
    return s;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static size_t Hash(uint32_t key) { return (key * 0x9E3779B97F4A7C15ULL) >> 20; }
  template <typename Slots>
  static uint32_t FindIn(const Slots& slots, size_t mask, uint32_t key) {
    if (slots.size() == 0) return UINT32_MAX;
    for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
      const uint64_t slot = slots[i];
      if (slot == kEmpty) return UINT32_MAX;
      if (static_cast<uint32_t>(slot >> 32) == key) return static_cast<uint32_t>(slot);
    }
  }
  void Place(uint32_t key, uint32_t value) {
    size_t i = Hash(key) & mask_;
    while (slots_[i] != kEmpty) i = (i + 1) & mask_;
    slots_.Set(i, (uint64_t{key} << 32) | value);
  }
  void Grow() {
    ChunkedArray<uint64_t> old = std::move(slots_);
    slots_ = ChunkedArray<uint64_t>(old.size() * 2, kEmpty);
    mask_ = slots_.size() - 1;
    for (size_t i = 0; i < old.size(); ++i) {
      const uint64_t slot = old[i];
      if (slot != kEmpty) Place(static_cast<uint32_t>(slot >> 32), static_cast<uint32_t>(slot));
    }
  }
  ChunkedArray<uint64_t> slots_;
  size_t mask_;
  size_t size_ = 0;
};

// Everything editions of one region read, for every day, frozen at publication.
struct RegionData {
  RegionId region = 0;
  Day base_day = 0;                                     // the day of index 0 of every vector below
  std::vector<std::shared_ptr<const UsesColumn>> uses;  // null: no uses that day
  std::vector<std::shared_ptr<const VideoColumn>> videos;
  ChunkedArray<uint32_t>::Snapshot local_to_global;
  DenseIndexMap::Snapshot global_to_local;  // UINT32_MAX: the sound has no local here
  ChunkedArray<Day>::Snapshot first_use;    // by local, over all data; kNeverUsed if none
  std::array<std::vector<TopPtr>, kSeriesCount> history;  // null: no chart that day

  const UsesColumn* Uses(Day day) const {
    const int64_t i = static_cast<int64_t>(day) - base_day;
    return i >= 0 && i < static_cast<int64_t>(uses.size()) ? uses[i].get() : nullptr;
  }
  const VideoColumn* Videos(Day day) const {
    const int64_t i = static_cast<int64_t>(day) - base_day;
    return i >= 0 && i < static_cast<int64_t>(videos.size()) ? videos[i].get() : nullptr;
  }
  const TopList* Top(int series, Day day) const {
    const auto& h = history[series];
    const int64_t i = static_cast<int64_t>(day) - base_day;
    return i >= 0 && i < static_cast<int64_t>(h.size()) ? h[i].get() : nullptr;
  }
  // The uses of each of `locals` (sorted ascending) on each of the `days` days from
  // `first`: out[k * days + d]. Each column is walked forward once.
  void GatherUses(const std::vector<uint32_t>& sorted_locals, Day first, int days,
                  std::vector<int64_t>& out) const;
};

// A sound's listing history in one series, as of an edition's day.
struct ListingInfo {
  uint32_t local;
  int32_t count;  // editions with day <= D that listed it
  Day first_day;  // first such edition
};

struct EditionInput {
  std::shared_ptr<const RegionData> region;
  std::shared_ptr<const SoundsSnapshot> sounds;
  ChartKind kind = ChartKind::kPopular;
  int period = 7;
  Day day = 0;
  std::vector<uint32_t> top_locals;  // rank order, at most 100
  // Known when the engine selected the chart; otherwise computed with the full ranking.
  std::optional<size_t> ranked_count;
  // The listings of the top locals, sorted by local (the engine's index); nullopt: derived
  // from the history.
  std::optional<std::vector<ListingInfo>> listings;
  // Known when the engine selected the chart (else read from the columns): the top locals'
  // uses on each day of the window, `period` values per top local (in top order, oldest
  // day first), and for surging their uses in the window before it (p, in top order).
  std::vector<int64_t> window_uses;
  std::vector<int64_t> previous_uses;
};

class EditionImpl final : public Edition {
 public:
  explicit EditionImpl(EditionInput input);

  ChartKind kind() const override { return in_.kind; }
  RegionId region() const override { return in_.region->region; }
  int period() const override { return in_.period; }
  Day day() const override { return in_.day; }
  const std::vector<ChartEntry>& top() const override { return top_; }
  size_t ranked_count() const override;
  std::vector<ChartEntry> Search(std::string_view folded_keyword) const override;
  void PrepareSearch() const override;
  bool search_prepared() const override { return full_ready_.load(std::memory_order_acquire); }
  // Times this edition built its full ranking (0 or 1; for tests).
  int full_ranking_builds() const { return full_builds_.load(std::memory_order_relaxed); }

  const RegionData& data() const { return *in_.region; }
  // The rank of `local` in the full ranking; 0 when it is not ranked.
  int32_t RankOf(uint32_t local) const;
  // The entry of `local` as a search hit at `rank` (0: not ranked: usage 0, no trend).
  ChartEntry EntryOf(uint32_t local, int32_t rank) const;

 private:
  // `window`: the sound's uses on each day of the window (`period` values, oldest first)
  // and, surging, `previous` its uses in the window before; null / nullopt to look them up
  // in the columns.
  ChartEntry BuildEntry(uint32_t local, int32_t rank, const int64_t* window,
                        std::optional<int64_t> previous) const;
  void ComputeFullRanking() const;
  void ComputeListings() const;
  const ListingInfo* ListingOf(uint32_t local) const;

  EditionInput in_;
  int series_ = 0;
  int span_ = 0;
  std::vector<std::pair<uint32_t, int32_t>> previous_ranks_;  // (local, rank) of D-P, by local
  std::vector<ChartEntry> top_;
  // Every listed sound's listing (from the history), built on first need.
  mutable std::once_flag listings_once_;
  mutable std::vector<ListingInfo> all_listings_;  // by local
  // The full ranking, computed by PrepareSearch (at publication) or else on first need.
  mutable std::once_flag full_once_;
  mutable std::atomic<bool> full_ready_{false};
  mutable std::atomic<int> full_builds_{0};
  mutable std::vector<uint32_t> full_order_;  // locals in rank order
  // The folded titles and authors in rank order, as one text scanned by Search: record i is
  // text_[record_start_[i], record_start_[i + 1]) = title '\0' author '\0'; the title is
  // title_size_[i] bytes.
  mutable std::string text_;
  mutable std::vector<uint32_t> record_start_;  // full_order_.size() + 1 entries
  mutable std::vector<uint32_t> title_size_;
};

// clip_id -> global index, sorted by clip id (immutable once published).
struct ClipIndex {
  std::vector<std::pair<uint64_t, uint32_t>> entries;
  std::optional<uint32_t> Find(uint64_t clip_id) const;
};

struct ChartSetData {
  Day day = 0;
  std::optional<Day> first_day;
  std::shared_ptr<const SoundsSnapshot> sounds;
  std::shared_ptr<const ClipIndex> clips;
  std::array<std::shared_ptr<const RegionData>, kRegionCount> regions;
};

class ChartSetImpl final : public ChartSet, public std::enable_shared_from_this<ChartSetImpl> {
 public:
  explicit ChartSetImpl(ChartSetData data) : data_(std::move(data)) {}
  Day day() const override { return data_.day; }
  std::optional<Day> first_day() const override { return data_.first_day; }
  const Edition* Find(RegionId region, int period, ChartKind kind) const override;
  std::shared_ptr<const Edition> EditionOf(RegionId region, int period, ChartKind kind,
                                           Day day) const override;
  std::optional<SoundDetail> Detail(uint64_t clip_id, RegionId region, int period,
                                    Day day) const override;

  void Set(int series, RegionId region, std::unique_ptr<EditionImpl> edition);
  const std::shared_ptr<const RegionData>& region_data(RegionId region) const {
    return data_.regions[region];
  }
  const std::shared_ptr<const SoundsSnapshot>& sounds() const { return data_.sounds; }

 private:
  // The edition of `day` (published or built now), also when it has no entry; null when
  // the region has no data at all.
  std::shared_ptr<const EditionImpl> AnyEditionOf(RegionId region, int period_index, ChartKind kind,
                                                  Day day) const;

  ChartSetData data_;
  std::array<std::unique_ptr<EditionImpl>, kRegionCount * kSeriesCount> editions_;
};

// Popular order: usage desc, then uses on the day desc, then clip_id asc.
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
