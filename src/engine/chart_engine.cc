#include "engine/chart_engine.h"

#include <algorithm>
#include <cassert>
#include <functional>

#include "common/text_fold.h"
#include "engine/chunked_array.h"
#include "engine/edition_impl.h"

namespace soundtrend::engine {

namespace internal {

// Open-addressing hash map from a global sound index to a region's dense index.
class DenseIndexMap {
 public:
  DenseIndexMap() : slots_(16, kEmpty), mask_(15) {}

  // The value of `key`, or UINT32_MAX when absent.
  uint32_t Find(uint32_t key) const {
    for (size_t i = Hash(key) & mask_;; i = (i + 1) & mask_) {
      const uint64_t slot = slots_[i];
      if (slot == kEmpty) return UINT32_MAX;
      if (static_cast<uint32_t>(slot >> 32) == key) return static_cast<uint32_t>(slot);
    }
  }
  // Inserts a key that is not present.
  void Insert(uint32_t key, uint32_t value) {
    if ((size_ + 1) * 10 > slots_.size() * 7) Grow();
    Place(key, value);
    ++size_;
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static size_t Hash(uint32_t key) { return (key * 0x9E3779B97F4A7C15ULL) >> 20; }
  void Place(uint32_t key, uint32_t value) {
    size_t i = Hash(key) & mask_;
    while (slots_[i] != kEmpty) i = (i + 1) & mask_;
    slots_[i] = (uint64_t{key} << 32) | value;
  }
  void Grow() {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(old.size() * 2, kEmpty);
    mask_ = slots_.size() - 1;
    for (uint64_t slot : old)
      if (slot != kEmpty) Place(static_cast<uint32_t>(slot >> 32), static_cast<uint32_t>(slot));
  }
  std::vector<uint64_t> slots_;
  size_t mask_;
  size_t size_ = 0;
};

struct RegionState {
  RegionId id = 0;
  DenseIndexMap global_to_local;
  ChunkedArray<uint32_t> local_to_global;
  ChunkedArray<Day> first_use;
  std::vector<std::shared_ptr<UsesColumn>> uses;  // index: day - base day
  std::vector<std::shared_ptr<VideoColumn>> videos;
  std::array<std::vector<int64_t>, 3> sums;  // window sums per period index, by local
  // Per period, per block of kSumBlock locals: an upper bound of the block's sums (exact
  // after a rebuild or a scan; only raised by additions, so still an upper bound after
  // subtractions). Lets the top-100 selection skip blocks without reading them.
  std::array<std::vector<int64_t>, 3> block_bound;
  std::array<int64_t, 3> used{};  // per period: locals with a positive sum

  static constexpr size_t kSumBlock = 256;
  void AddToSum(int p, uint32_t local, int64_t delta) {
    int64_t& sum = sums[p][local];
    const int64_t before = sum;
    sum += delta;
    used[p] += (sum > 0) - (before > 0);
    int64_t& bound = block_bound[p][local / kSumBlock];
    if (sum > bound) bound = sum;
  }
  // Recomputes the exact bounds and counts of period p from the sums.
  void RecountPeriod(int p) {
    const std::vector<int64_t>& values = sums[p];
    int64_t positive = 0;
    for (size_t b = 0; b < block_bound[p].size(); ++b) {
      const size_t end = std::min(values.size(), (b + 1) * kSumBlock);
      int64_t max_value = 0;
      for (size_t i = b * kSumBlock; i < end; ++i) {
        max_value = std::max(max_value, values[i]);
        positive += values[i] > 0;
      }
      block_bound[p][b] = max_value;
    }
    used[p] = positive;
  }
};

}  // namespace internal

using internal::RegionState;
using internal::SoundInfo;
using internal::SoundPtr;
using internal::UseCell;
using internal::UsesColumn;
using internal::VideoCell;
using internal::VideoColumn;

struct ChartEngine::SoundTable {
  ChunkedArray<SoundPtr> table;
};

namespace {

// Steps of one day beyond which the window sums are rebuilt from the columns instead.
constexpr Day kMaxIncrementalSteps = 25;
constexpr size_t kTopSize = 100;

template <typename Column>
const Column* ColumnAt(const std::vector<std::shared_ptr<Column>>& columns, std::optional<Day> base,
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
  history_.resize(kRegionCount * kPeriodCount);
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
  return it->second;
}

uint32_t ChartEngine::LocalIndex(RegionState& region, uint32_t global) {
  uint32_t local = region.global_to_local.Find(global);
  if (local != UINT32_MAX) return local;
  local = static_cast<uint32_t>(region.local_to_global.size());
  region.global_to_local.Insert(global, local);
  region.local_to_global.PushBack(global);
  region.first_use.PushBack(internal::kNeverUsed);
  for (int p = 0; p < kPeriodCount; ++p) {
    region.sums[p].push_back(0);
    if (local % RegionState::kSumBlock == 0) region.block_bound[p].push_back(0);
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
  if (!first_use_day_ || uses.day < *first_use_day_) first_use_day_ = uses.day;
  if (!last_use_day_ || uses.day > *last_use_day_) last_use_day_ = uses.day;
  if (state_day_) {
    for (int p = 0; p < kPeriodCount; ++p) {
      if (uses.day <= *state_day_ && uses.day > *state_day_ - kPeriods[p])
        region.AddToSum(p, local, amount);
    }
  }
  ++data_version_;
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

void ChartEngine::RebuildState(Day day) {
  for (auto& region_ptr : regions_) {
    RegionState& region = *region_ptr;
    // The windows are nested (7 in 30 in 120): each period starts from the previous one's
    // sums and adds only its older days, so every column is read once.
    for (int p = 0; p < kPeriodCount; ++p) {
      std::vector<int64_t>& sums = region.sums[p];
      if (p == 0) {
        std::fill(sums.begin(), sums.end(), 0);
      } else {
        sums = region.sums[p - 1];
      }
      const Day newest = p == 0 ? day : day - kPeriods[p - 1];
      for (Day d = day - kPeriods[p] + 1; d <= newest; ++d) {
        if (const UsesColumn* column = ColumnAt(region.uses, base_day_, d)) {
          for (const UseCell& c : column->cells) sums[c.local] += c.uses;
        }
      }
      region.RecountPeriod(p);
    }
  }
  state_day_ = day;
}

void ChartEngine::PositionState(Day day) {
  if (!state_day_ || *state_day_ > day || day - *state_day_ > kMaxIncrementalSteps) {
    RebuildState(day);
    return;
  }
  for (Day d = *state_day_ + 1; d <= day; ++d) {
    for (auto& region_ptr : regions_) {
      RegionState& region = *region_ptr;
      const UsesColumn* added = ColumnAt(region.uses, base_day_, d);
      for (int p = 0; p < kPeriodCount; ++p) {
        if (added)
          for (const UseCell& c : added->cells) region.AddToSum(p, c.local, c.uses);
        if (const UsesColumn* removed = ColumnAt(region.uses, base_day_, d - kPeriods[p])) {
          for (const UseCell& c : removed->cells) region.AddToSum(p, c.local, -int64_t{c.uses});
        }
      }
    }
  }
  state_day_ = day;
}

ChartEngine::Selection ChartEngine::SelectTop(RegionState& region, int period_index, Day day) {
  Selection selection;
  const std::vector<int64_t>& sums = region.sums[period_index];
  const size_t count = sums.size();
  const int64_t* values = sums.data();
  // Pass 1: the 100th largest usage (a min-heap of the largest seen), block by block. A
  // block whose bound cannot enter the heap is skipped unread, which after the first blocks
  // is almost every block; a block that is read gets its exact maximum as its new bound.
  constexpr size_t kBlock = RegionState::kSumBlock;
  std::vector<int64_t>& block_bound = region.block_bound[period_index];
  const size_t block_count = block_bound.size();
  std::vector<int64_t> heap;
  heap.reserve(kTopSize);
  int64_t entry = 0;  // a value enters the heap when it is larger than this
  const size_t ranked = static_cast<size_t>(region.used[period_index]);
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
  selection.usage.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    selection.locals.push_back(candidates[i].local);
    selection.usage.push_back(candidates[i].usage);
  }
  return selection;
}

bool ChartEngine::RecordTop(RegionId region, int period_index, Day day,
                            std::vector<uint32_t> locals) {
  History& history = history_[region * kPeriodCount + period_index];
  auto existing = history.tops.find(day);
  if (existing == history.tops.end()) {
    if (locals.empty()) return false;
  } else {
    if (existing->second == locals) return false;
    for (uint32_t local : existing->second) {
      auto& days = history.listed_days[local];
      days.erase(std::remove(days.begin(), days.end(), day), days.end());
      if (days.empty()) history.listed_days.erase(local);
    }
  }
  for (uint32_t local : locals) {
    auto& days = history.listed_days[local];
    days.insert(std::upper_bound(days.begin(), days.end(), day), day);
  }
  history.tops[day] = std::move(locals);
  return true;
}

store::EditionRecord ChartEngine::ToRecord(RegionId region, int period_index, Day day) const {
  store::EditionRecord record;
  record.region = region;
  record.period = kPeriods[period_index];
  record.day = day;
  const History& history = history_[region * kPeriodCount + period_index];
  auto it = history.tops.find(day);
  if (it != history.tops.end()) {
    const RegionState& state = *regions_[region];
    for (uint32_t local : it->second)
      record.top_clip_ids.push_back(clip_ids_[state.local_to_global[local]]);
  }
  return record;
}

void ChartEngine::LoadEdition(const store::EditionRecord& edition) {
  const auto period_index = PeriodIndex(edition.period);
  if (!period_index || edition.region >= kRegionCount) return;
  RegionState& region = *regions_[edition.region];
  std::vector<uint32_t> locals;
  for (uint64_t clip : edition.top_clip_ids) {
    if (locals.size() == kTopSize) break;
    locals.push_back(LocalIndex(region, GlobalIndex(clip)));
  }
  RecordTop(edition.region, *period_index, edition.day, std::move(locals));
  if (!history_through_ || edition.day > *history_through_) history_through_ = edition.day;
  ++data_version_;
}

std::vector<store::EditionRecord> ChartEngine::ComputeHistoryThrough(Day day) {
  std::vector<store::EditionRecord> records;
  NormalizeColumns();
  if (!first_use_day_) return records;
  Day start = *first_use_day_;
  if (history_through_) start = std::max(start, *history_through_ + 1);
  for (Day d = start; d <= day; ++d) {
    PositionState(d);
    for (auto& region : regions_) {
      for (int p = 0; p < kPeriodCount; ++p) {
        Selection selection = SelectTop(*region, p, d);
        if (RecordTop(region->id, p, d, std::move(selection.locals)))
          records.push_back(ToRecord(region->id, p, d));
      }
    }
  }
  if (day >= start && (!history_through_ || day > *history_through_)) history_through_ = day;
  return records;
}

std::shared_ptr<const ChartSet> ChartEngine::Publish(
    Day day, std::vector<store::EditionRecord>* new_editions) {
  NormalizeColumns();
  auto chart_set = std::make_shared<internal::ChartSetImpl>(day);
  if (!first_use_day_ || day < *first_use_day_) return chart_set;
  std::vector<store::EditionRecord> history = ComputeHistoryThrough(day - 1);
  if (new_editions) {
    new_editions->insert(new_editions->end(), std::make_move_iterator(history.begin()),
                         std::make_move_iterator(history.end()));
  }
  PositionState(day);
  auto sounds = std::make_shared<const internal::SoundsSnapshot>(sounds_->table.TakeSnapshot());
  for (auto& region_ptr : regions_) {
    RegionState& region = *region_ptr;
    std::shared_ptr<const internal::RegionSnapshot> snapshot;
    for (int p = 0; p < kPeriodCount; ++p) {
      Selection selection = SelectTop(region, p, day);
      if (RecordTop(region.id, p, day, selection.locals) && new_editions)
        new_editions->push_back(ToRecord(region.id, p, day));
      if (selection.locals.empty()) continue;
      if (!snapshot) {
        auto s = std::make_shared<internal::RegionSnapshot>();
        s->region = region.id;
        s->day = day;
        for (int i = 0; i < internal::kMaxPeriod; ++i) {
          const Day d = day - internal::kMaxPeriod + 1 + i;
          if (base_day_ && d >= *base_day_) {
            const size_t index = static_cast<size_t>(d - *base_day_);
            if (index < region.uses.size()) s->uses[i] = region.uses[index];
            if (index < region.videos.size()) s->videos[i] = region.videos[index];
          }
        }
        s->local_to_global = region.local_to_global.TakeSnapshot();
        s->first_use = region.first_use.TakeSnapshot();
        snapshot = std::move(s);
      }
      internal::EditionInput input;
      input.region = snapshot;
      input.sounds = sounds;
      input.period = kPeriods[p];
      input.top_locals = std::move(selection.locals);
      input.top_usage = std::move(selection.usage);
      input.ranked_count = selection.ranked_count;
      const History& history = history_[region.id * kPeriodCount + p];
      auto previous = history.tops.find(day - kPeriods[p]);
      if (previous != history.tops.end()) {
        for (size_t i = 0; i < previous->second.size(); ++i)
          input.previous_ranks.push_back({previous->second[i], static_cast<int32_t>(i + 1)});
        std::sort(input.previous_ranks.begin(), input.previous_ranks.end());
      }
      for (const auto& [local, days] : history.listed_days) {
        const auto count = std::upper_bound(days.begin(), days.end(), day) - days.begin();
        if (count > 0) input.listings.push_back({local, static_cast<int32_t>(count), days.front()});
      }
      std::sort(input.listings.begin(), input.listings.end(),
                [](const internal::ListingInfo& a, const internal::ListingInfo& b) {
                  return a.local < b.local;
                });
      chart_set->Set(region.id, p, std::make_unique<internal::EditionImpl>(std::move(input)));
    }
  }
  if (!history_through_ || day > *history_through_) history_through_ = day;
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
