#include "engine/edition_impl.h"

#include <algorithm>

#include "engine/trend.h"

namespace soundtrend::engine::internal {

int64_t UsesColumn::Find(uint32_t local) const {
  auto it = std::lower_bound(cells.begin(), cells.end(), local,
                             [](const UseCell& c, uint32_t l) { return c.local < l; });
  return (it != cells.end() && it->local == local) ? it->uses : 0;
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

// The first cell in [first, last) whose local is >= `local`, searching forward from `first`
// with doubling steps (cheap when the answer is near `first`).
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

}  // namespace

EditionImpl::EditionImpl(EditionInput input) : in_(std::move(input)) {
  // The top sounds' daily uses in the window, looked up column by column with the sounds in
  // local order, so each column is walked forward once instead of searched 100 times.
  const size_t n = in_.top_locals.size();
  const int period = in_.period;
  std::vector<std::pair<uint32_t, uint32_t>> by_local(n);  // (local, entry)
  for (size_t i = 0; i < n; ++i) by_local[i] = {in_.top_locals[i], static_cast<uint32_t>(i)};
  std::sort(by_local.begin(), by_local.end());
  std::vector<int64_t> uses(n * period, 0);  // [entry * period + day in window]
  for (int d = 0; d < period; ++d) {
    const auto& column = in_.region->uses[kMaxPeriod - period + d];
    if (!column || column->cells.empty()) continue;
    const UseCell* at = column->cells.data();
    const UseCell* end = at + column->cells.size();
    for (const auto& [local, entry] : by_local) {
      at = GallopLowerBound(at, end, local);
      if (at == end) break;
      if (at->local == local) uses[entry * period + d] = at->uses;
    }
  }
  top_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    top_.push_back(BuildEntry(in_.top_locals[i], static_cast<int32_t>(i + 1), in_.top_usage[i],
                              &uses[i * period]));
  }
}

ChartEntry EditionImpl::BuildEntry(uint32_t local, int32_t rank, int64_t usage,
                                   const int64_t* known_uses) const {
  const RegionSnapshot& region = *in_.region;
  const int period = in_.period;
  const Day day = region.day;
  const Day window_start = day - period + 1;
  const int first_index = kMaxPeriod - period;

  ChartEntry entry;
  entry.sound = (*in_.sounds)[region.local_to_global[local]]->record;
  entry.rank = rank;
  entry.usage_count = usage;

  auto prev = std::lower_bound(
      in_.previous_ranks.begin(), in_.previous_ranks.end(), local,
      [](const std::pair<uint32_t, int32_t>& p, uint32_t l) { return p.first < l; });
  if (prev != in_.previous_ranks.end() && prev->first == local) {
    const int32_t before = prev->second;
    entry.rank_diff = before > rank ? before - rank : rank - before;
    entry.rank_diff_type = before > rank ? 1 : (before == rank ? 2 : 3);
  } else {
    entry.rank_diff.reset();
    entry.rank_diff_type = 4;
  }

  auto listing = std::lower_bound(in_.listings.begin(), in_.listings.end(), local,
                                  [](const ListingInfo& l, uint32_t x) { return l.local < x; });
  if (listing != in_.listings.end() && listing->local == local) {
    entry.on_list_times = listing->count;
    entry.new_to_top_100 = listing->first_day >= window_start;
  } else {
    entry.on_list_times = 0;
    entry.new_to_top_100 = true;
  }

  std::vector<int64_t> window_uses(period, 0);
  if (known_uses != nullptr) {
    std::copy(known_uses, known_uses + period, window_uses.begin());
  } else {
    for (int i = 0; i < period; ++i) {
      const auto& column = region.uses[first_index + i];
      if (column) window_uses[i] = column->Find(local);
    }
  }
  entry.trend = ComputeTrend(period, day, window_uses, region.first_use[local]);

  std::vector<const VideoCell*> videos;
  for (int i = first_index; i < kMaxPeriod; ++i) {
    const auto& column = region.videos[i];
    if (!column) continue;
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
  const RegionSnapshot& region = *in_.region;
  const size_t local_count = region.local_to_global.size();
  std::vector<int64_t> sums(local_count, 0);
  std::vector<uint32_t> touched;
  for (int i = kMaxPeriod - in_.period; i < kMaxPeriod; ++i) {
    const auto& column = region.uses[i];
    if (!column) continue;
    for (const UseCell& c : column->cells) {
      if (sums[c.local] == 0) touched.push_back(c.local);
      sums[c.local] += c.uses;
    }
  }
  // Uses on the day, by local (one pass over the day's column instead of a search per sound).
  std::vector<uint32_t> today_uses(local_count, 0);
  if (const auto& today = region.uses[kMaxPeriod - 1]) {
    for (const UseCell& c : today->cells) today_uses[c.local] = c.uses;
  }
  std::vector<RankKey> keys;
  keys.reserve(touched.size());
  for (uint32_t local : touched) {
    keys.push_back({sums[local], today_uses[local],
                    (*in_.sounds)[region.local_to_global[local]]->record->clip_id, local});
  }
  std::sort(keys.begin(), keys.end());
  full_order_.reserve(keys.size());
  full_usage_.reserve(keys.size());
  for (const RankKey& k : keys) {
    full_order_.push_back(k.local);
    full_usage_.push_back(k.usage);
  }
  record_start_.reserve(keys.size() + 1);
  title_size_.reserve(keys.size());
  for (const RankKey& k : keys) {
    const SoundInfo& info = *(*in_.sounds)[region.local_to_global[k.local]];
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
    full_builds_.fetch_add(1, std::memory_order_relaxed);
    full_ready_.store(true, std::memory_order_release);
  });
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
      hits.push_back(BuildEntry(full_order_[i], static_cast<int32_t>(i + 1), full_usage_[i]));
    }
  }
  return hits;
}

const Edition* ChartSetImpl::Find(RegionId region, int period) const {
  const auto index = PeriodIndex(period);
  if (!index || region >= kRegionCount) return nullptr;
  return editions_[region * 3 + *index].get();
}

void ChartSetImpl::Set(RegionId region, int period_index, std::unique_ptr<EditionImpl> edition) {
  editions_[region * 3 + period_index] = std::move(edition);
}

}  // namespace soundtrend::engine::internal
