// Property test: on random small data, the engine's editions equal those of a deliberately
// simple reference that recomputes every window from scratch with ordered maps.
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

namespace soundtrend::engine {
namespace {

const Day kLastDay = *ParseDay("2026-06-30");
const std::vector<RegionId> kTestRegions = {*FindRegion("US"), *FindRegion("FR")};

struct Data {
  std::map<uint64_t, SoundRecord> sounds;
  std::map<std::tuple<RegionId, uint64_t, Day>, int64_t> uses;
  std::vector<VideoRecord> videos;
  Day first_day = 0;
};

Data RandomData(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  Data data;
  // Every 6th seed is large enough for charts beyond 100 sounds and a full 120-day window.
  const bool large = seed % 6 == 0;
  const int sound_count = static_cast<int>(large ? uniform(110, 140) : uniform(3, 40));
  const int span = static_cast<int>(large ? uniform(100, 140) : uniform(1, 40));
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
    for (uint64_t clip : clips) {
      for (Day d = data.first_day; d <= kLastDay; ++d) {
        if (std::uniform_real_distribution<double>(0, 1)(rng) > density) continue;
        data.uses[{region, clip, d}] += uniform(1, 3);
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
  return data;
}

// ---- The reference -------------------------------------------------------------------

struct RefRanked {
  uint64_t clip;
  int64_t usage;
};

std::vector<RefRanked> RefRanking(const Data& data, RegionId region, int period, Day day) {
  std::map<uint64_t, int64_t> usage, today;
  for (const auto& [key, n] : data.uses) {
    const auto& [r, clip, d] = key;
    if (r != region || d > day || d < day - period + 1) continue;
    usage[clip] += n;
    if (d == day) today[clip] += n;
  }
  std::vector<RefRanked> ranked;
  for (const auto& [clip, n] : usage) ranked.push_back({clip, n});
  std::sort(ranked.begin(), ranked.end(), [&](const RefRanked& a, const RefRanked& b) {
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

std::vector<TrendPoint> RefTrend(const Data& data, RegionId region, uint64_t clip, int period,
                                 Day day) {
  Day first_use = INT32_MAX;
  for (const auto& [key, n] : data.uses)
    if (std::get<0>(key) == region && std::get<1>(key) == clip)
      first_use = std::min(first_use, std::get<2>(key));
  auto uses_on = [&](Day d) {
    auto it = data.uses.find({region, clip, d});
    return it == data.uses.end() ? int64_t{0} : it->second;
  };
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
    int64_t total = 0;
    for (Day d = b.first; d <= b.last; ++d) total += uses_on(d);
    raw.push_back({b.last, {total, b.last - b.first + 1}});
  }
  std::pair<int64_t, int64_t> best = {0, 1};
  for (const auto& [last, v] : raw)
    if (static_cast<__int128>(v.first) * best.second > static_cast<__int128>(best.first) * v.second)
      best = v;
  std::vector<TrendPoint> points;
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

struct RefHistory {
  // (region, period, day) -> top clips
  std::map<std::tuple<RegionId, int, Day>, std::vector<uint64_t>> tops;
};

RefHistory RefComputeHistory(const Data& data, Day through) {
  RefHistory history;
  for (Day d = data.first_day; d <= through; ++d) {
    for (RegionId region : kTestRegions) {
      for (int period : kPeriods) {
        auto ranked = RefRanking(data, region, period, d);
        if (ranked.empty()) continue;
        std::vector<uint64_t> top;
        for (size_t i = 0; i < ranked.size() && i < 100; ++i) top.push_back(ranked[i].clip);
        history.tops[{region, period, d}] = top;
      }
    }
  }
  return history;
}

ChartEntry RefEntry(const Data& data, const RefHistory& history, RegionId region, int period,
                    Day day, uint64_t clip, int32_t rank, int64_t usage) {
  ChartEntry e;
  e.rank = rank;
  e.usage_count = usage;
  auto prev = history.tops.find({region, period, day - period});
  e.rank_diff_type = 4;
  if (prev != history.tops.end()) {
    auto it = std::find(prev->second.begin(), prev->second.end(), clip);
    if (it != prev->second.end()) {
      const int32_t before = static_cast<int32_t>(it - prev->second.begin()) + 1;
      e.rank_diff = std::abs(before - rank);
      e.rank_diff_type = before > rank ? 1 : before == rank ? 2 : 3;
    }
  }
  int listed = 0;
  bool listed_before_window = false;
  for (const auto& [key, top] : history.tops) {
    const auto& [r, p, d] = key;
    if (r != region || p != period || d > day) continue;
    if (std::find(top.begin(), top.end(), clip) == top.end()) continue;
    ++listed;
    if (d < day - period + 1) listed_before_window = true;
  }
  e.on_list_times = listed;
  e.new_to_top_100 = !listed_before_window;
  e.trend = RefTrend(data, region, clip, period, day);
  e.related = RefRelated(data, region, clip, period, day);
  return e;
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

void CheckAgainstReference(const ChartSet& set, const Data& data, const RefHistory& history,
                           Day day) {
  for (RegionId region : kTestRegions) {
    for (int period : kPeriods) {
      const std::string where = std::string(RegionCode(region)) + "/" + std::to_string(period);
      auto ranked = RefRanking(data, region, period, day);
      const Edition* edition = set.Find(region, period);
      if (ranked.empty()) {
        EXPECT_EQ(edition, nullptr) << where;
        continue;
      }
      ASSERT_NE(edition, nullptr) << where;
      EXPECT_EQ(edition->ranked_count(), ranked.size()) << where;
      ASSERT_EQ(edition->top().size(), std::min<size_t>(100, ranked.size())) << where;
      for (size_t i = 0; i < edition->top().size(); ++i) {
        ExpectEntryEq(edition->top()[i],
                      RefEntry(data, history, region, period, day, ranked[i].clip,
                               static_cast<int32_t>(i + 1), ranked[i].usage),
                      ranked[i].clip, data, where);
      }
      // Search with an empty keyword: the full ranking, every field filled.
      auto all = edition->Search("");
      ASSERT_EQ(all.size(), ranked.size()) << where;
      for (size_t i = 0; i < all.size(); ++i) {
        ExpectEntryEq(all[i],
                      RefEntry(data, history, region, period, day, ranked[i].clip,
                               static_cast<int32_t>(i + 1), ranked[i].usage),
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
  }
}

class ChartEnginePropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ChartEnginePropertyTest, FromScratchEqualsReference) {
  const Data data = RandomData(GetParam());
  const RefHistory history = RefComputeHistory(data, kLastDay);
  ChartEngine engine;
  FeedAll(engine, data, data.first_day, kLastDay);
  std::vector<store::EditionRecord> records;
  auto set = engine.Publish(kLastDay, &records);
  CheckAgainstReference(*set, data, history, kLastDay);
  // The history records are exactly the reference's top lists.
  std::map<std::tuple<RegionId, int, Day>, std::vector<uint64_t>> saved;
  for (const auto& r : records) saved[{r.region, r.period, r.day}] = r.top_clip_ids;
  EXPECT_EQ(saved, history.tops);
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
  while (true) {
    FeedAll(engine, data, fed_through + 1, day);
    fed_through = day;
    auto set = engine.Publish(day, nullptr);
    if (day == kLastDay) {
      CheckAgainstReference(*set, data, history, kLastDay);
      break;
    }
    const Day step = std::uniform_int_distribution<int>(0, 5)(rng) == 0
                         ? std::uniform_int_distribution<Day>(1, 40)(rng)
                         : 1;
    day = std::min(kLastDay, day + step);
  }
}

TEST_P(ChartEnginePropertyTest, LateDataInsideThePublishedWindowCountsAtTheNextPublication) {
  const Data data = RandomData(GetParam());
  // A third of the cells of the last 120 days arrive after day kLastDay was published
  // (some of them for sounds the region has not seen yet): the window sums are updated in
  // place and the rankings of the next publication equal the reference on all data.
  std::mt19937_64 rng(GetParam() * 31);
  Data early = data;
  std::vector<DailyUses> late;
  for (auto it = early.uses.begin(); it != early.uses.end();) {
    const auto& [region, clip, day] = it->first;
    if (day > kLastDay - 120 && std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
      late.push_back({clip, region, day, it->second});
      it = early.uses.erase(it);
    } else {
      ++it;
    }
  }
  ChartEngine engine;
  FeedAll(engine, early, data.first_day, kLastDay);
  engine.Publish(kLastDay, nullptr);
  for (const DailyUses& u : late) engine.AddDailyUses(u);
  auto set = engine.Publish(kLastDay, nullptr);
  for (RegionId region : kTestRegions) {
    for (int period : kPeriods) {
      const std::string where = std::string(RegionCode(region)) + "/" + std::to_string(period);
      auto ranked = RefRanking(data, region, period, kLastDay);
      const Edition* edition = set->Find(region, period);
      if (ranked.empty()) continue;
      ASSERT_NE(edition, nullptr) << where;
      EXPECT_EQ(edition->ranked_count(), ranked.size()) << where;
      auto all = edition->Search("");
      ASSERT_EQ(all.size(), ranked.size()) << where;
      for (size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].sound->clip_id, ranked[i].clip) << where << " rank " << i + 1;
        EXPECT_EQ(all[i].usage_count, ranked[i].usage) << where << " rank " << i + 1;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ChartEnginePropertyTest, ::testing::Range<uint64_t>(1, 25));

}  // namespace
}  // namespace soundtrend::engine
