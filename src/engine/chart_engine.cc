#include "engine/chart_engine.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <tuple>

#include "common/text_fold.h"
#include "engine/chunked_array.h"
#include "engine/edition_impl.h"
#include "engine/surging.h"

namespace soundtrend::engine {

namespace internal {

// The window sums kept per region: the popular windows (P) and the double ones (2P) the
// surging chart's previous window is derived from. Each contains the one before it.
constexpr int kWindowCount = 6;
constexpr std::array<int, kWindowCount> kWindows = {7, 14, 30, 60, 120, 240};
constexpr int PopularWindow(int period_index) { return 2 * period_index; }
constexpr int DoubleWindow(int period_index) { return 2 * period_index + 1; }

struct HistoryEntry {
  TopPtr top;          // null: no chart (empty)
  int64_t seq = 0;     // data_seq it was computed from (or loaded with)
  bool known = false;  // false: to be computed
  bool stale = false;  // known once, invalidated since (top is the old value)
};

struct RegionState {
  RegionId id = 0;
  DenseIndexMap global_to_local;
  ChunkedArray<uint32_t> local_to_global;
  ChunkedArray<Day> first_use;
  std::optional<Day> first_day;                   // the region's first day with uses
  std::vector<std::shared_ptr<UsesColumn>> uses;  // index: day - base day
  std::vector<std::shared_ptr<VideoColumn>> videos;
  std::optional<Day> state_day;  // the window sums are those of windows ending here
  std::array<std::vector<int64_t>, kWindowCount> sums;  // by local
  // Per popular window, per block of kSumBlock locals: an upper bound of the block's sums
  // (exact after a rebuild or a scan; only raised by additions, so still an upper bound
  // after subtractions). Lets the selections skip blocks without reading them.
  std::array<std::vector<int64_t>, kWindowCount> block_bound;
  // Per period, per block of kSumBlock locals: an upper bound of SurgingMargin over the
  // block (exact after a rebuild or a scan; raised with every changed local). A block
  // below 0 holds no eligible sound, so SelectSurging skips it unread.
  std::array<std::vector<int64_t>, kPeriods.size()> surging_bound;
  std::array<int64_t, kWindowCount> used{};  // per window: locals with a positive sum
  std::array<std::vector<HistoryEntry>, kSeriesCount> history;  // index: day - base day
  // Per series: the days whose top lists a local, sorted.
  std::array<std::unordered_map<uint32_t, std::vector<Day>>, kSeriesCount> listed_days;
  std::vector<Day> dirty_days;  // uses changed on these days since history was computed
  // What the last publication read of its top sounds' daily uses (GatherWindowUses), kept
  // to be read again by the next one: per period, the sounds whose uses were read for the
  // P days ending on `day`; with the columns they were read from (a column is immutable
  // while shared, so one still in place holds the same uses).
  struct UsesGroup {
    std::vector<uint32_t> locals;  // sorted
    int days = 0;
    std::vector<int64_t> uses;  // locals.size() x days, oldest day first
  };
  struct GatheredUses {
    std::optional<Day> day;
    std::vector<std::shared_ptr<const UsesColumn>> columns;  // days day - kMaxPeriod + 1 .. day
    std::array<UsesGroup, kPeriods.size()> groups;
  };
  GatheredUses gathered;

  static constexpr size_t kSumBlock = 256;
  static constexpr bool Bounded(int w) { return w % 2 == 0; }
  // >= 0 exactly when the sound is eligible (u >= 50 and u + 10 >= 2 (p + 10), p = d - u).
  static int64_t SurgingMargin(int64_t u, int64_t d) {
    return std::min(u - kSurgingMinUses, 3 * u - 2 * d - kSurgingSmoothing);
  }
  // Raises the surging bound of period k for `local` (after its sums changed).
  void RaiseSurgingBound(int k, uint32_t local) {
    const int64_t margin =
        SurgingMargin(sums[PopularWindow(k)][local], sums[DoubleWindow(k)][local]);
    int64_t& bound = surging_bound[k][local / kSumBlock];
    if (margin > bound) bound = margin;
  }
  void RaiseSurgingBounds(uint32_t local) {
    for (int k = 0; k < static_cast<int>(kPeriods.size()); ++k) RaiseSurgingBound(k, local);
  }
  void AddToSum(int w, uint32_t local, int64_t delta) {
    int64_t& sum = sums[w][local];
    const int64_t before = sum;
    sum += delta;
    used[w] += (sum > 0) - (before > 0);
    if (Bounded(w)) {
      int64_t& bound = block_bound[w][local / kSumBlock];
      if (sum > bound) bound = sum;
    }
  }
  // A column enters every window (a step's new day): each cell updates the six sums, their
  // block bounds and the surging bounds in one go (with the step's final sums, see
  // PositionState).
  void AddColumnToAll(const UsesColumn& column) {
    std::array<int64_t*, kWindowCount> values;
    for (int w = 0; w < kWindowCount; ++w) values[w] = sums[w].data();
    for (const UseCell& c : column.cells) {
      const size_t block = c.local / kSumBlock;
      std::array<int64_t, kWindowCount> after;
      for (int w = 0; w < kWindowCount; ++w) {
        int64_t& sum = values[w][c.local];
        const int64_t before = sum;
        sum += c.uses;
        after[w] = sum;
        used[w] += (sum > 0) - (before > 0);
      }
      for (int k = 0; k < static_cast<int>(kPeriods.size()); ++k) {
        int64_t& bound = block_bound[PopularWindow(k)][block];
        if (after[PopularWindow(k)] > bound) bound = after[PopularWindow(k)];
        const int64_t margin = SurgingMargin(after[PopularWindow(k)], after[DoubleWindow(k)]);
        int64_t& surging = surging_bound[k][block];
        if (margin > surging) surging = margin;
      }
    }
  }
  // A column leaves window w. Leaving a popular window (u falls, p rises) can only lower
  // the sounds' surging margins, so their bounds stay upper bounds, as the block bounds
  // do; leaving a double window (p falls) raises them: raised here with the sums after the
  // step's popular windows lost their columns, which are final unless the step's added
  // column raises them further (and raises the bounds then).
  void SubtractColumn(int w, const UsesColumn& column) {
    int64_t* values = sums[w].data();
    if (Bounded(w)) {
      for (const UseCell& c : column.cells) {
        int64_t& sum = values[c.local];
        const int64_t before = sum;
        sum -= c.uses;
        used[w] += (sum > 0) - (before > 0);
      }
      return;
    }
    const int64_t* u = sums[w - 1].data();
    int64_t* bounds = surging_bound[w / 2].data();
    for (const UseCell& c : column.cells) {
      int64_t& sum = values[c.local];
      const int64_t before = sum;
      sum -= c.uses;
      used[w] += (sum > 0) - (before > 0);
      const int64_t margin = SurgingMargin(u[c.local], sum);
      int64_t& bound = bounds[c.local / kSumBlock];
      if (margin > bound) bound = margin;
    }
  }
  // Recomputes the exact bounds and counts of window w from the sums.
  void RecountWindow(int w) {
    const std::vector<int64_t>& values = sums[w];
    int64_t positive = 0;
    if (!Bounded(w)) {
      // The double window of period k = w / 2, recounted after its popular window.
      const std::vector<int64_t>& u = sums[w - 1];
      std::vector<int64_t>& bounds = surging_bound[w / 2];
      for (size_t b = 0; b < bounds.size(); ++b) {
        const size_t end = std::min(values.size(), (b + 1) * kSumBlock);
        int64_t max_margin = SurgingMargin(0, 0);
        for (size_t i = b * kSumBlock; i < end; ++i) {
          positive += values[i] > 0;
          max_margin = std::max(max_margin, SurgingMargin(u[i], values[i]));
        }
        bounds[b] = max_margin;
      }
      used[w] = positive;
      return;
    }
    for (size_t b = 0; b < block_bound[w].size(); ++b) {
      const size_t end = std::min(values.size(), (b + 1) * kSumBlock);
      int64_t max_value = 0;
      for (size_t i = b * kSumBlock; i < end; ++i) {
        max_value = std::max(max_value, values[i]);
        positive += values[i] > 0;
      }
      block_bound[w][b] = max_value;
    }
    used[w] = positive;
  }
  HistoryEntry* Entry(int series, Day day, Day base) {
    auto& h = history[series];
    const int64_t i = static_cast<int64_t>(day) - base;
    return i >= 0 && i < static_cast<int64_t>(h.size()) ? &h[i] : nullptr;
  }
  HistoryEntry& MutableEntry(int series, Day day, Day base) {
    auto& h = history[series];
    const size_t i = static_cast<size_t>(day - base);
    if (h.size() <= i) h.resize(i + 1);
    return h[i];
  }
};

}  // namespace internal

using internal::HistoryEntry;
using internal::kSeriesCount;
using internal::kWindowCount;
using internal::kWindows;
using internal::RegionState;
using internal::SoundInfo;
using internal::SoundPtr;
using internal::UseCell;
using internal::UsesColumn;
using internal::VideoCell;
using internal::VideoColumn;

struct ChartEngine::SoundTable {
  ChunkedArray<SoundPtr> table;
  // Published indexes, brought up to date by SnapshotIndexes.
  std::shared_ptr<const internal::ClipIndex> clips = std::make_shared<internal::ClipIndex>();
  std::vector<uint32_t> pending_clips;  // globals added since
};

namespace {

// Steps of one day beyond which a region's window sums are rebuilt from the columns.
constexpr Day kMaxIncrementalSteps = 25;
constexpr size_t kTopSize = internal::kTopSize;

template <typename Column>
Column* ColumnAt(const std::vector<std::shared_ptr<Column>>& columns, std::optional<Day> base,
                 Day day) {
  if (!base || day < *base) return nullptr;
  const size_t index = static_cast<size_t>(day - *base);
  return index < columns.size() ? columns[index].get() : nullptr;
}

}  // namespace

ChartEngine::ChartEngine() : sounds_(std::make_unique<SoundTable>()) {
  regions_.reserve(kRegionCount);
  for (size_t r = 0; r < kRegionCount; ++r) {
    auto state = std::make_unique<RegionState>();
    state->id = static_cast<RegionId>(r);
    state->first_use.set_fill(internal::kNeverUsed);
    regions_.push_back(std::move(state));
  }
}

ChartEngine::~ChartEngine() = default;

uint32_t ChartEngine::GlobalIndex(uint64_t clip_id) {
  auto [it, inserted] = clip_to_global_.try_emplace(clip_id, 0);
  if (!inserted) return it->second;
  it->second = static_cast<uint32_t>(clip_ids_.size());
  clip_ids_.push_back(clip_id);
  auto record = std::make_shared<SoundRecord>();
  record->clip_id = clip_id;
  sounds_->table.PushBack(std::make_shared<SoundInfo>(SoundInfo{std::move(record), "", ""}));
  sounds_->pending_clips.push_back(it->second);
  return it->second;
}

uint32_t ChartEngine::LocalIndex(RegionState& region, uint32_t global) {
  uint32_t local = region.global_to_local.Find(global);
  if (local != UINT32_MAX) return local;
  local = static_cast<uint32_t>(region.local_to_global.size());
  region.global_to_local.Insert(global, local);
  region.local_to_global.PushBack(global);
  region.first_use.PushBack(internal::kNeverUsed);
  for (int w = 0; w < kWindowCount; ++w) {
    region.sums[w].push_back(0);
    if (RegionState::Bounded(w) && local % RegionState::kSumBlock == 0)
      region.block_bound[w].push_back(0);
  }
  if (local % RegionState::kSumBlock == 0) {
    for (auto& bounds : region.surging_bound) bounds.push_back(RegionState::SurgingMargin(0, 0));
  }
  ++region_sound_count_;
  return local;
}

void ChartEngine::EnsureDay(Day day) {
  if (!base_day_) {
    base_day_ = day;
    day_count_ = 1;
  } else if (day < *base_day_) {
    const int extra = *base_day_ - day;
    for (auto& region : regions_) {
      if (!region->uses.empty()) region->uses.insert(region->uses.begin(), extra, nullptr);
      if (!region->videos.empty()) region->videos.insert(region->videos.begin(), extra, nullptr);
      for (auto& h : region->history)
        if (!h.empty()) h.insert(h.begin(), extra, HistoryEntry{});
    }
    base_day_ = day;
    day_count_ += extra;
  } else if (day - *base_day_ >= day_count_) {
    day_count_ = day - *base_day_ + 1;
  }
}

UsesColumn& ChartEngine::MutableUses(RegionState& region, Day day) {
  EnsureDay(day);
  const size_t index = static_cast<size_t>(day - *base_day_);
  if (region.uses.size() < static_cast<size_t>(day_count_)) region.uses.resize(day_count_);
  std::shared_ptr<UsesColumn>& column = region.uses[index];
  if (!column) {
    column = std::make_shared<UsesColumn>();
  } else if (column.use_count() > 1) {
    column = std::make_shared<UsesColumn>(*column);
  }
  return *column;
}

void ChartEngine::MarkDirty(RegionState& region, Day day) {
  if (!history_through_ || day > *history_through_) return;
  if (region.dirty_days.empty() || region.dirty_days.back() != day)
    region.dirty_days.push_back(day);
}

void ChartEngine::AddSound(const SoundRecord& sound) {
  const uint32_t global = GlobalIndex(sound.clip_id);
  sounds_->table.Set(global, std::make_shared<SoundInfo>(SoundInfo{
                                 std::make_shared<SoundRecord>(sound), FoldForSearch(sound.title),
                                 FoldForSearch(sound.author)}));
  ++data_version_;
}

void ChartEngine::AddDailyUses(const DailyUses& uses) {
  if (uses.uses <= 0 || uses.region >= kRegionCount) return;
  RegionState& region = *regions_[uses.region];
  const uint32_t local = LocalIndex(region, GlobalIndex(uses.clip_id));
  UsesColumn& column = MutableUses(region, uses.day);
  const uint32_t amount = static_cast<uint32_t>(std::min<int64_t>(uses.uses, UINT32_MAX));
  if (column.normalized && !column.cells.empty() && column.cells.back().local >= local) {
    column.normalized = false;
    dirty_columns_.push_back({uses.region, uses.day});
  }
  column.cells.push_back({local, amount});
  if (uses.day < region.first_use[local]) region.first_use.Set(local, uses.day);
  if (!region.first_day || uses.day < *region.first_day) region.first_day = uses.day;
  if (!first_use_day_ || uses.day < *first_use_day_) first_use_day_ = uses.day;
  if (!last_use_day_ || uses.day > *last_use_day_) last_use_day_ = uses.day;
  if (region.state_day) {
    for (int w = 0; w < kWindowCount; ++w) {
      if (uses.day <= *region.state_day && uses.day > *region.state_day - kWindows[w])
        region.AddToSum(w, local, amount);
    }
    region.RaiseSurgingBounds(local);
  }
  MarkDirty(region, uses.day);
  ++data_version_;
}

void ChartEngine::ReplaceDailyUses(RegionId region_id, Day day, std::span<const DailyUses> uses) {
  if (region_id >= kRegionCount) return;
  RegionState& region = *regions_[region_id];
  NormalizeColumns();
  auto next = std::make_shared<UsesColumn>();
  next->cells.reserve(uses.size());
  for (const DailyUses& u : uses) {
    if (u.uses <= 0) continue;
    next->cells.push_back({LocalIndex(region, GlobalIndex(u.clip_id)),
                           static_cast<uint32_t>(std::min<int64_t>(u.uses, UINT32_MAX))});
  }
  next->normalized = false;
  next->Normalize();
  const UsesColumn* old = ColumnAt(region.uses, base_day_, day);
  static const UsesColumn kEmpty;
  if (old == nullptr) old = &kEmpty;
  // Walk both (sorted by local): the window sums take the differences; first uses move.
  bool lost_a_first_use = false;
  auto apply = [&](uint32_t local, int64_t before, int64_t after) {
    if (before == after) return;
    if (region.state_day) {
      for (int w = 0; w < kWindowCount; ++w) {
        if (day <= *region.state_day && day > *region.state_day - kWindows[w])
          region.AddToSum(w, local, after - before);
      }
      region.RaiseSurgingBounds(local);
    }
    if (after > 0 && day < region.first_use[local]) region.first_use.Set(local, day);
    if (after == 0 && region.first_use[local] == day) lost_a_first_use = true;
  };
  size_t i = 0, j = 0;
  while (i < old->cells.size() || j < next->cells.size()) {
    if (j == next->cells.size() ||
        (i < old->cells.size() && old->cells[i].local < next->cells[j].local)) {
      apply(old->cells[i].local, old->cells[i].uses, 0);
      ++i;
    } else if (i == old->cells.size() || next->cells[j].local < old->cells[i].local) {
      apply(next->cells[j].local, 0, next->cells[j].uses);
      ++j;
    } else {
      apply(old->cells[i].local, old->cells[i].uses, next->cells[j].uses);
      ++i;
      ++j;
    }
  }
  const bool was_empty = old->cells.empty();
  if (next->cells.empty() && was_empty) return;
  EnsureDay(day);
  if (region.uses.size() < static_cast<size_t>(day_count_)) region.uses.resize(day_count_);
  std::shared_ptr<UsesColumn>& slot = region.uses[static_cast<size_t>(day - *base_day_)];
  const bool now_empty = next->cells.empty();
  slot = now_empty ? nullptr : std::move(next);
  if (lost_a_first_use) {
    // Rare (a store's data only grows): a sound's first use moved later; look it up again.
    for (uint32_t local = 0; local < region.local_to_global.size(); ++local) {
      if (region.first_use[local] != day) continue;
      Day first = internal::kNeverUsed;
      for (size_t k = 0; k < region.uses.size() && first == internal::kNeverUsed; ++k) {
        if (region.uses[k] && region.uses[k]->Find(local) > 0) first = *base_day_ + k;
      }
      region.first_use.Set(local, first);
    }
  }
  if (!now_empty) {
    if (!region.first_day || day < *region.first_day) region.first_day = day;
    if (!first_use_day_ || day < *first_use_day_) first_use_day_ = day;
    if (!last_use_day_ || day > *last_use_day_) last_use_day_ = day;
  } else {
    UpdateUseBounds(region);
  }
  MarkDirty(region, day);
  ++data_version_;
}

void ChartEngine::UpdateUseBounds(RegionState& region) {
  auto first_in = [&](const RegionState& r) -> std::optional<Day> {
    for (size_t k = 0; k < r.uses.size(); ++k)
      if (r.uses[k]) return *base_day_ + static_cast<Day>(k);
    return std::nullopt;
  };
  region.first_day = first_in(region);
  first_use_day_.reset();
  last_use_day_.reset();
  for (const auto& r : regions_) {
    for (size_t k = 0; k < r->uses.size(); ++k) {
      if (!r->uses[k]) continue;
      const Day d = *base_day_ + static_cast<Day>(k);
      if (!first_use_day_ || d < *first_use_day_) first_use_day_ = d;
      if (!last_use_day_ || d > *last_use_day_) last_use_day_ = d;
    }
  }
}

void ChartEngine::AddVideo(const VideoRecord& video) {
  if (video.region >= kRegionCount) return;
  RegionState& region = *regions_[video.region];
  const uint32_t local = LocalIndex(region, GlobalIndex(video.clip_id));
  EnsureDay(video.day);
  if (region.videos.size() < static_cast<size_t>(day_count_)) region.videos.resize(day_count_);
  std::shared_ptr<VideoColumn>& column = region.videos[video.day - *base_day_];
  if (!column) {
    column = std::make_shared<VideoColumn>();
  } else if (column.use_count() > 1) {
    column = std::make_shared<VideoColumn>(*column);
  }
  if (column->normalized) {
    column->normalized = false;
    dirty_columns_.push_back({video.region, video.day});
  }
  column->cells.push_back({local, video.video_id, video.views, video.cover});
  ++data_version_;
}

void ChartEngine::ReplaceVideos(RegionId region_id, Day day, std::span<const VideoRecord> videos) {
  if (region_id >= kRegionCount) return;
  RegionState& region = *regions_[region_id];
  NormalizeColumns();
  auto next = std::make_shared<VideoColumn>();
  for (const VideoRecord& v : videos)
    next->cells.push_back(
        {LocalIndex(region, GlobalIndex(v.clip_id)), v.video_id, v.views, v.cover});
  next->normalized = false;
  next->Normalize();
  if (next->cells.empty() && ColumnAt(region.videos, base_day_, day) == nullptr) return;
  EnsureDay(day);
  if (region.videos.size() < static_cast<size_t>(day_count_)) region.videos.resize(day_count_);
  region.videos[static_cast<size_t>(day - *base_day_)] =
      next->cells.empty() ? nullptr : std::move(next);
  ++data_version_;
}

void ChartEngine::AddBatch(const Batch& batch) {
  for (const SoundRecord& s : batch.sounds) AddSound(s);
  for (const DailyUses& u : batch.uses) AddDailyUses(u);
  for (const VideoRecord& v : batch.videos) AddVideo(v);
}

void ChartEngine::NormalizeColumns() {
  for (const auto& [region_id, day] : dirty_columns_) {
    RegionState& region = *regions_[region_id];
    const size_t index = static_cast<size_t>(day - *base_day_);
    if (index < region.uses.size() && region.uses[index] && !region.uses[index]->normalized) {
      auto& column = region.uses[index];
      if (column.use_count() > 1) column = std::make_shared<UsesColumn>(*column);
      column->Normalize();
    }
    if (index < region.videos.size() && region.videos[index] && !region.videos[index]->normalized) {
      auto& column = region.videos[index];
      if (column.use_count() > 1) column = std::make_shared<VideoColumn>(*column);
      column->Normalize();
    }
  }
  dirty_columns_.clear();
}

void ChartEngine::ResolveDirty() {
  for (auto& region_ptr : regions_) {
    RegionState& region = *region_ptr;
    if (region.dirty_days.empty()) continue;
    std::sort(region.dirty_days.begin(), region.dirty_days.end());
    region.dirty_days.erase(std::unique(region.dirty_days.begin(), region.dirty_days.end()),
                            region.dirty_days.end());
    for (int s = 0; s < kSeriesCount; ++s) {
      const int span = internal::SeriesSpan(s);
      Day covered_through = INT32_MIN;  // days up to here are already invalidated
      for (Day x : region.dirty_days) {
        for (Day d = std::max(x, covered_through + 1); d <= x + span - 1; ++d) {
          HistoryEntry* entry = region.Entry(s, d, *base_day_);
          if (entry == nullptr) break;
          if (entry->known) {
            entry->known = false;
            entry->stale = true;
          }
        }
        covered_through = std::max(covered_through, x + span - 1);
      }
    }
    region.dirty_days.clear();
  }
}

InvalidationStats ChartEngine::InvalidateHistory(std::span<const store::CellsVersion> keys) {
  InvalidationStats stats;
  if (!base_day_) return stats;
  for (const store::CellsVersion& key : keys) {
    if (key.region >= kRegionCount) continue;
    RegionState& region = *regions_[key.region];
    int64_t made_stale = 0;
    for (int s = 0; s < kSeriesCount; ++s) {
      const int span = internal::SeriesSpan(s);
      for (Day d = key.day; d <= key.day + span - 1; ++d) {
        HistoryEntry* entry = region.Entry(s, d, *base_day_);
        if (entry == nullptr) break;
        if (entry->known && entry->seq < key.seq) {
          entry->known = false;
          entry->stale = true;
          ++made_stale;
        }
      }
    }
    if (made_stale == 0) continue;
    ++stats.keys;
    stats.editions += made_stale;
    if (!stats.first_day || key.day < *stats.first_day) stats.first_day = key.day;
    if (!stats.last_day || key.day > *stats.last_day) stats.last_day = key.day;
  }
  return stats;
}

void ChartEngine::RebuildState(RegionState& region, Day day) {
  // The windows are nested (7 in 14 in 30 ... in 240): each starts from the previous one's
  // sums and adds only its older days, so every column is read once.
  for (int w = 0; w < kWindowCount; ++w) {
    std::vector<int64_t>& sums = region.sums[w];
    if (w == 0) {
      std::fill(sums.begin(), sums.end(), 0);
    } else {
      sums = region.sums[w - 1];
    }
    const Day newest = w == 0 ? day : day - kWindows[w - 1];
    for (Day d = day - kWindows[w] + 1; d <= newest; ++d) {
      if (const UsesColumn* column = ColumnAt(region.uses, base_day_, d)) {
        for (const UseCell& c : column->cells) sums[c.local] += c.uses;
      }
    }
    region.RecountWindow(w);
  }
  region.state_day = day;
}

void ChartEngine::PositionState(RegionState& region, Day day) {
  if (!region.state_day || *region.state_day > day ||
      day - *region.state_day > kMaxIncrementalSteps) {
    RebuildState(region, day);
    return;
  }
  // Each step reads each column it involves once: the six leaving ones (day d - W leaves
  // window W), the popular windows' first (see SubtractColumn), then day d entering all six.
  for (Day d = *region.state_day + 1; d <= day; ++d) {
    for (int w : {0, 2, 4, 1, 3, 5}) {
      if (const UsesColumn* removed = ColumnAt(region.uses, base_day_, d - kWindows[w]))
        region.SubtractColumn(w, *removed);
    }
    if (const UsesColumn* added = ColumnAt(region.uses, base_day_, d))
      region.AddColumnToAll(*added);
  }
  region.state_day = day;
}

ChartEngine::Selection ChartEngine::SelectTop(RegionState& region, int period_index, Day day) {
  Selection selection;
  const int w = internal::PopularWindow(period_index);
  const std::vector<int64_t>& sums = region.sums[w];
  const size_t count = sums.size();
  const int64_t* values = sums.data();
  // Pass 1: the 100th largest usage (a min-heap of the largest seen), block by block. A
  // block whose bound cannot enter the heap is skipped unread, which after the first blocks
  // is almost every block; a block that is read gets its exact maximum as its new bound.
  constexpr size_t kBlock = RegionState::kSumBlock;
  std::vector<int64_t>& block_bound = region.block_bound[w];
  const size_t block_count = block_bound.size();
  std::vector<int64_t> heap;
  heap.reserve(kTopSize);
  int64_t entry = 0;  // a value enters the heap when it is larger than this
  const size_t ranked = static_cast<size_t>(region.used[w]);
  for (size_t b = 0; b < block_count; ++b) {
    if (block_bound[b] <= entry) continue;
    const size_t begin = b * kBlock;
    const size_t end = std::min(count, begin + kBlock);
    int64_t max_value = 0;
    for (size_t i = begin; i < end; ++i) max_value = std::max(max_value, values[i]);
    block_bound[b] = max_value;
    if (max_value <= entry) continue;
    for (size_t i = begin; i < end; ++i) {
      const int64_t v = values[i];
      if (v <= entry) continue;
      if (heap.size() < kTopSize) {
        heap.push_back(v);
        std::push_heap(heap.begin(), heap.end(), std::greater<>());
      } else {
        std::pop_heap(heap.begin(), heap.end(), std::greater<>());
        heap.back() = v;
        std::push_heap(heap.begin(), heap.end(), std::greater<>());
      }
      if (heap.size() == kTopSize) entry = heap.front();
    }
  }
  selection.ranked_count = ranked;
  if (ranked == 0) return selection;
  const int64_t threshold = heap.size() < kTopSize ? 1 : heap.front();
  // Pass 2: every sound at or above the threshold, ordered by the full key.
  const UsesColumn* today = ColumnAt(region.uses, base_day_, day);
  std::vector<internal::RankKey> candidates;
  for (size_t b = 0; b < block_count; ++b) {
    if (block_bound[b] < threshold) continue;
    const size_t end = std::min(count, (b + 1) * kBlock);
    for (size_t i = b * kBlock; i < end; ++i) {
      if (values[i] < threshold) continue;
      const uint32_t local = static_cast<uint32_t>(i);
      candidates.push_back({values[i], today ? today->Find(local) : 0,
                            clip_ids_[region.local_to_global[local]], local});
    }
  }
  const size_t n = std::min(kTopSize, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + n, candidates.end());
  selection.locals.reserve(n);
  for (size_t i = 0; i < n; ++i) selection.locals.push_back(candidates[i].local);
  return selection;
}

ChartEngine::Selection ChartEngine::SelectSurging(RegionState& region, int period_index, Day) {
  Selection selection;
  const int w = internal::PopularWindow(period_index);
  const std::vector<int64_t>& window = region.sums[w];
  const std::vector<int64_t>& doubled = region.sums[internal::DoubleWindow(period_index)];
  std::vector<int64_t>& bounds = region.surging_bound[period_index];
  constexpr size_t kBlock = RegionState::kSumBlock;
  const size_t count = window.size();
  // Every eligible sound (blocks whose bound says none is are skipped unread; a block read
  // gets its exact bound).
  std::vector<SurgingKey> eligible;
  for (size_t b = 0; b < bounds.size(); ++b) {
    if (bounds[b] < 0) continue;
    const size_t end = std::min(count, (b + 1) * kBlock);
    int64_t max_margin = RegionState::SurgingMargin(0, 0);
    for (size_t i = b * kBlock; i < end; ++i) {
      const int64_t u = window[i];
      const int64_t margin = RegionState::SurgingMargin(u, doubled[i]);
      max_margin = std::max(max_margin, margin);
      if (margin < 0) continue;
      eligible.push_back({u, doubled[i] - u, 0, static_cast<uint32_t>(i)});
    }
    bounds[b] = max_margin;
  }
  selection.ranked_count = eligible.size();
  // Only the sounds that can be in the top 100 need their clip id (the last tie-break, a
  // cache miss or two each, and there are thousands of eligible sounds in a large region):
  // the 100 best by (growth, u), and those tied with the 100th.
  auto end = eligible.end();
  if (eligible.size() > kTopSize) {
    const auto better = [](const SurgingKey& a, const SurgingKey& b) {
      const __int128 x = static_cast<__int128>(a.u + kSurgingSmoothing) * (b.p + kSurgingSmoothing);
      const __int128 y = static_cast<__int128>(b.u + kSurgingSmoothing) * (a.p + kSurgingSmoothing);
      if (x != y) return x > y;
      return a.u > b.u;
    };
    const auto nth = eligible.begin() + (kTopSize - 1);
    std::nth_element(eligible.begin(), nth, eligible.end(), better);
    const SurgingKey pivot = *nth;
    end = std::partition(nth + 1, eligible.end(),
                         [&](const SurgingKey& k) { return !better(pivot, k); });
  }
  for (auto it = eligible.begin(); it != end; ++it)
    it->clip_id = clip_ids_[region.local_to_global[it->local]];
  const size_t n = std::min<size_t>(kTopSize, end - eligible.begin());
  std::partial_sort(eligible.begin(), eligible.begin() + n, end);
  selection.locals.reserve(n);
  for (size_t i = 0; i < n; ++i) selection.locals.push_back(eligible[i].local);
  return selection;
}

bool ChartEngine::RecordTop(RegionState& region, int series, Day day,
                            std::vector<uint32_t> locals) {
  HistoryEntry& entry = region.MutableEntry(series, day, *base_day_);
  static const internal::TopList kNone;
  const internal::TopList& before = entry.top ? *entry.top : kNone;
  if (before == locals) return false;
  auto& listed = region.listed_days[series];
  for (uint32_t local : before) {
    auto& days = listed[local];
    days.erase(std::remove(days.begin(), days.end(), day), days.end());
    if (days.empty()) listed.erase(local);
  }
  for (uint32_t local : locals) {
    auto& days = listed[local];
    days.insert(std::upper_bound(days.begin(), days.end(), day), day);
  }
  entry.top =
      locals.empty() ? nullptr : std::make_shared<const internal::TopList>(std::move(locals));
  return true;
}

store::EditionRecord ChartEngine::ToRecord(const RegionState& region, int series, Day day) const {
  store::EditionRecord record;
  record.kind = internal::SeriesKind(series);
  record.region = region.id;
  record.period = internal::SeriesPeriod(series);
  record.day = day;
  const auto& h = region.history[series];
  const size_t i = static_cast<size_t>(day - *base_day_);
  if (i < h.size()) {
    record.data_seq = h[i].seq;
    if (h[i].top) {
      for (uint32_t local : *h[i].top)
        record.top_clip_ids.push_back(clip_ids_[region.local_to_global[local]]);
    }
  }
  return record;
}

void ChartEngine::LoadEdition(const store::EditionRecord& edition) {
  const auto period_index = PeriodIndex(edition.period);
  if (!period_index || edition.region >= kRegionCount) return;
  RegionState& region = *regions_[edition.region];
  const int series = internal::SeriesIndex(edition.kind, *period_index);
  std::vector<uint32_t> locals;
  for (uint64_t clip : edition.top_clip_ids) {
    if (locals.size() == kTopSize) break;
    locals.push_back(LocalIndex(region, GlobalIndex(clip)));
  }
  EnsureDay(edition.day);
  RecordTop(region, series, edition.day, std::move(locals));
  HistoryEntry& entry = region.MutableEntry(series, edition.day, *base_day_);
  entry.known = true;
  entry.stale = false;
  entry.seq = edition.data_seq;
  if (!history_through_ || edition.day > *history_through_) history_through_ = edition.day;
  ++data_version_;
}

ChartEngine::Selection ChartEngine::ComputeEdition(RegionState& region, int series, Day day,
                                                   std::vector<store::EditionRecord>& records,
                                                   HistoryStats* stats) {
  const int period_index = series % 3;
  Selection selection = internal::SeriesKind(series) == ChartKind::kPopular
                            ? SelectTop(region, period_index, day)
                            : SelectSurging(region, period_index, day);
  const HistoryEntry before = region.MutableEntry(series, day, *base_day_);
  const bool changed = RecordTop(region, series, day, selection.locals);
  HistoryEntry& entry = region.MutableEntry(series, day, *base_day_);
  entry.known = true;
  entry.stale = false;
  // A known edition computed again (Publish recomputes its day) keeps its record unless it
  // changed.
  const bool was_known = before.known;
  if (was_known && !changed) return selection;
  entry.seq = data_seq_;
  if (stats) {
    if (before.stale) {
      ++stats->recomputed;
      stats->changed += changed;
      if (!stats->first_recomputed || day < *stats->first_recomputed) stats->first_recomputed = day;
      if (!stats->last_recomputed || day > *stats->last_recomputed) stats->last_recomputed = day;
    } else if (!was_known) {
      ++stats->computed;
      if (!stats->first_computed || day < *stats->first_computed) stats->first_computed = day;
      if (!stats->last_computed || day > *stats->last_computed) stats->last_computed = day;
    } else {
      ++stats->recomputed;  // differed from its record without a known cause
      ++stats->changed;
    }
  }
  records.push_back(ToRecord(region, series, day));
  return selection;
}

std::vector<store::EditionRecord> ChartEngine::ComputeHistoryThrough(Day day, HistoryStats* stats) {
  std::vector<store::EditionRecord> records;
  NormalizeColumns();
  ResolveDirty();
  if (!first_use_day_) return records;
  for (Day d = *first_use_day_; d <= day; ++d) {
    for (auto& region_ptr : regions_) {
      RegionState& region = *region_ptr;
      if (!region.first_day || d < *region.first_day) continue;
      bool needed = false;
      for (int s = 0; s < kSeriesCount && !needed; ++s) {
        const HistoryEntry* entry = region.Entry(s, d, *base_day_);
        needed = entry == nullptr || !entry->known;
      }
      if (!needed) continue;
      PositionState(region, d);
      for (int s = 0; s < kSeriesCount; ++s) {
        const HistoryEntry* entry = region.Entry(s, d, *base_day_);
        if (entry == nullptr || !entry->known) ComputeEdition(region, s, d, records, stats);
      }
    }
  }
  if (day >= *first_use_day_ && (!history_through_ || day > *history_through_))
    history_through_ = day;
  return records;
}

void ChartEngine::SnapshotIndexes() {
  SoundTable& t = *sounds_;
  if (!t.pending_clips.empty()) {
    std::vector<std::pair<uint64_t, uint32_t>> added;
    added.reserve(t.pending_clips.size());
    for (uint32_t global : t.pending_clips) added.push_back({clip_ids_[global], global});
    std::sort(added.begin(), added.end());
    auto next = std::make_shared<internal::ClipIndex>();
    next->entries.resize(t.clips->entries.size() + added.size());
    std::merge(t.clips->entries.begin(), t.clips->entries.end(), added.begin(), added.end(),
               next->entries.begin());
    t.clips = std::move(next);
    t.pending_clips.clear();
  }
}

namespace {

// The EditionInput::window_uses and previous_uses of a region's editions of `day`, whose top
// locals are `tops` (by series); the region is positioned at `day` and `data` is its
// published RegionData.
void GatherWindowUses(RegionState& region, const internal::RegionData& data, Day day,
                      const std::array<const std::vector<uint32_t>*, kSeriesCount>& tops,
                      std::array<std::vector<int64_t>, kSeriesCount>& window_uses,
                      std::array<std::vector<int64_t>, kSeriesCount>& previous_uses) {
  // The daily uses of every top sound of the region's six editions: the sounds of the
  // 120-day charts over 120 days, the others of the 30-day charts over 30, the rest over 7.
  // What the previous publication read is taken again where its column is still in place
  // (for D after D - 1: every day but D, for the sounds still on the charts); the rest is
  // read from the columns, each column walked forward once per group. Surging editions
  // take p from the window sums (the region is positioned at `day`).
  using Group = RegionState::UsesGroup;
  constexpr int kPeriodCount = static_cast<int>(kPeriods.size());
  constexpr int kSpan = internal::kMaxPeriod;
  const RegionState::GatheredUses& old = region.gathered;
  // Per day of [day - kSpan + 1, day]: the previous publication read the same column.
  std::array<bool, kSpan> kept{};
  if (old.day) {
    for (int i = 0; i < kSpan; ++i) {
      const Day x = day - kSpan + 1 + i;
      const int64_t j = static_cast<int64_t>(x) - (*old.day - kSpan + 1);
      kept[i] = x <= *old.day && j >= 0 && old.columns[j].get() == data.Uses(x);
    }
  }
  std::array<Group, kPeriodCount> groups;
  auto find_in = [](const Group& g, uint32_t local) -> const int64_t* {
    auto it = std::lower_bound(g.locals.begin(), g.locals.end(), local);
    if (it == g.locals.end() || *it != local) return nullptr;
    return &g.uses[static_cast<size_t>(it - g.locals.begin()) * g.days];
  };
  // Reads the uses of `locals` (sorted; their rows in g) on the days of g's window whose
  // `wanted` flag is set (index: day - (day - kSpan + 1)).
  auto read = [&](Group& g, const std::vector<uint32_t>& locals, const std::vector<size_t>& rows,
                  const std::array<bool, kSpan>& wanted) {
    if (locals.empty()) return;
    const Day first = day - g.days + 1;
    for (int d = 0; d < g.days; ++d) {
      if (!wanted[kSpan - g.days + d]) continue;
      const UsesColumn* column = data.Uses(first + d);
      if (column == nullptr || column->cells.empty()) continue;
      const UseCell* at = column->cells.data();
      const UseCell* end = at + column->cells.size();
      for (size_t k = 0; k < locals.size(); ++k) {
        at = GallopLowerBound(at, end, locals[k]);
        if (at == end) break;
        if (at->local == locals[k]) g.uses[rows[k] * g.days + d] = at->uses;
      }
    }
  };
  std::array<bool, kSpan> all;
  all.fill(true);
  std::array<bool, kSpan> changed;
  for (int i = 0; i < kSpan; ++i) changed[i] = !kept[i];
  for (int k = kPeriodCount - 1; k >= 0; --k) {
    Group& g = groups[k];
    g.days = kPeriods[k];
    for (int s : {k, k + kPeriodCount}) {
      for (uint32_t local : *tops[s]) {
        bool held = false;
        for (int j = k + 1; j < kPeriodCount && !held; ++j) held = find_in(groups[j], local);
        if (!held) g.locals.push_back(local);
      }
    }
    std::sort(g.locals.begin(), g.locals.end());
    g.locals.erase(std::unique(g.locals.begin(), g.locals.end()), g.locals.end());
    g.uses.assign(g.locals.size() * static_cast<size_t>(g.days), 0);
    const Day first = day - g.days + 1;
    std::vector<uint32_t> hit_locals, miss_locals;
    std::vector<size_t> hit_rows, miss_rows;
    for (size_t r = 0; r < g.locals.size(); ++r) {
      const uint32_t local = g.locals[r];
      const int64_t* row = nullptr;
      Day row_first = 0;
      if (old.day) {
        for (int j = k; j < kPeriodCount && row == nullptr; ++j) {
          row_first = *old.day - old.groups[j].days + 1;
          if (row_first <= first) row = find_in(old.groups[j], local);
        }
      }
      if (row == nullptr) {
        miss_locals.push_back(local);
        miss_rows.push_back(r);
        continue;
      }
      hit_locals.push_back(local);
      hit_rows.push_back(r);
      int64_t* out = &g.uses[r * g.days];
      for (int d = 0; d < g.days; ++d) {
        if (kept[kSpan - g.days + d]) out[d] = row[first + d - row_first];
      }
    }
    read(g, hit_locals, hit_rows, changed);
    read(g, miss_locals, miss_rows, all);
  }
  for (int s = 0; s < kSeriesCount; ++s) {
    const int k = s % kPeriodCount;
    const int period = kPeriods[k];
    const std::vector<uint32_t>& locals = *tops[s];
    window_uses[s].reserve(locals.size() * period);
    for (uint32_t local : locals) {
      for (int j = k; j < kPeriodCount; ++j) {
        if (const int64_t* row = find_in(groups[j], local)) {
          const int64_t* window = row + (groups[j].days - period);
          window_uses[s].insert(window_uses[s].end(), window, window + period);
          break;
        }
      }
    }
    if (internal::SeriesKind(s) == ChartKind::kSurging) {
      const std::vector<int64_t>& u = region.sums[internal::PopularWindow(k)];
      const std::vector<int64_t>& doubled = region.sums[internal::DoubleWindow(k)];
      previous_uses[s].reserve(locals.size());
      for (uint32_t local : locals) previous_uses[s].push_back(doubled[local] - u[local]);
    }
  }
  RegionState::GatheredUses& next = region.gathered;
  next.day = day;
  next.columns.resize(kSpan);
  for (int i = 0; i < kSpan; ++i) {
    const Day x = day - kSpan + 1 + i;
    const int64_t j = static_cast<int64_t>(x) - data.base_day;
    next.columns[i] = j >= 0 && j < static_cast<int64_t>(data.uses.size()) ? data.uses[j] : nullptr;
  }
  next.groups = std::move(groups);
}

}  // namespace

std::shared_ptr<const ChartSet> ChartEngine::Publish(
    Day day, std::vector<store::EditionRecord>* new_editions, HistoryStats* stats) {
  NormalizeColumns();
  std::vector<store::EditionRecord> records = ComputeHistoryThrough(day - 1, stats);
  SnapshotIndexes();
  internal::ChartSetData data;
  data.day = day;
  data.first_day = first_use_day_;
  data.sounds = std::make_shared<const internal::SoundsSnapshot>(sounds_->table.TakeSnapshot());
  data.clips = sounds_->clips;
  std::array<std::array<Selection, kSeriesCount>, kRegionCount> selections;
  const bool any_data = first_use_day_ && day >= *first_use_day_;
  for (auto& region_ptr : regions_) {
    RegionState& region = *region_ptr;
    if (!region.first_day) continue;
    if (any_data && day >= *region.first_day) {
      PositionState(region, day);
      for (int s = 0; s < kSeriesCount; ++s)
        selections[region.id][s] = ComputeEdition(region, s, day, records, stats);
    }
    auto snapshot = std::make_shared<internal::RegionData>();
    snapshot->region = region.id;
    snapshot->base_day = *base_day_;
    snapshot->uses.assign(region.uses.begin(), region.uses.end());
    snapshot->videos.assign(region.videos.begin(), region.videos.end());
    snapshot->local_to_global = region.local_to_global.TakeSnapshot();
    snapshot->global_to_local = region.global_to_local.TakeSnapshot();
    snapshot->first_use = region.first_use.TakeSnapshot();
    for (int s = 0; s < kSeriesCount; ++s) {
      const auto& h = region.history[s];
      const size_t n = std::min(h.size(), static_cast<size_t>(std::max(0, day - *base_day_ + 1)));
      snapshot->history[s].reserve(n);
      for (size_t i = 0; i < n; ++i) snapshot->history[s].push_back(h[i].top);
    }
    data.regions[region.id] = std::move(snapshot);
  }
  auto chart_set = std::make_shared<internal::ChartSetImpl>(std::move(data));
  if (any_data) {
    for (auto& region_ptr : regions_) {
      RegionState& region = *region_ptr;
      if (!region.first_day || day < *region.first_day) continue;
      std::array<const std::vector<uint32_t>*, kSeriesCount> tops;
      for (int s = 0; s < kSeriesCount; ++s) tops[s] = &selections[region.id][s].locals;
      std::array<std::vector<int64_t>, kSeriesCount> window_uses, previous_uses;
      GatherWindowUses(region, *chart_set->region_data(region.id), day, tops, window_uses,
                       previous_uses);
      for (int s = 0; s < kSeriesCount; ++s) {
        Selection& selection = selections[region.id][s];
        if (selection.locals.empty()) continue;
        internal::EditionInput input;
        input.region = chart_set->region_data(region.id);
        input.sounds = chart_set->sounds();
        input.kind = internal::SeriesKind(s);
        input.period = internal::SeriesPeriod(s);
        input.day = day;
        input.ranked_count = selection.ranked_count;
        std::vector<internal::ListingInfo> listings;
        listings.reserve(selection.locals.size());
        for (uint32_t local : selection.locals) {
          const std::vector<Day>& days = region.listed_days[s].at(local);
          const auto count = std::upper_bound(days.begin(), days.end(), day) - days.begin();
          listings.push_back({local, static_cast<int32_t>(count), days.front()});
        }
        std::sort(listings.begin(), listings.end(),
                  [](const internal::ListingInfo& a, const internal::ListingInfo& b) {
                    return a.local < b.local;
                  });
        input.listings = std::move(listings);
        input.top_locals = std::move(selection.locals);
        input.window_uses = std::move(window_uses[s]);
        input.previous_uses = std::move(previous_uses[s]);
        chart_set->Set(s, region.id, std::make_unique<internal::EditionImpl>(std::move(input)));
      }
    }
    if (!history_through_ || day > *history_through_) history_through_ = day;
  }
  if (new_editions) {
    new_editions->insert(new_editions->end(), std::make_move_iterator(records.begin()),
                         std::make_move_iterator(records.end()));
  }
  return chart_set;
}

std::optional<Day> ChartEngine::first_day() const { return first_use_day_; }
std::optional<Day> ChartEngine::last_day() const { return last_use_day_; }

EngineStats ChartEngine::Stats() const {
  EngineStats stats;
  stats.sounds = static_cast<int64_t>(clip_ids_.size());
  stats.region_sounds = region_sound_count_;
  for (const auto& region : regions_) {
    for (const auto& column : region->uses)
      if (column) stats.cells += static_cast<int64_t>(column->cells.size());
    for (const auto& column : region->videos)
      if (column) stats.videos += static_cast<int64_t>(column->cells.size());
  }
  stats.first_day = first_use_day_;
  stats.last_day = last_use_day_;
  stats.history_through = history_through_;
  return stats;
}

}  // namespace soundtrend::engine
