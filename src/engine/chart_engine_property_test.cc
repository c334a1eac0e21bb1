// Property test: on random small data, the engine's editions (popular and surging, of the
// latest day and of past days), the sound details and the history records equal those of a
// deliberately simple reference that recomputes every window from scratch with ordered
// maps; also after late data (added or replacing a day), and from saved records.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/text_fold.h"
#include "engine/chart_engine.h"
#include "engine/surging.h"

namespace soundtrend::engine {
namespace {

const Day kLastDay = *ParseDay("2026-06-30");
const std::vector<RegionId> kTestRegions = {*FindRegion("US"), *FindRegion("FR")};

struct Data {
  std::map<uint64_t, SoundRecord> sounds;
  std::map<std::tuple<RegionId, uint64_t, Day>, int64_t> uses;
  std::vector<VideoRecord> videos;
  Day first_day = 0;
  // Derived from `uses` by Reindex: per (region, clip), prefix[i] = uses on days
  // [kIndexFirst, kIndexFirst + i), and the clips used in each region.
  std::map<std::pair<RegionId, uint64_t>, std::vector<int64_t>> prefix;
  std::map<RegionId, std::vector<uint64_t>> clips_of;
};

constexpr int kIndexDays = 600;
const Day kIndexFirst = kLastDay - kIndexDays + 300;  // room before and after the data

void Reindex(Data& data) {
  data.prefix.clear();
  data.clips_of.clear();
  for (const auto& [key, n] : data.uses) {
    const auto& [region, clip, day] = key;
    auto [it, inserted] = data.prefix.try_emplace({region, clip});
    if (inserted) {
      it->second.assign(kIndexDays + 1, 0);
      data.clips_of[region].push_back(clip);
    }
    it->second[day - kIndexFirst + 1] += n;
  }
  for (auto& [key, prefix] : data.prefix)
    for (size_t i = 1; i < prefix.size(); ++i) prefix[i] += prefix[i - 1];
}

Data RandomData(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  Data data;
  // Every 8th seed is large enough for charts beyond 100 sounds and a full 240-day span.
  const bool large = seed % 8 == 0;
  const int sound_count = static_cast<int>(large ? uniform(110, 140) : uniform(3, 40));
  const int span = static_cast<int>(large ? uniform(100, 250) : uniform(1, 60));
  const double density = sound_count > 60 ? 0.08 : 0.25;
  data.first_day = kLastDay - span + 1;
  std::vector<uint64_t> clips;
  std::set<uint64_t> seen;
  while (static_cast<int>(clips.size()) < sound_count) {
    // Ids whose decimal and numeric orders differ (9 < 10), and huge ones.
    uint64_t clip = uniform(0, 3) == 0
                        ? static_cast<uint64_t>(uniform(1, 30))
                        : (uniform(0, 1) ? static_cast<uint64_t>(uniform(1, 1 << 20)) : rng() | 1);
    if (!seen.insert(clip).second) continue;
    clips.push_back(clip);
    if (uniform(0, 9) > 0) {
      SoundRecord s;
      s.clip_id = clip;
      s.song_id = clip + 1;
      static const char* kWords[] = {"Sun", "Moon", "Étoile", "STAR", "rain", "Beyoncé"};
      s.title = std::string(kWords[uniform(0, 5)]) + " " + std::to_string(uniform(0, 9));
      s.author = kWords[uniform(0, 5)];
      s.duration = static_cast<int32_t>(uniform(1, 60));
      data.sounds[clip] = s;
    }
  }
  uint64_t next_video = 1;
  for (RegionId region : kTestRegions) {
    for (size_t k = 0; k < clips.size(); ++k) {
      const uint64_t clip = clips[k];
      // A third of the sounds burst for a while (enough uses to be surging-eligible).
      const bool bursts = uniform(0, 2) == 0;
      const Day burst_start = kLastDay - uniform(0, span);
      const Day burst_end = burst_start + uniform(0, 30);
      // Some sounds copy the previous one exactly: equal growth and equal u (ties).
      if (k > 0 && uniform(0, 7) == 0) {
        for (Day d = data.first_day; d <= kLastDay; ++d) {
          auto it = data.uses.find({region, clips[k - 1], d});
          if (it != data.uses.end()) data.uses[{region, clip, d}] = it->second;
        }
        continue;
      }
      for (Day d = data.first_day; d <= kLastDay; ++d) {
        const bool burst = bursts && d >= burst_start && d <= burst_end;
        if (!burst && std::uniform_real_distribution<double>(0, 1)(rng) > density) continue;
        data.uses[{region, clip, d}] += burst ? uniform(3, 25) : uniform(1, 3);
        if (uniform(0, 3) == 0) {
          data.videos.push_back(
              {next_video++, clip, region, d, "c" + std::to_string(next_video), uniform(0, 5)});
        }
      }
    }
  }
  if (data.uses.empty()) data.uses[{kTestRegions[0], clips[0], kLastDay}] = 1;
  for (const auto& [key, n] : data.uses)
    data.first_day = std::min(data.first_day, std::get<2>(key));
  Reindex(data);
  return data;
}

// ---- The reference -------------------------------------------------------------------

// Uses of `clip` in `region` on days [from, to].
int64_t RefUses(const Data& data, RegionId region, uint64_t clip, Day from, Day to) {
  auto it = data.prefix.find({region, clip});
  if (it == data.prefix.end()) return 0;
  const int lo = std::clamp(from - kIndexFirst, 0, kIndexDays);
  const int hi = std::clamp(to - kIndexFirst + 1, 0, kIndexDays);
  return hi > lo ? it->second[hi] - it->second[lo] : 0;
}

struct RefRanked {
  uint64_t clip;
  int64_t usage;         // u
  int64_t previous = 0;  // p (surging)
};

std::vector<RefRanked> RefRanking(const Data& data, ChartKind kind, RegionId region, int period,
                                  Day day) {
  std::vector<RefRanked> ranked;
  std::map<uint64_t, int64_t> today;
  auto clips = data.clips_of.find(region);
  if (clips == data.clips_of.end()) return ranked;
  for (uint64_t clip : clips->second) {
    const int64_t u = RefUses(data, region, clip, day - period + 1, day);
    if (u == 0) continue;
    today[clip] = RefUses(data, region, clip, day, day);
    if (kind == ChartKind::kPopular) {
      ranked.push_back({clip, u});
    } else {
      const int64_t p = RefUses(data, region, clip, day - 2 * period + 1, day - period);
      // The rule written out: u >= 50 and u + 10 >= 2 (p + 10).
      if (u >= 50 && u + 10 >= 2 * (p + 10)) ranked.push_back({clip, u, p});
    }
  }
  std::sort(ranked.begin(), ranked.end(), [&](const RefRanked& a, const RefRanked& b) {
    if (kind == ChartKind::kSurging) {
      // Growth (u + 10) / (p + 10), compared as fractions.
      const int64_t ga = (a.usage + 10) * (b.previous + 10);
      const int64_t gb = (b.usage + 10) * (a.previous + 10);
      if (ga != gb) return ga > gb;
      if (a.usage != b.usage) return a.usage > b.usage;
      return a.clip < b.clip;
    }
    if (a.usage != b.usage) return a.usage > b.usage;
    if (today[a.clip] != today[b.clip]) return today[a.clip] > today[b.clip];
    return a.clip < b.clip;
  });
  return ranked;
}

int RefRound(__int128 numerator, __int128 denominator) {
  const __int128 n = numerator * 100;
  __int128 q = n / denominator;
  if ((n % denominator) * 2 >= denominator) ++q;
  return static_cast<int>(q);
}

Day RefFirstUse(const Data& data, RegionId region, uint64_t clip) {
  auto it = data.uses.lower_bound({region, clip, INT32_MIN});
  if (it == data.uses.end() || std::get<0>(it->first) != region || std::get<1>(it->first) != clip)
    return INT32_MAX;
  return std::get<2>(it->first);
}

std::vector<TrendPoint> RefTrend(const Data& data, RegionId region, uint64_t clip, int period,
                                 Day day) {
  const Day first_use = RefFirstUse(data, region, clip);
  const Day window_start = day - period + 1;
  struct Bucket {
    Day first, last;
  };
  std::vector<Bucket> buckets;
  const int width = period == 120 ? 7 : 1;
  for (Day end = day; end >= window_start; end -= width)
    buckets.push_back({std::max(window_start, end - width + 1), end});
  std::reverse(buckets.begin(), buckets.end());
  std::vector<std::pair<Day, std::pair<int64_t, int64_t>>> raw;  // last day, (total, days)
  for (const Bucket& b : buckets) {
    if (b.last < first_use) continue;
    raw.push_back({b.last, {RefUses(data, region, clip, b.first, b.last), b.last - b.first + 1}});
  }
  std::pair<int64_t, int64_t> best = {0, 1};
  for (const auto& [last, v] : raw)
    if (static_cast<__int128>(v.first) * best.second > static_cast<__int128>(best.first) * v.second)
      best = v;
  std::vector<TrendPoint> points;
  if (best.first == 0) return points;
  for (const auto& [last, v] : raw) {
    points.push_back(
        {DayStartUnixSeconds(last), RefRound(static_cast<__int128>(v.first) * best.second,
                                             static_cast<__int128>(best.first) * v.second)});
  }
  return points;
}

std::vector<RelatedVideo> RefRelated(const Data& data, RegionId region, uint64_t clip, int period,
                                     Day day) {
  std::vector<VideoRecord> videos;
  for (const VideoRecord& v : data.videos)
    if (v.region == region && v.clip_id == clip && v.day <= day && v.day > day - period)
      videos.push_back(v);
  std::sort(videos.begin(), videos.end(), [](const VideoRecord& a, const VideoRecord& b) {
    return a.views != b.views ? a.views > b.views : a.video_id < b.video_id;
  });
  std::vector<RelatedVideo> related;
  for (size_t i = 0; i < videos.size() && i < 4; ++i)
    related.push_back({videos[i].video_id, videos[i].cover});
  return related;
}

using HistoryKey = std::tuple<ChartKind, RegionId, int, Day>;

struct RefHistory {
  std::map<HistoryKey, std::vector<uint64_t>> tops;  // non-empty charts only
  // (kind, region, period, clip) -> the days whose top lists the clip, ascending.
  std::map<std::tuple<ChartKind, RegionId, int, uint64_t>, std::vector<Day>> listed;
  const std::vector<uint64_t>* Find(ChartKind kind, RegionId region, int period, Day day) const {
    auto it = tops.find({kind, region, period, day});
    return it == tops.end() ? nullptr : &it->second;
  }
  const std::vector<Day>& Listed(ChartKind kind, RegionId region, int period, uint64_t clip) const {
    static const std::vector<Day> kNone;
    auto it = listed.find({kind, region, period, clip});
    return it == listed.end() ? kNone : it->second;
  }
};

RefHistory RefComputeHistory(const Data& data, Day through) {
  RefHistory history;
  for (Day d = data.first_day; d <= through; ++d) {
    for (ChartKind kind : kChartKinds) {
      for (RegionId region : kTestRegions) {
        for (int period : kPeriods) {
          auto ranked = RefRanking(data, kind, region, period, d);
          if (ranked.empty()) continue;
          std::vector<uint64_t> top;
          for (size_t i = 0; i < ranked.size() && i < 100; ++i) top.push_back(ranked[i].clip);
          for (uint64_t clip : top) history.listed[{kind, region, period, clip}].push_back(d);
          history.tops[{kind, region, period, d}] = top;
        }
      }
    }
  }
  return history;
}

std::optional<int32_t> RankIn(const std::vector<uint64_t>* top, uint64_t clip) {
  if (top == nullptr) return std::nullopt;
  auto it = std::find(top->begin(), top->end(), clip);
  if (it == top->end()) return std::nullopt;
  return static_cast<int32_t>(it - top->begin() + 1);
}

// The entry of `clip` at `rank` (0: not ranked) in the edition (kind, region, period, day).
ChartEntry RefEntry(const Data& data, const RefHistory& history, ChartKind kind, RegionId region,
                    int period, Day day, uint64_t clip, int32_t rank) {
  ChartEntry e;
  e.rank = rank;
  e.usage_count = RefUses(data, region, clip, day - period + 1, day);
  if (kind == ChartKind::kSurging) {
    const int64_t p = RefUses(data, region, clip, day - 2 * period + 1, day - period);
    e.growth_hundredths = RefRound(e.usage_count + 10, p + 10);
  }
  e.rank_diff_type = 4;
  if (auto before = RankIn(history.Find(kind, region, period, day - period), clip)) {
    if (rank == 0) {
      e.rank_diff_type = 3;
    } else {
      e.rank_diff = std::abs(*before - rank);
      e.rank_diff_type = *before > rank ? 1 : *before == rank ? 2 : 3;
    }
  }
  int listed = 0;
  bool listed_before_window = false;
  for (Day d : history.Listed(kind, region, period, clip)) {
    if (d > day) break;
    ++listed;
    if (d < day - period + 1) listed_before_window = true;
  }
  e.on_list_times = listed;
  e.new_to_top_100 = !listed_before_window;
  e.trend = RefTrend(data, region, clip, period, day);
  e.related = RefRelated(data, region, clip, period, day);
  return e;
}

SoundDetail RefDetail(const Data& data, const RefHistory& history, RegionId region, int period,
                      Day day, uint64_t clip) {
  SoundDetail d;
  const auto ranked = RefRanking(data, ChartKind::kPopular, region, period, day);
  int32_t rank = 0;
  for (size_t i = 0; i < ranked.size(); ++i)
    if (ranked[i].clip == clip) rank = static_cast<int32_t>(i + 1);
  d.entry = RefEntry(data, history, ChartKind::kPopular, region, period, day, clip, rank);
  d.popular_days = *d.entry.on_list_times;
  for (RegionId r : kTestRegions) {
    const int64_t uses = RefUses(data, r, clip, day - period + 1, day);
    if (uses > 0) d.audience.push_back({r, uses});
  }
  std::sort(d.audience.begin(), d.audience.end(), [](const auto& a, const auto& b) {
    return a.uses != b.uses ? a.uses > b.uses : RegionCode(a.region) < RegionCode(b.region);
  });
  int64_t largest = 0;
  for (Day x = data.first_day; x <= day; ++x)
    largest = std::max(largest, RefUses(data, region, clip, x, x));
  d.current_popularity =
      largest == 0 ? 0 : RefRound(RefUses(data, region, clip, day, day), largest);
  int32_t run = 0;
  for (Day x = data.first_day; x <= day; ++x) {
    auto r = RankIn(history.Find(ChartKind::kPopular, region, period, x), clip);
    if (r && !d.first_listed) d.first_listed = x;
    if (r && (!d.peak_rank || *r < *d.peak_rank)) {
      d.peak_rank = r;
      d.peak_date = x;
    }
    run = r ? run + 1 : 0;
  }
  d.streak = run;
  const Day first_use = RefFirstUse(data, region, clip);
  for (Day x = day - period + 1; x <= day; ++x) {
    d.rank_history.push_back(
        {x, RankIn(history.Find(ChartKind::kPopular, region, period, x), clip)});
    if (x >= first_use) d.usage_by_day.push_back({x, RefUses(data, region, clip, x, x)});
  }
  return d;
}

void ExpectEntryEq(const ChartEntry& got, const ChartEntry& want, uint64_t clip, const Data& data,
                   const std::string& where) {
  SCOPED_TRACE(where + " clip " + std::to_string(clip) + " rank " + std::to_string(want.rank));
  EXPECT_EQ(got.sound->clip_id, clip);
  auto sound = data.sounds.find(clip);
  if (sound != data.sounds.end()) {
    EXPECT_EQ(*got.sound, sound->second);
  } else {
    EXPECT_EQ(got.sound->title, "");
  }
  EXPECT_EQ(got.rank, want.rank);
  EXPECT_EQ(got.usage_count, want.usage_count);
  EXPECT_EQ(got.growth_hundredths, want.growth_hundredths);
  EXPECT_EQ(got.rank_diff, want.rank_diff);
  EXPECT_EQ(got.rank_diff_type, want.rank_diff_type);
  EXPECT_EQ(got.on_list_times, want.on_list_times);
  EXPECT_EQ(got.new_to_top_100, want.new_to_top_100);
  EXPECT_EQ(got.trend, want.trend);
  EXPECT_EQ(got.related, want.related);
}

void FeedAll(ChartEngine& engine, const Data& data, Day from, Day to) {
  for (const auto& [clip, s] : data.sounds) engine.AddSound(s);
  // Deliberately not in (day, region, clip) order: the engine must not rely on it.
  for (auto it = data.uses.rbegin(); it != data.uses.rend(); ++it) {
    const auto& [region, clip, day] = it->first;
    if (day >= from && day <= to) engine.AddDailyUses({clip, region, day, it->second});
  }
  for (const VideoRecord& v : data.videos)
    if (v.day >= from && v.day <= to) engine.AddVideo(v);
}

// One edition against the reference, every field of every entry, and its searches.
void CheckEdition(const Edition* edition, const Data& data, const RefHistory& history,
                  ChartKind kind, RegionId region, int period, Day day) {
  const std::string where = std::string(KindName(kind)) + " " + std::string(RegionCode(region)) +
                            "/" + std::to_string(period) + " " + FormatDay(day);
  auto ranked = RefRanking(data, kind, region, period, day);
  if (ranked.empty()) {
    EXPECT_EQ(edition, nullptr) << where;
    return;
  }
  ASSERT_NE(edition, nullptr) << where;
  EXPECT_EQ(edition->kind(), kind);
  EXPECT_EQ(edition->day(), day);
  EXPECT_EQ(edition->ranked_count(), ranked.size()) << where;
  ASSERT_EQ(edition->top().size(), std::min<size_t>(100, ranked.size())) << where;
  for (size_t i = 0; i < edition->top().size(); ++i) {
    ExpectEntryEq(edition->top()[i],
                  RefEntry(data, history, kind, region, period, day, ranked[i].clip,
                           static_cast<int32_t>(i + 1)),
                  ranked[i].clip, data, where);
  }
  // Search with an empty keyword: the full ranking, every field filled.
  auto all = edition->Search("");
  ASSERT_EQ(all.size(), ranked.size()) << where;
  for (size_t i = 0; i < all.size(); ++i) {
    ExpectEntryEq(all[i],
                  RefEntry(data, history, kind, region, period, day, ranked[i].clip,
                           static_cast<int32_t>(i + 1)),
                  ranked[i].clip, data, where + " search");
  }
  // A keyword search: exactly the matching sounds, in rank order.
  const std::string keyword = FoldForSearch("etoile");
  std::vector<uint64_t> want;
  for (const RefRanked& r : ranked) {
    auto s = data.sounds.find(r.clip);
    if (s == data.sounds.end()) continue;
    if (FoldForSearch(s->second.title).find(keyword) != std::string::npos ||
        FoldForSearch(s->second.author).find(keyword) != std::string::npos)
      want.push_back(r.clip);
  }
  std::vector<uint64_t> got;
  for (const ChartEntry& e : edition->Search(keyword)) got.push_back(e.sound->clip_id);
  EXPECT_EQ(got, want) << where;
}

void CheckDetail(const ChartSet& set, const Data& data, const RefHistory& history, RegionId region,
                 int period, Day day, uint64_t clip) {
  SCOPED_TRACE("detail " + std::string(RegionCode(region)) + "/" + std::to_string(period) + " " +
               FormatDay(day) + " clip " + std::to_string(clip));
  const std::optional<SoundDetail> got = set.Detail(clip, region, period, day);
  ASSERT_TRUE(got.has_value());
  const SoundDetail want = RefDetail(data, history, region, period, day, clip);
  ExpectEntryEq(got->entry, want.entry, clip, data, "detail entry");
  EXPECT_EQ(got->audience, want.audience);
  EXPECT_EQ(got->popular_days, want.popular_days);
  EXPECT_EQ(got->current_popularity, want.current_popularity);
  EXPECT_EQ(got->peak_rank, want.peak_rank);
  EXPECT_EQ(got->peak_date, want.peak_date);
  EXPECT_EQ(got->first_listed, want.first_listed);
  EXPECT_EQ(got->streak, want.streak);
  EXPECT_EQ(got->rank_history, want.rank_history);
  EXPECT_EQ(got->usage_by_day, want.usage_by_day);
}

// The latest editions, past editions of a few days (first, last and random ones), and
// details of a few sounds against the reference on all of `data`.
void CheckAgainstReference(const ChartSet& set, const Data& data, const RefHistory& history,
                           uint64_t seed) {
  ASSERT_EQ(set.day(), kLastDay);
  ASSERT_EQ(set.first_day(), data.first_day);
  for (ChartKind kind : kChartKinds)
    for (RegionId region : kTestRegions)
      for (int period : kPeriods)
        CheckEdition(set.Find(region, period, kind), data, history, kind, region, period, kLastDay);
  std::mt19937_64 rng(seed * 104729);
  std::vector<Day> days = {data.first_day, kLastDay};
  days.push_back(std::uniform_int_distribution<Day>(data.first_day, kLastDay)(rng));
  for (Day day : days) {
    for (ChartKind kind : kChartKinds) {
      for (RegionId region : kTestRegions) {
        for (int period : kPeriods) {
          auto edition = set.EditionOf(region, period, kind, day);
          CheckEdition(edition.get(), data, history, kind, region, period, day);
        }
      }
    }
    // Details: a sound of the catalog, one only in the usage data, and the last sound.
    std::vector<uint64_t> clips;
    for (const auto& [key, n] : data.uses) clips.push_back(std::get<1>(key));
    std::sort(clips.begin(), clips.end());
    clips.erase(std::unique(clips.begin(), clips.end()), clips.end());
    std::shuffle(clips.begin(), clips.end(), rng);
    clips.resize(std::min<size_t>(clips.size(), 3));
    for (uint64_t clip : clips)
      for (RegionId region : kTestRegions)
        for (int period : kPeriods) CheckDetail(set, data, history, region, period, day, clip);
  }
  // Outside the range: no edition, no detail.
  EXPECT_EQ(set.EditionOf(kTestRegions[0], 7, ChartKind::kPopular, data.first_day - 1), nullptr);
  EXPECT_EQ(set.EditionOf(kTestRegions[0], 7, ChartKind::kPopular, kLastDay + 1), nullptr);
  const uint64_t some_clip = std::get<1>(data.uses.begin()->first);
  EXPECT_FALSE(set.Detail(some_clip, kTestRegions[0], 7, kLastDay + 1).has_value());
  EXPECT_FALSE(set.Detail(some_clip, kTestRegions[0], 7, data.first_day - 1).has_value());
}

// Records as a map (key -> top clips), the empty ones dropped; checks that no key repeats.
std::map<HistoryKey, std::vector<uint64_t>> NonEmpty(const std::vector<store::EditionRecord>& rs) {
  std::map<HistoryKey, std::vector<uint64_t>> out;
  std::set<HistoryKey> keys;
  for (const auto& r : rs) {
    EXPECT_TRUE(keys.insert({r.kind, r.region, r.period, r.day}).second) << "record twice";
    if (!r.top_clip_ids.empty()) out[{r.kind, r.region, r.period, r.day}] = r.top_clip_ids;
  }
  return out;
}

class ChartEnginePropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ChartEnginePropertyTest, FromScratchEqualsReference) {
  const Data data = RandomData(GetParam());
  const RefHistory history = RefComputeHistory(data, kLastDay);
  ChartEngine engine;
  FeedAll(engine, data, data.first_day, kLastDay);
  std::vector<store::EditionRecord> records;
  auto set = engine.Publish(kLastDay, &records);
  CheckAgainstReference(*set, data, history, GetParam());
  // The history records are exactly the reference's top lists.
  EXPECT_EQ(NonEmpty(records), history.tops);
}

TEST_P(ChartEnginePropertyTest, IncrementalPublicationEqualsFromScratch) {
  const Data data = RandomData(GetParam());
  const RefHistory history = RefComputeHistory(data, kLastDay);
  // Data arrives day by day (each day's data before the day is published), and the engine
  // publishes days along the way, as a server would; some gaps exceed the rebuild limit.
  std::mt19937_64 rng(GetParam() * 7919);
  ChartEngine engine;
  Day fed_through = data.first_day - 1;
  Day day = data.first_day;
  std::vector<store::EditionRecord> records;
  while (true) {
    FeedAll(engine, data, fed_through + 1, day);
    fed_through = day;
    auto set = engine.Publish(day, &records);
    if (day == kLastDay) {
      CheckAgainstReference(*set, data, history, GetParam());
      break;
    }
    const Day step = std::uniform_int_distribution<int>(0, 5)(rng) == 0
                         ? std::uniform_int_distribution<Day>(1, 40)(rng)
                         : 1;
    day = std::min(kLastDay, day + step);
  }
  EXPECT_EQ(NonEmpty(records), history.tops);
}

// Late data: part of the cells arrive after kLastDay was published, added (as a running
// server's own ingest does) or as whole-day replacements (as read back from the store).
// The next publication equals the reference on all data, and the records it returns are
// exactly the editions whose span holds a late (region, day).
void CheckLateData(uint64_t seed, bool replace) {
  const Data data = RandomData(seed);
  const RefHistory history = RefComputeHistory(data, kLastDay);
  std::mt19937_64 rng(seed * 31);
  Data early = data;
  std::vector<DailyUses> late;
  const Day late_from = kLastDay - std::uniform_int_distribution<Day>(0, 150)(rng);
  for (auto it = early.uses.begin(); it != early.uses.end();) {
    const auto& [region, clip, day] = it->first;
    if (day >= late_from && std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
      late.push_back({clip, region, day, it->second});
      it = early.uses.erase(it);
    } else {
      ++it;
    }
  }
  Reindex(early);
  ChartEngine engine;
  FeedAll(engine, early, data.first_day, kLastDay);
  engine.Publish(kLastDay, nullptr);
  std::set<std::pair<RegionId, Day>> late_keys;
  for (const DailyUses& u : late) late_keys.insert({u.region, u.day});
  if (replace) {
    for (const auto& [region, day] : late_keys) {
      std::vector<DailyUses> all;
      for (const auto& [key, n] : data.uses) {
        if (std::get<0>(key) == region && std::get<2>(key) == day)
          all.push_back({std::get<1>(key), region, day, n});
      }
      engine.ReplaceDailyUses(region, day, all);
    }
  } else {
    for (const DailyUses& u : late) engine.AddDailyUses(u);
  }
  std::vector<store::EditionRecord> records;
  HistoryStats stats;
  auto set = engine.Publish(kLastDay, &records, &stats);
  CheckAgainstReference(*set, data, history, seed);
  // Exactly the affected editions were recomputed.
  std::set<HistoryKey> want;
  for (ChartKind kind : kChartKinds) {
    for (RegionId region : kTestRegions) {
      Day region_first = INT32_MAX;
      for (const auto& [key, n] : early.uses)
        if (std::get<0>(key) == region) region_first = std::min(region_first, std::get<2>(key));
      for (int period : kPeriods) {
        const int span = kind == ChartKind::kPopular ? period : 2 * period;
        for (Day d = region_first; d <= kLastDay; ++d) {
          for (const auto& [r, x] : late_keys)
            if (r == region && x <= d && x > d - span) want.insert({kind, region, period, d});
        }
      }
    }
  }
  std::set<HistoryKey> got;
  for (const auto& r : records) got.insert({r.kind, r.region, r.period, r.day});
  // Days a late sound opened for its region (before the region's first early use) are new.
  std::set<HistoryKey> recomputed;
  for (const HistoryKey& k : got)
    if (want.count(k)) recomputed.insert(k);
  EXPECT_EQ(recomputed, want);
  for (const HistoryKey& k : got) {
    if (want.count(k)) continue;
    Day region_first = INT32_MAX;
    for (const auto& [key, n] : early.uses)
      if (std::get<0>(key) == std::get<1>(k))
        region_first = std::min(region_first, std::get<2>(key));
    EXPECT_LT(std::get<3>(k), region_first) << "unaffected edition recomputed";
  }
  EXPECT_EQ(stats.recomputed, static_cast<int64_t>(want.size()));
}

TEST_P(ChartEnginePropertyTest, LateDataRecomputesExactlyTheAffectedEditions) {
  CheckLateData(GetParam(), /*replace=*/false);
}

TEST_P(ChartEnginePropertyTest, ReplacedDaysRecomputeExactlyTheAffectedEditions) {
  CheckLateData(GetParam(), /*replace=*/true);
}

// Saved records are a cache: an engine loaded with all data and records saved before late
// data arrived (data_seq 1), told which (region, day) keys changed at seq 2, publishes the
// same as a computation from scratch, recomputing only those.
TEST_P(ChartEnginePropertyTest, StaleSavedRecordsAreRecomputed) {
  const Data data = RandomData(GetParam());
  const RefHistory history = RefComputeHistory(data, kLastDay);
  std::mt19937_64 rng(GetParam() * 17);
  Data early = data;
  std::set<std::pair<RegionId, Day>> changed;
  for (auto it = early.uses.begin(); it != early.uses.end();) {
    const auto& [region, clip, day] = it->first;
    if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
      changed.insert({region, day});
      it = early.uses.erase(it);
    } else {
      ++it;
    }
  }
  Reindex(early);
  std::vector<store::EditionRecord> saved;
  {
    ChartEngine first;
    first.set_data_seq(1);
    FeedAll(first, early, data.first_day, kLastDay);
    first.Publish(kLastDay, &saved);
  }
  for (const auto& r : saved) EXPECT_EQ(r.data_seq, 1);
  ChartEngine engine;
  FeedAll(engine, data, data.first_day, kLastDay);
  for (const auto& r : saved) engine.LoadEdition(r);
  std::vector<store::CellsVersion> versions;
  for (const auto& [region, day] : changed) versions.push_back({region, day, 2});
  // Keys unchanged since the records were computed do not invalidate anything.
  versions.push_back({kTestRegions[0], data.first_day, 1});
  engine.InvalidateHistory(versions);
  engine.set_data_seq(2);
  std::vector<store::EditionRecord> records;
  auto set = engine.Publish(kLastDay, &records);
  CheckAgainstReference(*set, data, history, GetParam());
  for (const auto& r : records) EXPECT_EQ(r.data_seq, 2);
  // Applying the new records over the saved ones gives the reference's history.
  std::map<HistoryKey, store::EditionRecord> merged;
  for (const auto& r : saved) merged[{r.kind, r.region, r.period, r.day}] = r;
  for (const auto& r : records) merged[{r.kind, r.region, r.period, r.day}] = r;
  std::vector<store::EditionRecord> all;
  for (const auto& [k, r] : merged) all.push_back(r);
  EXPECT_EQ(NonEmpty(all), history.tops);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ChartEnginePropertyTest, ::testing::Range<uint64_t>(1, 25));

}  // namespace
}  // namespace soundtrend::engine
