// The demo platform as generated, and the default one read as charts: the properties of
// generated data (issue 11's "demo data that reads like a platform"), measured.
//
// Every test here reads one of two platforms, each generated once per process (a
// generation is most of the time): Small() (3,000 sounds, 240 days) and Default() (every
// option at its default: what `soundtrend demo` and scripts/run-demo.sh write). ctest runs
// this binary as ONE test (st_test ONE_PROCESS in CMakeLists.txt), so that each platform is
// generated once for all of them, not once per test; gtest still reports every test.
//
// From the default platform read as charts (the engine on the generated data):
//   - daily counts with the noise of a real count: for sounds with ~1,000 uses a day (500
//     to 2,000 on every day of a week, in any region, over the last four weeks), the
//     median day-to-day change of the 7-day trend is under 10% (the issue measured 24-28%
//     before), in all regions and in the US and JP;
//   - breakouts: every region's 7-day surging chart holds 15-40 sounds on the last day.
// (Repeatability, options and sink errors are in generator_test.cc, on small platforms.)
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/json_writer.h"
#include "demo/collecting_sink.h"
#include "demo/generator.h"
#include "engine/chart_engine.h"

namespace soundtrend::demo {
namespace {

constexpr Day kEndDay = 20000;  // 2024-10-04, a Friday

struct Generated {
  CollectingSink sink;
  DemoSummary summary;
};

Generated* GenerateOnce(const DemoOptions& o) {
  auto* g = new Generated;
  auto summary = Generate(o, g->sink);
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  if (summary.ok()) g->summary = *summary;
  return g;
}

DemoOptions SmallOptions() {
  DemoOptions o;
  o.seed = 42;
  o.sounds = 3000;
  o.days = 240;
  o.end_day = kEndDay;
  o.raw_days = 14;
  o.raw_fraction = 0.1;
  return o;
}

const Generated& SmallGenerated() {
  static const Generated* g = GenerateOnce(SmallOptions());
  return *g;
}
const CollectingSink& Small() { return SmallGenerated().sink; }

// The defaults but the end day.
const CollectingSink& Default() {
  static const Generated* g = [] {
    DemoOptions o;
    o.end_day = kEndDay;
    return GenerateOnce(o);
  }();
  return g->sink;
}

using Cell = std::tuple<uint64_t, RegionId, Day>;
using CellUses = std::vector<std::pair<Cell, int64_t>>;

CellUses MakeUsesByCell(const CollectingSink& sink) {
  CellUses all;
  all.reserve(sink.daily.size() + sink.raw.size());
  for (const DailyUses& d : sink.daily) all.push_back({{d.clip_id, d.region, d.day}, d.uses});
  for (const RawUse& u : sink.raw)
    all.push_back({{u.clip_id, u.region, DayOfUnixSeconds(u.time)}, 1});
  std::sort(all.begin(), all.end());
  CellUses out;
  for (const auto& [cell, uses] : all) {
    if (!out.empty() && out.back().first == cell)
      out.back().second += uses;
    else
      out.push_back({cell, uses});
  }
  return out;
}

// Uses per (clip, region, day), daily and raw streams added together, sorted by cell; made
// once per platform. (A sorted vector: a std::map of millions of cells takes seconds.)
const CellUses& UsesByCell(const CollectingSink& sink) {
  if (&sink == &Small()) {
    static const CellUses* small = new CellUses(MakeUsesByCell(sink));
    return *small;
  }
  static const CellUses* other = new CellUses(MakeUsesByCell(Default()));
  EXPECT_EQ(&sink, &Default());
  return *other;
}

bool Is19Digits(uint64_t id) { return std::to_string(id).size() == 19; }

// The default platform read as charts: the engine's ChartSet of the last day, and the
// last kDays days' uses per (region, clip).
constexpr int kDays = 60;  // enough for the 30-day charts and the 7-day surging ones
struct Charted {
  std::shared_ptr<const engine::ChartSet> charts;
  // uses[(region, clip)][day - (kEndDay - kDays + 1)]
  std::map<std::pair<RegionId, uint64_t>, std::vector<int64_t>> uses;
};

const Charted& DefaultCharted() {
  static const Charted* charted = [] {
    const CollectingSink& sink = Default();
    auto* p = new Charted;
    engine::ChartEngine engine;
    for (const SoundRecord& s : sink.sounds) engine.AddSound(s);
    for (const DailyUses& d : sink.daily) engine.AddDailyUses(d);
    for (const RawUse& u : sink.raw)
      engine.AddDailyUses({u.clip_id, u.region, DayOfUnixSeconds(u.time), 1});
    for (const auto& [cell, n] : UsesByCell(sink)) {
      const auto& [clip, region, day] = cell;
      if (day <= kEndDay - kDays) continue;
      auto& v = p->uses[{region, clip}];
      v.resize(kDays);
      v[day - (kEndDay - kDays + 1)] = n;
    }
    p->charts = engine.Publish(kEndDay, nullptr);
    return p;
  }();
  return *charted;
}

TEST(DemoGeneratorTest, SummaryCountsWhatTheSinkReceived) {
  // (That the same options give the same platform: generator_test.cc, on a smaller one.)
  const Generated& g = SmallGenerated();
  const CollectingSink& sink = g.sink;
  EXPECT_EQ(g.summary.sounds, 3000);
  EXPECT_EQ(g.summary.days, 240);
  EXPECT_EQ(g.summary.daily_cells, static_cast<int64_t>(sink.daily.size()));
  EXPECT_EQ(g.summary.raw_uses, static_cast<int64_t>(sink.raw.size()));
  int64_t total = static_cast<int64_t>(sink.raw.size());
  for (const DailyUses& d : sink.daily) total += d.uses;
  EXPECT_EQ(g.summary.total_uses, total);
  std::set<std::tuple<uint64_t, RegionId, Day>> raw_cells;
  for (const RawUse& u : sink.raw)
    raw_cells.insert({u.clip_id, u.region, DayOfUnixSeconds(u.time)});
  EXPECT_EQ(g.summary.raw_cells, static_cast<int64_t>(raw_cells.size()));
}

TEST(DemoGeneratorTest, DaysAreConsecutiveAndEndOnTheEndDay) {
  const CollectingSink& s = Small();
  ASSERT_EQ(s.days.size(), 240u);
  for (size_t i = 0; i < s.days.size(); ++i)
    EXPECT_EQ(s.days[i], kEndDay - 239 + static_cast<Day>(i));
  for (const DailyUses& d : s.daily) {
    ASSERT_GE(d.day, kEndDay - 239);
    ASSERT_LE(d.day, kEndDay);
    ASSERT_GE(d.uses, 1);
  }
}

TEST(DemoGeneratorTest, IdsAre19DigitsAndClipIdsUnique) {
  const CollectingSink& s = Small();
  std::set<uint64_t> clips;
  for (const SoundRecord& r : s.sounds) {
    EXPECT_TRUE(Is19Digits(r.clip_id)) << r.clip_id;
    EXPECT_TRUE(Is19Digits(r.song_id)) << r.song_id;
    EXPECT_TRUE(clips.insert(r.clip_id).second) << "duplicate clip " << r.clip_id;
  }
  std::set<uint64_t> videos;
  for (const RawUse& u : s.raw) {
    EXPECT_TRUE(Is19Digits(u.video_id)) << u.video_id;
    videos.insert(u.video_id);
  }
  EXPECT_EQ(videos.size(), s.raw.size());
  for (const DailyUses& d : s.daily) ASSERT_TRUE(clips.count(d.clip_id)) << d.clip_id;
}

TEST(DemoGeneratorTest, CatalogLooksReal) {
  const CollectingSink& s = Small();
  int commercial = 0, promoted = 0, original = 0, non_ascii = 0;
  std::map<uint64_t, int> clips_per_song;
  for (const SoundRecord& r : s.sounds) {
    EXPECT_FALSE(r.title.empty());
    EXPECT_TRUE(json::IsValidUtf8(r.title)) << r.title;
    EXPECT_TRUE(json::IsValidUtf8(r.author)) << r.author;
    EXPECT_FALSE(r.author.empty());
    EXPECT_EQ(r.cover,
              "https://cdn.soundtrend.example/cover/" + std::to_string(r.clip_id) + ".jpeg");
    EXPECT_GE(r.duration, 5);
    EXPECT_LE(r.duration, 60);
    commercial += r.commercial;
    promoted += r.promoted;
    original += r.title.starts_with("original sound - ");
    non_ascii += std::any_of(r.author.begin(), r.author.end(), [](char c) { return c & 0x80; });
    ++clips_per_song[r.song_id];
  }
  const double n = static_cast<double>(s.sounds.size());
  EXPECT_NEAR(commercial / n, 0.30, 0.04);
  EXPECT_NEAR(promoted / n, 0.05, 0.02);
  EXPECT_NEAR(original / n, 0.12, 0.04);
  EXPECT_GT(non_ascii, 30);
  const int shared_songs = static_cast<int>(std::count_if(
      clips_per_song.begin(), clips_per_song.end(), [](const auto& kv) { return kv.second > 1; }));
  EXPECT_GT(shared_songs, 50);  // "(Sped Up)", "(Remix)", users' "original sound" of a song
}

TEST(DemoGeneratorTest, EveryRegionHasHundredsOfSoundsAndFullCharts) {
  const CollectingSink& s = Small();
  std::map<std::pair<RegionId, Day>, int> sounds_per_region_day;
  std::map<RegionId, std::set<uint64_t>> last_week;
  for (const auto& [cell, uses] : UsesByCell(s)) {
    const auto& [clip, region, day] = cell;
    ++sounds_per_region_day[{region, day}];
    if (day > kEndDay - 7) last_week[region].insert(clip);
  }
  EXPECT_EQ(sounds_per_region_day.size(), kRegionCount * 240);  // every region every day
  int min_per_day = 1 << 30;
  for (const auto& [key, count] : sounds_per_region_day) min_per_day = std::min(min_per_day, count);
  EXPECT_GE(min_per_day, 60);  // 3000 sounds; 20000 give hundreds
  // The 7-day window is inside the 30- and 120-day ones: 100 sounds in it fill all three
  // top-100 charts of the last day.
  ASSERT_EQ(last_week.size(), kRegionCount);
  for (const auto& [region, clips] : last_week)
    EXPECT_GE(clips.size(), 110u) << "a 7-day top 100 in " << RegionCode(region);
}

TEST(DemoGeneratorTest, DefaultPlatformFillsEveryChartOfTheLastDay) {
  // The defaults (what `soundtrend demo` and scripts/run-demo.sh write): every region has
  // at least 100 sounds used in the last 7 days, hence full top-100 charts for 7, 30 and
  // 120 days (the windows nest), with room to spare.
  const CollectingSink& sink = Default();
  std::vector<std::pair<RegionId, uint64_t>> last_week;
  for (const DailyUses& d : sink.daily)
    if (d.day > kEndDay - 7) last_week.push_back({d.region, d.clip_id});
  for (const RawUse& u : sink.raw)
    if (DayOfUnixSeconds(u.time) > kEndDay - 7) last_week.push_back({u.region, u.clip_id});
  std::sort(last_week.begin(), last_week.end());
  last_week.erase(std::unique(last_week.begin(), last_week.end()), last_week.end());
  std::array<int, kRegionCount> sounds{};
  for (const auto& [region, clip] : last_week) ++sounds[region];
  for (size_t r = 0; r < kRegionCount; ++r)
    EXPECT_GE(sounds[r], 150) << "sounds used in the last 7 days in " << RegionCode(r);
}

TEST(DemoGeneratorTest, ChartsAreAsFullAtTheStartOfTheSpanAsAtTheEnd) {
  // The span opens in the steady state: the sounds used in a region in the first 30 days
  // are about as many as in the last 30 (a catalog launched only from the span's start
  // would ramp up, with thin early editions).
  const CollectingSink& s = Small();
  std::map<RegionId, std::set<uint64_t>> first_month, last_month;
  for (const auto& [cell, uses] : UsesByCell(s)) {
    const auto& [clip, region, day] = cell;
    if (day < kEndDay - 239 + 30) first_month[region].insert(clip);
    if (day > kEndDay - 30) last_month[region].insert(clip);
  }
  for (const auto& [region, clips] : last_month) {
    const double ratio =
        static_cast<double>(first_month[region].size()) / static_cast<double>(clips.size());
    EXPECT_GT(ratio, 0.75) << RegionCode(region);
    EXPECT_LT(ratio, 1.25) << RegionCode(region);
  }
}

TEST(DemoGeneratorTest, NoSoundTakesMostOfARegionsDay) {
  const CollectingSink& s = Small();
  std::map<std::pair<RegionId, Day>, std::pair<int64_t, int64_t>> total_and_top;
  for (const auto& [cell, uses] : UsesByCell(s)) {
    auto& [total, top] = total_and_top[{std::get<1>(cell), std::get<2>(cell)}];
    total += uses;
    top = std::max(top, uses);
  }
  std::vector<double> shares;
  for (const auto& [key, tt] : total_and_top)
    shares.push_back(static_cast<double>(tt.second) / static_cast<double>(tt.first));
  std::sort(shares.begin(), shares.end());
  EXPECT_LT(shares[shares.size() / 2], 0.2);         // typically a few percent .. 20%
  EXPECT_GT(shares[shares.size() / 2], 0.03);        // but a clear head
  EXPECT_LT(shares[shares.size() * 99 / 100], 0.6);  // even at a breakout's peak
}

TEST(DemoGeneratorTest, TopSoundsDominateZipfLike) {
  const CollectingSink& s = Small();
  // 30-day usage in the US, ranked.
  std::map<uint64_t, int64_t> per_clip;
  for (const auto& [cell, uses] : UsesByCell(s)) {
    if (std::get<1>(cell) == *FindRegion("US") && std::get<2>(cell) > kEndDay - 30)
      per_clip[std::get<0>(cell)] += uses;
  }
  std::vector<int64_t> ranked;
  int64_t total = 0;
  for (const auto& [clip, uses] : per_clip) {
    ranked.push_back(uses);
    total += uses;
  }
  std::sort(ranked.rbegin(), ranked.rend());
  ASSERT_GE(ranked.size(), 200u);
  auto share = [&](size_t from, size_t to) {
    int64_t sum = 0;
    for (size_t i = from; i < to && i < ranked.size(); ++i) sum += ranked[i];
    return static_cast<double>(sum) / static_cast<double>(total);
  };
  const size_t one_percent = std::max<size_t>(1, ranked.size() / 100);
  EXPECT_GT(share(0, one_percent), 0.15);  // the top 1% of sounds take a large share
  EXPECT_GT(share(0, 10), share(10, 20));  // rank-size decreasing, bucket by bucket
  EXPECT_GT(share(10, 20), share(20, 30));
  EXPECT_GT(share(0, 100), 0.5);
  EXPECT_GT(ranked[0], 5 * ranked[99]);
  EXPECT_LT(share(0, 1), 0.6);  // but no single sound is everything
}

TEST(DemoGeneratorTest, SomeSoundBreaksOutPeaksAndFades) {
  const CollectingSink& s = Small();
  std::map<uint64_t, std::vector<int64_t>> series;  // clip -> uses per day, all regions
  for (const auto& [cell, uses] : UsesByCell(s)) {
    auto& v = series[std::get<0>(cell)];
    v.resize(240);
    v[std::get<2>(cell) - (kEndDay - 239)] += uses;
  }
  int breakouts = 0;
  for (const auto& [clip, v] : series) {
    const auto peak_it = std::max_element(v.begin(), v.end());
    const int64_t peak = *peak_it;
    const size_t p = static_cast<size_t>(peak_it - v.begin());
    if (peak < 200 || p < 20 || p + 20 >= v.size()) continue;
    // Quiet 20 days before the peak, at most a quarter of it 20 days after.
    if (v[p - 20] * 10 <= peak && v[p + 20] * 4 <= peak) ++breakouts;
  }
  EXPECT_GE(breakouts, 3);
}

TEST(DemoGeneratorTest, WeekendsAreBusierThanMondays) {
  const CollectingSink& s = Small();
  std::array<int64_t, 7> by_weekday{};  // Monday first
  for (const auto& [cell, uses] : UsesByCell(s)) by_weekday[(std::get<2>(cell) + 3) % 7] += uses;
  EXPECT_GT(by_weekday[5], by_weekday[0] * 1.08);  // Saturday vs Monday
}

TEST(DemoGeneratorTest, RawAndDailyCellsDoNotOverlap) {
  const CollectingSink& s = Small();
  ASSERT_FALSE(s.raw.empty());
  std::vector<Cell> daily_cells;  // sorted vectors: sets of ~3 million cells are slow
  for (const DailyUses& d : s.daily) daily_cells.push_back({d.clip_id, d.region, d.day});
  std::sort(daily_cells.begin(), daily_cells.end());
  EXPECT_EQ(std::adjacent_find(daily_cells.begin(), daily_cells.end()), daily_cells.end())
      << "cell twice";
  std::map<Cell, int64_t> raw_cells;
  for (const RawUse& u : s.raw) {
    const Day day = DayOfUnixSeconds(u.time);
    EXPECT_GT(day, kEndDay - 14) << "raw uses only in the last raw_days days";
    EXPECT_GE(u.views, 0);
    ++raw_cells[{u.clip_id, u.region, day}];
  }
  for (const auto& [cell, uses] : raw_cells)
    EXPECT_FALSE(std::binary_search(daily_cells.begin(), daily_cells.end(), cell));
  // Roughly raw_fraction of the cells of those days are raw.
  size_t recent_daily = 0;
  for (const Cell& c : daily_cells) recent_daily += std::get<2>(c) > kEndDay - 14;
  const double fraction =
      static_cast<double>(raw_cells.size()) / static_cast<double>(raw_cells.size() + recent_daily);
  EXPECT_NEAR(fraction, 0.1, 0.02);
}

TEST(DemoGeneratorTest, ViewsAreHeavyTailed) {
  const CollectingSink& s = Small();
  std::vector<int64_t> views;
  for (const RawUse& u : s.raw) views.push_back(u.views);
  ASSERT_GT(views.size(), 1000u);
  std::sort(views.begin(), views.end());
  const int64_t median = views[views.size() / 2];
  EXPECT_GT(views.back(), 100 * median);
  EXPECT_GE(views.front(), 100);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The day-to-day changes |u(d+1) - u(d)| / u(d) of the (sound, region) pairs of `regions`
// that had 500-2,000 uses on every day of a week, over each of the last four weeks: the
// points of a 7-day trend of a sound with ~1,000 uses a day.
std::vector<double> TrendChanges(const Charted& p, const std::vector<RegionId>& regions) {
  std::vector<double> changes;
  for (const auto& [key, v] : p.uses) {
    if (std::find(regions.begin(), regions.end(), key.first) == regions.end()) continue;
    for (int week = 0; week < 4; ++week) {
      const auto end = v.end() - 7 * week, begin = end - 7;
      const auto [low, high] = std::minmax_element(begin, end);
      if (*low < 500 || *high > 2000) continue;
      for (auto it = begin; it + 1 != end; ++it)
        changes.push_back(std::abs(static_cast<double>(it[1] - it[0])) / it[0]);
    }
  }
  return changes;
}

TEST(PlatformShapeTest, SoundsWithAThousandUsesADayChangeByAFewPercentADay) {
  const Charted& p = DefaultCharted();
  std::vector<RegionId> all;
  for (size_t r = 0; r < kRegionCount; ++r) all.push_back(static_cast<RegionId>(r));
  const std::vector<double> changes = TrendChanges(p, all);
  const std::vector<double> us_jp = TrendChanges(p, {*FindRegion("US"), *FindRegion("JP")});
  std::printf(
      "day-to-day change of the 7-day trend of sounds with 500-2000 uses a day: median "
      "%.1f%% over %zu changes (all regions), %.1f%% over %zu (US, JP)\n",
      100 * Median(changes), changes.size(), 100 * Median(us_jp), us_jp.size());
  EXPECT_GE(changes.size(), 60u);  // enough such sounds to measure
  EXPECT_LT(Median(changes), 0.10);
  EXPECT_LT(Median(us_jp), 0.10);
}

TEST(PlatformShapeTest, EveryRegionsSurgingChartHolds15To40SoundsOnTheLastDay) {
  const Charted& p = DefaultCharted();
  size_t lowest = SIZE_MAX, highest = 0;
  std::map<int, std::pair<size_t, size_t>> by_period;
  for (size_t r = 0; r < kRegionCount; ++r) {
    const RegionId region = static_cast<RegionId>(r);
    for (int period : {7, 30}) {
      const engine::Edition* surging = p.charts->Find(region, period, ChartKind::kSurging);
      const size_t n = surging == nullptr ? 0 : surging->ranked_count();
      auto& range = by_period.try_emplace(period, SIZE_MAX, 0).first->second;
      range = {std::min(range.first, n), std::max(range.second, n)};
      if (period != 7) continue;
      EXPECT_GE(n, 15u) << RegionCode(region);
      EXPECT_LE(n, 40u) << RegionCode(region);
      lowest = std::min(lowest, n);
      highest = std::max(highest, n);
    }
  }
  std::printf("surging charts of the last day: 7 days %zu-%zu sounds, 30 days %zu-%zu\n",
              by_period[7].first, by_period[7].second, by_period[30].first, by_period[30].second);
}

}  // namespace
}  // namespace soundtrend::demo
