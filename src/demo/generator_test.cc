#include "demo/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "common/json_writer.h"
#include "demo/collecting_sink.h"

namespace soundtrend::demo {
namespace {

constexpr Day kEndDay = 20000;  // 2024-10-04, a Friday

DemoOptions SmallOptions(uint64_t seed = 42) {
  DemoOptions o;
  o.seed = seed;
  o.sounds = 3000;
  o.days = 240;
  o.end_day = kEndDay;
  o.raw_days = 14;
  o.raw_fraction = 0.1;
  return o;
}

// One generation shared by the shape tests (generation is deterministic).
const CollectingSink& Small() {
  static const CollectingSink* sink = [] {
    auto* s = new CollectingSink;
    auto summary = Generate(SmallOptions(), *s);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return s;
  }();
  return *sink;
}

using Cell = std::tuple<uint64_t, RegionId, Day>;

// Uses per (clip, region, day), daily and raw streams added together, sorted by cell.
// (A sorted vector: a std::map of the ~3 million cells takes seconds to build.)
std::vector<std::pair<Cell, int64_t>> UsesByCell(const CollectingSink& sink) {
  std::vector<std::pair<Cell, int64_t>> all;
  all.reserve(sink.daily.size() + sink.raw.size());
  for (const DailyUses& d : sink.daily) all.push_back({{d.clip_id, d.region, d.day}, d.uses});
  for (const RawUse& u : sink.raw)
    all.push_back({{u.clip_id, u.region, DayOfUnixSeconds(u.time)}, 1});
  std::sort(all.begin(), all.end());
  std::vector<std::pair<Cell, int64_t>> out;
  for (const auto& [cell, uses] : all) {
    if (!out.empty() && out.back().first == cell)
      out.back().second += uses;
    else
      out.push_back({cell, uses});
  }
  return out;
}

bool Is19Digits(uint64_t id) { return std::to_string(id).size() == 19; }

TEST(DemoGeneratorTest, RejectsBadOptions) {
  CollectingSink sink;
  auto with = [](auto change) {
    DemoOptions o = SmallOptions();
    change(o);
    return o;
  };
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.sounds = 0; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.days = 0; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.scale = 0; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.raw_fraction = 1.5; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.raw_days = -1; }), sink).ok());
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.end_day = 30000; }), sink).ok());  // 2052
  EXPECT_FALSE(Generate(with([](DemoOptions& o) { o.regions = {200}; }), sink).ok());
  EXPECT_EQ(Generate(with([](DemoOptions& o) { o.sounds = 0; }), sink).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_TRUE(sink.sounds.empty());
  EXPECT_TRUE(sink.days.empty());
}

TEST(DemoGeneratorTest, SameSeedGivesSameOutputAndOtherSeedDiffers) {
  DemoOptions o = SmallOptions(5);
  o.sounds = 800;
  o.days = 60;
  CollectingSink a, b, c;
  ASSERT_TRUE(Generate(o, a).ok());
  ASSERT_TRUE(Generate(o, b).ok());
  o.seed = 6;
  ASSERT_TRUE(Generate(o, c).ok());
  EXPECT_EQ(a.sounds, b.sounds);
  EXPECT_EQ(a.daily, b.daily);
  ASSERT_EQ(a.raw.size(), b.raw.size());
  for (size_t i = 0; i < a.raw.size(); ++i) {
    EXPECT_EQ(a.raw[i].video_id, b.raw[i].video_id);
    EXPECT_EQ(a.raw[i].views, b.raw[i].views);
  }
  EXPECT_NE(a.sounds, c.sounds);
  EXPECT_NE(a.daily, c.daily);
}

TEST(DemoGeneratorTest, SummaryCountsWhatTheSinkReceived) {
  CollectingSink sink;
  auto summary = Generate(SmallOptions(), sink);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->sounds, 3000);
  EXPECT_EQ(summary->days, 240);
  EXPECT_EQ(summary->daily_cells, static_cast<int64_t>(sink.daily.size()));
  EXPECT_EQ(summary->raw_uses, static_cast<int64_t>(sink.raw.size()));
  int64_t total = static_cast<int64_t>(sink.raw.size());
  for (const DailyUses& d : sink.daily) total += d.uses;
  EXPECT_EQ(summary->total_uses, total);
  EXPECT_EQ(sink.sounds, Small().sounds);
  EXPECT_EQ(sink.daily, Small().daily);
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
  DemoOptions o;
  o.end_day = kEndDay;
  CollectingSink sink;
  ASSERT_TRUE(Generate(o, sink).ok());
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

TEST(DemoGeneratorTest, OnlyRequestedRegionsAppear) {
  DemoOptions o = SmallOptions();
  o.sounds = 500;
  o.days = 30;
  o.regions = {*FindRegion("IS"), *FindRegion("JP"), *FindRegion("US"), *FindRegion("US")};
  CollectingSink sink;
  ASSERT_TRUE(Generate(o, sink).ok());
  std::set<RegionId> seen;
  for (const DailyUses& d : sink.daily) seen.insert(d.region);
  for (const RawUse& u : sink.raw) seen.insert(u.region);
  EXPECT_EQ(seen, (std::set<RegionId>{*FindRegion("IS"), *FindRegion("JP"), *FindRegion("US")}));
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

TEST(DemoGeneratorTest, RawFractionZeroOrOneMovesAllCells) {
  DemoOptions o = SmallOptions();
  o.sounds = 500;
  o.days = 20;
  o.raw_days = 5;
  o.raw_fraction = 0;
  CollectingSink none, all;
  ASSERT_TRUE(Generate(o, none).ok());
  EXPECT_TRUE(none.raw.empty());
  o.raw_fraction = 1;
  ASSERT_TRUE(Generate(o, all).ok());
  for (const DailyUses& d : all.daily) EXPECT_LE(d.day, kEndDay - 5);
  EXPECT_EQ(UsesByCell(none), UsesByCell(all));  // same platform, only the split differs
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

class FailingSink final : public DemoSink {
 public:
  Status OnSound(const SoundRecord&) override { return Status::Ok(); }
  Status OnDay(Day, std::span<const DailyUses>, std::span<const RawUse>) override {
    return ++days_ == 3 ? Status::IoError("disk full") : Status::Ok();
  }
  int days_ = 0;
};

TEST(DemoGeneratorTest, SinkErrorStopsGeneration) {
  FailingSink sink;
  auto summary = Generate(SmallOptions(), sink);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Status::Code::kIoError);
  EXPECT_EQ(sink.days_, 3);
}

TEST(DemoGeneratorTest, ToVideoRecordDescribesTheUse) {
  RawUse use{7000000000000000001ULL, 3, 1728000000, 7421000000000000002ULL, 1234};
  VideoRecord v = ToVideoRecord(use);
  EXPECT_EQ(v.video_id, use.video_id);
  EXPECT_EQ(v.clip_id, use.clip_id);
  EXPECT_EQ(v.region, 3);
  EXPECT_EQ(v.day, DayOfUnixSeconds(1728000000));
  EXPECT_EQ(v.cover, "https://cdn.soundtrend.example/video/7421000000000000002.jpeg");
  EXPECT_EQ(v.views, 1234);
}

}  // namespace
}  // namespace soundtrend::demo
