#include "engine/edition_impl.h"

#include <algorithm>

#include "engine/surging.h"
#include "engine/trend.h"

namespace soundtrend::engine::internal {

int64_t UsesColumn::Find(uint32_t local) const {
  auto it = std::lower_bound(cells.begin(), cells.end(), local,
                             [](const UseCell& c, uint32_t l) { return c.local < l; });
  return (it != cells.end() && it->local == local) ? it->uses : 0;
}

const UseCell* GallopLowerBound(const UseCell* first, const UseCell* last, uint32_t local) {
  size_t step = 1;
  const UseCell* low = first;
  while (low + step < last && (low + step)->local < local) {
    low += step;
    step *= 2;
  }
  const UseCell* high = low + step < last ? low + step + 1 : last;
  return std::lower_bound(low, high, local,
                          [](const UseCell& c, uint32_t l) { return c.local < l; });
}

void UsesColumn::Normalize() {
  if (normalized) return;
  std::sort(cells.begin(), cells.end(),
            [](const UseCell& a, const UseCell& b) { return a.local < b.local; });
  size_t out = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (out > 0 && cells[out - 1].local == cells[i].local) {
      const uint64_t sum = uint64_t{cells[out - 1].uses} + cells[i].uses;
      cells[out - 1].uses = static_cast<uint32_t>(std::min<uint64_t>(sum, UINT32_MAX));
    } else {
      cells[out++] = cells[i];
    }
  }
  cells.resize(out);
  cells.shrink_to_fit();
  normalized = true;
}

void VideoColumn::Normalize() {
  if (normalized) return;
  std::sort(cells.begin(), cells.end(), [](const VideoCell& a, const VideoCell& b) {
    if (a.local != b.local) return a.local < b.local;
    if (a.views != b.views) return a.views > b.views;
    return a.video_id < b.video_id;
  });
  std::vector<VideoCell> kept;
  kept.reserve(cells.size());
  size_t group_start = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0 && cells[i].local != cells[i - 1].local) group_start = kept.size();
    const size_t in_group = kept.size() - group_start;
    if (in_group >= 4) continue;
    bool duplicate = false;
    for (size_t k = group_start; k < kept.size(); ++k)
      if (kept[k].video_id == cells[i].video_id) duplicate = true;
    if (!duplicate) kept.push_back(std::move(cells[i]));
  }
  cells = std::move(kept);
  normalized = true;
}

namespace {

int64_t Sum(const int64_t* values, int n) {
  int64_t total = 0;
  for (int i = 0; i < n; ++i) total += values[i];
  return total;
}

}  // namespace

void RegionData::GatherUses(const std::vector<uint32_t>& sorted_locals, Day first, int days,
                            std::vector<int64_t>& out) const {
  const size_t n = sorted_locals.size();
  out.assign(n * static_cast<size_t>(days), 0);
  for (int d = 0; d < days; ++d) {
    const UsesColumn* column = Uses(first + d);
    if (column == nullptr || column->cells.empty()) continue;
    const UseCell* at = column->cells.data();
    const UseCell* end = at + column->cells.size();
    for (size_t k = 0; k < n; ++k) {
      at = GallopLowerBound(at, end, sorted_locals[k]);
      if (at == end) break;
      if (at->local == sorted_locals[k]) out[k * days + d] = at->uses;
    }
  }
}

EditionImpl::EditionImpl(EditionInput input) : in_(std::move(input)) {
  series_ = SeriesIndex(in_.kind, *PeriodIndex(in_.period));
  span_ = SeriesSpan(series_);
  if (const TopList* previous = in_.region->Top(series_, in_.day - in_.period)) {
    previous_ranks_.reserve(previous->size());
    for (size_t i = 0; i < previous->size(); ++i)
      previous_ranks_.push_back({(*previous)[i], static_cast<int32_t>(i + 1)});
    std::sort(previous_ranks_.begin(), previous_ranks_.end());
  }
  const size_t n = in_.top_locals.size();
  top_.reserve(n);
  const size_t period = static_cast<size_t>(in_.period);
  const bool surging = in_.kind == ChartKind::kSurging;
  if (in_.window_uses.size() == n * period && (!surging || in_.previous_uses.size() == n)) {
    // Given by the engine.
    const std::vector<int64_t> window = std::move(in_.window_uses);
    const std::vector<int64_t> previous = std::move(in_.previous_uses);
    in_.window_uses.clear();
    in_.previous_uses.clear();
    for (size_t i = 0; i < n; ++i) {
      top_.push_back(BuildEntry(in_.top_locals[i], static_cast<int32_t>(i + 1), &window[i * period],
                                surging ? std::optional<int64_t>(previous[i]) : std::nullopt));
    }
    return;
  }
  in_.window_uses.clear();
  in_.previous_uses.clear();
  // The top sounds' daily uses over the span, gathered column by column with the sounds in
  // local order, so each column is walked forward once instead of searched 100 times.
  std::vector<std::pair<uint32_t, uint32_t>> by_local(n);  // (local, entry)
  for (size_t i = 0; i < n; ++i) by_local[i] = {in_.top_locals[i], static_cast<uint32_t>(i)};
  std::sort(by_local.begin(), by_local.end());
  std::vector<uint32_t> sorted(n);
  for (size_t k = 0; k < n; ++k) sorted[k] = by_local[k].first;
  std::vector<int64_t> uses;
  in_.region->GatherUses(sorted, in_.day - span_ + 1, span_, uses);
  std::vector<size_t> row_of(n);
  for (size_t k = 0; k < n; ++k) row_of[by_local[k].second] = k;
  for (size_t i = 0; i < n; ++i) {
    const int64_t* span = &uses[row_of[i] * static_cast<size_t>(span_)];
    top_.push_back(
        BuildEntry(in_.top_locals[i], static_cast<int32_t>(i + 1), span + (span_ - in_.period),
                   surging ? std::optional<int64_t>(Sum(span, in_.period)) : std::nullopt));
  }
}

size_t EditionImpl::ranked_count() const {
  if (in_.ranked_count) return *in_.ranked_count;
  PrepareSearch();
  return full_order_.size();
}

void EditionImpl::ComputeListings() const {
  std::call_once(listings_once_, [this] {
    const RegionData& region = *in_.region;
    std::vector<std::pair<uint32_t, Day>> listed;  // (local, day)
    for (Day d = region.base_day; d <= in_.day; ++d) {
      const TopList* top = region.Top(series_, d);
      if (top == nullptr) continue;
      for (uint32_t local : *top) listed.push_back({local, d});
    }
    std::sort(listed.begin(), listed.end());
    for (size_t i = 0; i < listed.size();) {
      size_t j = i;
      while (j < listed.size() && listed[j].first == listed[i].first) ++j;
      all_listings_.push_back({listed[i].first, static_cast<int32_t>(j - i), listed[i].second});
      i = j;
    }
  });
}

const ListingInfo* EditionImpl::ListingOf(uint32_t local) const {
  auto find = [local](const std::vector<ListingInfo>& listings) -> const ListingInfo* {
    auto it = std::lower_bound(listings.begin(), listings.end(), local,
                               [](const ListingInfo& l, uint32_t x) { return l.local < x; });
    return it != listings.end() && it->local == local ? &*it : nullptr;
  };
  if (in_.listings) {
    if (const ListingInfo* found = find(*in_.listings)) return found;
  }
  ComputeListings();
  return find(all_listings_);
}

ChartEntry EditionImpl::BuildEntry(uint32_t local, int32_t rank, const int64_t* window,
                                   std::optional<int64_t> previous) const {
  const RegionData& region = *in_.region;
  const int period = in_.period;
  const Day day = in_.day;
  const Day window_start = day - period + 1;

  std::vector<int64_t> span_uses;
  if (window == nullptr) {
    const Day span_start = day - span_ + 1;
    span_uses.assign(span_, 0);
    for (int i = 0; i < span_; ++i) {
      if (const UsesColumn* column = region.Uses(span_start + i))
        span_uses[i] = column->Find(local);
    }
    window = span_uses.data() + (span_ - period);
    if (in_.kind == ChartKind::kSurging) previous = Sum(span_uses.data(), period);
  }

  ChartEntry entry;
  entry.sound = (*in_.sounds)[region.local_to_global[local]]->record;
  entry.rank = rank;
  entry.usage_count = Sum(window, period);
  if (in_.kind == ChartKind::kSurging) {
    entry.growth_hundredths = GrowthHundredths(entry.usage_count, *previous);
  }

  auto prev = std::lower_bound(
      previous_ranks_.begin(), previous_ranks_.end(), local,
      [](const std::pair<uint32_t, int32_t>& p, uint32_t l) { return p.first < l; });
  if (prev != previous_ranks_.end() && prev->first == local) {
    const int32_t before = prev->second;
    if (rank == 0) {  // on the previous chart, not ranked now: down, by no number of places
      entry.rank_diff.reset();
      entry.rank_diff_type = 3;
    } else {
      entry.rank_diff = before > rank ? before - rank : rank - before;
      entry.rank_diff_type = before > rank ? 1 : (before == rank ? 2 : 3);
    }
  } else {
    entry.rank_diff.reset();
    entry.rank_diff_type = 4;
  }

  if (const ListingInfo* listing = ListingOf(local)) {
    entry.on_list_times = listing->count;
    entry.new_to_top_100 = listing->first_day >= window_start;
  } else {
    entry.on_list_times = 0;
    entry.new_to_top_100 = true;
  }

  entry.trend =
      ComputeTrend(period, day, std::span<const int64_t>(window, period), region.first_use[local]);

  std::vector<const VideoCell*> videos;
  for (Day d = window_start; d <= day; ++d) {
    const VideoColumn* column = region.Videos(d);
    if (column == nullptr) continue;
    auto it = std::lower_bound(column->cells.begin(), column->cells.end(), local,
                               [](const VideoCell& c, uint32_t l) { return c.local < l; });
    for (; it != column->cells.end() && it->local == local; ++it) videos.push_back(&*it);
  }
  std::sort(videos.begin(), videos.end(), [](const VideoCell* a, const VideoCell* b) {
    if (a->views != b->views) return a->views > b->views;
    return a->video_id < b->video_id;
  });
  for (const VideoCell* v : videos) {
    if (entry.related.size() == 4) break;
    bool duplicate = false;
    for (const RelatedVideo& r : entry.related) duplicate |= r.item_id == v->video_id;
    if (!duplicate) entry.related.push_back({v->video_id, v->cover});
  }
  return entry;
}

void EditionImpl::ComputeFullRanking() const {
  const RegionData& region = *in_.region;
  const size_t local_count = region.local_to_global.size();
  const Day day = in_.day;
  const int period = in_.period;
  // Sums over the window (u) and, for surging, over the window before it (p).
  std::vector<int64_t> sums(local_count, 0);
  std::vector<int64_t> previous;
  std::vector<uint32_t> touched;
  for (Day d = day - period + 1; d <= day; ++d) {
    const UsesColumn* column = region.Uses(d);
    if (column == nullptr) continue;
    for (const UseCell& c : column->cells) {
      if (sums[c.local] == 0) touched.push_back(c.local);
      sums[c.local] += c.uses;
    }
  }
  auto clip_of = [&](uint32_t local) {
    return (*in_.sounds)[region.local_to_global[local]]->record->clip_id;
  };
  if (in_.kind == ChartKind::kPopular) {
    // Uses on the day, by local (one pass over the day's column, not a search per sound).
    std::vector<uint32_t> today_uses(local_count, 0);
    if (const UsesColumn* today = region.Uses(day)) {
      for (const UseCell& c : today->cells) today_uses[c.local] = c.uses;
    }
    std::vector<RankKey> keys;
    keys.reserve(touched.size());
    for (uint32_t local : touched)
      keys.push_back({sums[local], today_uses[local], clip_of(local), local});
    std::sort(keys.begin(), keys.end());
    full_order_.reserve(keys.size());
    for (const RankKey& k : keys) full_order_.push_back(k.local);
  } else {
    previous.assign(local_count, 0);
    for (Day d = day - 2 * period + 1; d <= day - period; ++d) {
      const UsesColumn* column = region.Uses(d);
      if (column == nullptr) continue;
      for (const UseCell& c : column->cells) previous[c.local] += c.uses;
    }
    std::vector<SurgingKey> keys;
    for (uint32_t local : touched) {
      if (SurgingEligible(sums[local], previous[local]))
        keys.push_back({sums[local], previous[local], clip_of(local), local});
    }
    std::sort(keys.begin(), keys.end());
    full_order_.reserve(keys.size());
    for (const SurgingKey& k : keys) full_order_.push_back(k.local);
  }
  record_start_.reserve(full_order_.size() + 1);
  title_size_.reserve(full_order_.size());
  for (uint32_t local : full_order_) {
    const SoundInfo& info = *(*in_.sounds)[region.local_to_global[local]];
    record_start_.push_back(static_cast<uint32_t>(text_.size()));
    title_size_.push_back(static_cast<uint32_t>(info.folded_title.size()));
    text_.append(info.folded_title).push_back('\0');
    text_.append(info.folded_author).push_back('\0');
  }
  record_start_.push_back(static_cast<uint32_t>(text_.size()));
}

void EditionImpl::PrepareSearch() const {
  std::call_once(full_once_, [this] {
    ComputeFullRanking();
    ComputeListings();
    full_builds_.fetch_add(1, std::memory_order_relaxed);
    full_ready_.store(true, std::memory_order_release);
  });
}

int32_t EditionImpl::RankOf(uint32_t local) const {
  for (size_t i = 0; i < top_.size(); ++i)
    if (in_.top_locals[i] == local) return static_cast<int32_t>(i + 1);
  if (top_.size() < kTopSize) return 0;  // the whole ranking is the top
  PrepareSearch();
  auto it = std::find(full_order_.begin(), full_order_.end(), local);
  return it == full_order_.end() ? 0 : static_cast<int32_t>(it - full_order_.begin() + 1);
}

ChartEntry EditionImpl::EntryOf(uint32_t local, int32_t rank) const {
  if (rank >= 1 && static_cast<size_t>(rank) <= top_.size() && in_.top_locals[rank - 1] == local) {
    return top_[rank - 1];
  }
  return BuildEntry(local, rank, nullptr, std::nullopt);
}

std::vector<ChartEntry> EditionImpl::Search(std::string_view folded_keyword) const {
  PrepareSearch();
  std::vector<ChartEntry> hits;
  // One scan of the text for the keyword; a hit counts when it lies inside the record's
  // title or author (not across the separators); after a match the scan resumes at the next
  // record.
  const std::string_view text(text_);
  size_t from = 0;
  while (from < text.size()) {
    const size_t at = text.find(folded_keyword, from);
    if (at == std::string_view::npos) break;
    const size_t i =
        std::upper_bound(record_start_.begin(), record_start_.end(), static_cast<uint32_t>(at)) -
        record_start_.begin() - 1;
    const std::string_view title = text.substr(record_start_[i], title_size_[i]);
    const size_t author_start = record_start_[i] + title_size_[i] + 1;
    const std::string_view author =
        text.substr(author_start, record_start_[i + 1] - 1 - author_start);
    if (title.find(folded_keyword) == std::string_view::npos &&
        author.find(folded_keyword) == std::string_view::npos) {
      from = at + 1;  // only a keyword holding '\0' can match across the separators
      continue;
    }
    from = record_start_[i + 1];
    if (i < top_.size()) {
      hits.push_back(top_[i]);
    } else {
      hits.push_back(
          BuildEntry(full_order_[i], static_cast<int32_t>(i + 1), nullptr, std::nullopt));
    }
  }
  return hits;
}

std::optional<uint32_t> ClipIndex::Find(uint64_t clip_id) const {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), clip_id,
      [](const std::pair<uint64_t, uint32_t>& e, uint64_t c) { return e.first < c; });
  if (it == entries.end() || it->first != clip_id) return std::nullopt;
  return it->second;
}

const Edition* ChartSetImpl::Find(RegionId region, int period, ChartKind kind) const {
  const auto index = PeriodIndex(period);
  if (!index || region >= kRegionCount) return nullptr;
  return editions_[region * kSeriesCount + SeriesIndex(kind, *index)].get();
}

void ChartSetImpl::Set(int series, RegionId region, std::unique_ptr<EditionImpl> edition) {
  editions_[region * kSeriesCount + series] = std::move(edition);
}

std::shared_ptr<const EditionImpl> ChartSetImpl::AnyEditionOf(RegionId region, int period_index,
                                                              ChartKind kind, Day day) const {
  const int series = SeriesIndex(kind, period_index);
  if (day == data_.day) {
    if (const EditionImpl* published = editions_[region * kSeriesCount + series].get()) {
      return std::shared_ptr<const EditionImpl>(shared_from_this(), published);
    }
  }
  const std::shared_ptr<const RegionData>& data = data_.regions[region];
  if (!data) return nullptr;
  EditionInput input;
  input.region = data;
  input.sounds = data_.sounds;
  input.kind = kind;
  input.period = kPeriods[period_index];
  input.day = day;
  if (const TopList* top = data->Top(series, day)) input.top_locals = *top;
  return std::make_shared<const EditionImpl>(std::move(input));
}

std::shared_ptr<const Edition> ChartSetImpl::EditionOf(RegionId region, int period, ChartKind kind,
                                                       Day day) const {
  const auto index = PeriodIndex(period);
  if (!index || region >= kRegionCount || !data_.first_day || day < *data_.first_day ||
      day > data_.day) {
    return nullptr;
  }
  if (day == data_.day) {
    const Edition* published = Find(region, period, kind);
    if (published == nullptr) return nullptr;
    return std::shared_ptr<const Edition>(shared_from_this(), published);
  }
  const std::shared_ptr<const RegionData>& data = data_.regions[region];
  if (!data) return nullptr;
  const TopList* top = data->Top(SeriesIndex(kind, *index), day);
  if (top == nullptr || top->empty()) return nullptr;
  return AnyEditionOf(region, *index, kind, day);
}

std::optional<SoundDetail> ChartSetImpl::Detail(uint64_t clip_id, RegionId region, int period,
                                                Day day) const {
  const auto period_index = PeriodIndex(period);
  if (!period_index || region >= kRegionCount || !data_.first_day || day < *data_.first_day ||
      day > data_.day || !data_.clips) {
    return std::nullopt;
  }
  const std::optional<uint32_t> global = data_.clips->Find(clip_id);
  if (!global) return std::nullopt;
  const SoundInfo& info = *(*data_.sounds)[*global];
  // The sound's local in a region (from the region's index map, frozen at publication).
  auto local_in = [&](RegionId r) -> std::optional<uint32_t> {
    const RegionData* d = data_.regions[r].get();
    if (d == nullptr) return std::nullopt;
    const uint32_t l = d->global_to_local.Find(*global);
    if (l == UINT32_MAX) return std::nullopt;
    return l;
  };
  const std::optional<uint32_t> local = local_in(region);
  const Day window_start = day - period + 1;
  SoundDetail detail;

  // The §3 fields, as for a search hit.
  const RegionData* data = data_.regions[region].get();
  if (local && data != nullptr) {
    std::shared_ptr<const EditionImpl> edition =
        AnyEditionOf(region, *period_index, ChartKind::kPopular, day);
    detail.entry = edition->EntryOf(*local, edition->RankOf(*local));
  } else {
    detail.entry.sound = info.record;
    detail.entry.on_list_times = 0;
    detail.entry.new_to_top_100 = true;
  }
  detail.popular_days = detail.entry.on_list_times.value_or(0);

  // History of the popular chart through `day`.
  if (local && data != nullptr) {
    const int series = SeriesIndex(ChartKind::kPopular, *period_index);
    int32_t run = 0;
    for (Day d = data->base_day; d <= day; ++d) {
      std::optional<int32_t> rank;
      if (const TopList* top = data->Top(series, d)) {
        auto it = std::find(top->begin(), top->end(), *local);
        if (it != top->end()) rank = static_cast<int32_t>(it - top->begin() + 1);
      }
      if (rank) {
        ++run;
        if (!detail.first_listed) detail.first_listed = d;
        if (!detail.peak_rank || *rank < *detail.peak_rank) {
          detail.peak_rank = rank;
          detail.peak_date = d;
        }
      } else {
        run = 0;
      }
      if (d >= window_start) detail.rank_history.push_back({d, rank});
    }
    detail.streak = run;
  }
  if (detail.rank_history.empty()) {
    for (Day d = window_start; d <= day; ++d) detail.rank_history.push_back({d, std::nullopt});
  } else if (detail.rank_history.front().day > window_start) {
    // Days before the region's data begins: no edition, no rank.
    std::vector<SoundDetail::RankOnDay> before;
    for (Day d = window_start; d < detail.rank_history.front().day; ++d)
      before.push_back({d, std::nullopt});
    detail.rank_history.insert(detail.rank_history.begin(), before.begin(), before.end());
  }

  // Daily uses in the region: the window's from the first use on, and the largest of any
  // day through `day`.
  if (local && data != nullptr) {
    const Day first_use = data->first_use[*local];
    int64_t largest = 0;
    int64_t today = 0;
    for (Day d = data->base_day; d <= day; ++d) {
      const UsesColumn* column = data->Uses(d);
      const int64_t uses = column != nullptr ? column->Find(*local) : 0;
      largest = std::max(largest, uses);
      if (d == day) today = uses;
      if (d >= window_start && d >= first_use) detail.usage_by_day.push_back({d, uses});
    }
    detail.current_popularity = largest > 0 ? RoundedHundredths(today, largest) : 0;
  }

  // Audience: uses in the window in every region.
  {
    for (size_t r = 0; r < kRegionCount; ++r) {
      const std::optional<uint32_t> other_local = local_in(static_cast<RegionId>(r));
      if (!other_local) continue;
      const RegionData* other = data_.regions[r].get();
      int64_t uses = 0;
      for (Day d = window_start; d <= day; ++d) {
        if (const UsesColumn* column = other->Uses(d)) uses += column->Find(*other_local);
      }
      if (uses > 0) detail.audience.push_back({static_cast<RegionId>(r), uses});
    }
    std::sort(detail.audience.begin(), detail.audience.end(),
              [](const SoundDetail::Audience& a, const SoundDetail::Audience& b) {
                if (a.uses != b.uses) return a.uses > b.uses;
                return RegionCode(a.region) < RegionCode(b.region);
              });
    if (detail.audience.size() > 10) detail.audience.resize(10);
  }
  return detail;
}

}  // namespace soundtrend::engine::internal
