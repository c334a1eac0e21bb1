#include "engine/chart_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/day.h"
#include "common/regions.h"

namespace soundtrend::engine {
namespace {

const Day kDay = *ParseDay("2026-03-01");
const RegionId kUS = *FindRegion("US");
const RegionId kFR = *FindRegion("FR");

SoundRecord Sound(uint64_t clip, std::string title, std::string author = "Artist") {
  SoundRecord s;
  s.clip_id = clip;
  s.song_id = clip + 1000;
  s.title = std::move(title);
  s.author = std::move(author);
  s.cover = "https://example.com/" + std::to_string(clip) + ".jpeg";
  s.duration = 30;
  return s;
}

void Use(ChartEngine& engine, uint64_t clip, Day day, int64_t uses, RegionId region = kUS) {
  engine.AddDailyUses({clip, region, day, uses});
}

std::vector<uint64_t> Clips(const std::vector<ChartEntry>& entries) {
  std::vector<uint64_t> clips;
  for (const auto& e : entries) clips.push_back(e.sound->clip_id);
  return clips;
}

const Edition& MustFind(const ChartSet& set, RegionId region, int period) {
  const Edition* edition = set.Find(region, period);
  if (edition == nullptr) {
    ADD_FAILURE() << "no edition " << int(region) << "/" << period;
    static const Edition* none = nullptr;
    return *none;
  }
  return *edition;
}

const ChartEntry* EntryOf(const std::vector<ChartEntry>& entries, uint64_t clip) {
  for (const auto& e : entries)
    if (e.sound->clip_id == clip) return &e;
  return nullptr;
}

TEST(ChartEngineTest, RanksByUsageThenUsesOnTheDayThenClipIdAsNumber) {
  ChartEngine engine;
  // 1 and 2: same usage (10); 2 has more uses on the day -> 2 first.
  Use(engine, 1, kDay - 1, 5);
  Use(engine, 1, kDay, 5);
  Use(engine, 2, kDay - 1, 4);
  Use(engine, 2, kDay, 6);
  // 9 and 10: same usage and same uses on the day -> clip 9 before 10 (numeric order).
  Use(engine, 10, kDay, 3);
  Use(engine, 9, kDay, 3);
  // 5: most used.
  Use(engine, 5, kDay - 3, 20);
  auto set = engine.Publish(kDay, nullptr);
  const Edition& ed = MustFind(*set, kUS, 7);
  EXPECT_EQ(Clips(ed.top()), (std::vector<uint64_t>{5, 2, 1, 9, 10}));
  EXPECT_EQ(ed.top()[0].usage_count, 20);
  EXPECT_EQ(ed.top()[1].usage_count, 10);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ed.top()[i].rank, i + 1);
  EXPECT_EQ(ed.ranked_count(), 5u);
  EXPECT_EQ(ed.day(), kDay);
  EXPECT_EQ(ed.period(), 7);
  EXPECT_EQ(ed.region(), kUS);
}

TEST(ChartEngineTest, TieRulesDecideWhoIsTheHundredth) {
  ChartEngine engine;
  // 98 clear leaders, then four sounds tied on usage (5) for the last two places:
  // 500 and 400 have 3 uses on the day, 300 and 200 only 2 -> 400, 500 make the list
  // (tie on the day's uses broken by clip id), 200 and 300 rank 101 and 102.
  for (uint64_t clip = 1000; clip < 1098; ++clip) Use(engine, clip, kDay, 100);
  for (uint64_t clip : {500, 400}) {
    Use(engine, clip, kDay - 1, 2);
    Use(engine, clip, kDay, 3);
  }
  for (uint64_t clip : {300, 200}) {
    Use(engine, clip, kDay - 1, 3);
    Use(engine, clip, kDay, 2);
  }
  Use(engine, 1, kDay + 1, 1000);  // after the edition's day: not in its window
  auto set = engine.Publish(kDay, nullptr);
  const Edition& ed = MustFind(*set, kUS, 7);
  ASSERT_EQ(ed.top().size(), 100u);
  EXPECT_EQ(ed.ranked_count(), 102u);
  EXPECT_EQ(ed.top()[98].sound->clip_id, 400u);
  EXPECT_EQ(ed.top()[99].sound->clip_id, 500u);
  EXPECT_EQ(ed.top()[99].usage_count, 5);
  auto rest = ed.Search("");
  ASSERT_EQ(rest.size(), 102u);
  EXPECT_EQ(rest[100].sound->clip_id, 200u);
  EXPECT_EQ(rest[100].rank, 101);
  EXPECT_EQ(rest[101].sound->clip_id, 300u);
  EXPECT_EQ(rest[101].on_list_times, 1);  // listed on kDay-1 (four sounds that day), not today
  EXPECT_EQ(rest[101].rank_diff_type, 4);
  EXPECT_EQ(EntryOf(ed.top(), 1), nullptr);
}

TEST(ChartEngineTest, SoundReenteringMovesAgainstTheEditionOfDayMinusPeriod) {
  ChartEngine engine;
  // Sound 1 is on the 7-day chart kDay-20..kDay-14, off it kDay-13..kDay-8, back on it
  // from kDay-7 (rank 3 that day) and first on kDay.
  Use(engine, 10, kDay - 7, 30);
  Use(engine, 11, kDay - 7, 20);
  Use(engine, 1, kDay - 7, 10);
  Use(engine, 1, kDay - 20, 1);  // an earlier stint: listed kDay-20..kDay-14
  Use(engine, 10, kDay, 1);
  Use(engine, 1, kDay, 50);
  auto set = engine.Publish(kDay, nullptr);
  const auto& top = MustFind(*set, kUS, 7).top();
  ASSERT_EQ(Clips(top), (std::vector<uint64_t>{1, 10}));
  EXPECT_EQ(top[0].rank_diff_type, 1);  // rank 3 on the edition of kDay-7
  EXPECT_EQ(top[0].rank_diff, 2);
  EXPECT_EQ(top[1].rank_diff_type, 3);
  EXPECT_EQ(top[1].rank_diff, 1);
  // Listed kDay-20..kDay-14 (7), kDay-7..kDay-1 (7) and kDay (1).
  EXPECT_EQ(top[0].on_list_times, 15);
  EXPECT_FALSE(top[0].new_to_top_100);
  // 10 was first listed on kDay-7, just before the window [kDay-6, kDay]: not new.
  EXPECT_FALSE(top[1].new_to_top_100);
  EXPECT_EQ(top[1].on_list_times, 8);
}

TEST(ChartEngineTest, OnlySoundsUsedInTheWindowAreRankedAndUsesAddUp) {
  ChartEngine engine;
  Use(engine, 1, kDay - 7, 100);  // just outside the 7-day window, inside 30
  Use(engine, 2, kDay - 6, 1);    // first day of the 7-day window
  Use(engine, 2, kDay - 6, 2);    // adds up
  Use(engine, 3, kDay - 40, 9);   // only in the 120-day window
  Use(engine, 4, kDay, 1, kFR);   // another region
  auto set = engine.Publish(kDay, nullptr);
  EXPECT_EQ(Clips(MustFind(*set, kUS, 7).top()), (std::vector<uint64_t>{2}));
  EXPECT_EQ(MustFind(*set, kUS, 7).top()[0].usage_count, 3);
  EXPECT_EQ(Clips(MustFind(*set, kUS, 30).top()), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Clips(MustFind(*set, kUS, 120).top()), (std::vector<uint64_t>{1, 3, 2}));
  EXPECT_EQ(Clips(MustFind(*set, kFR, 7).top()), (std::vector<uint64_t>{4}));
  EXPECT_EQ(set->Find(*FindRegion("DE"), 7), nullptr);
  EXPECT_EQ(set->Find(kUS, 8), nullptr);
}

TEST(ChartEngineTest, ListsTheTopHundredAndRanksTheRest) {
  ChartEngine engine;
  for (uint64_t clip = 1; clip <= 150; ++clip) Use(engine, clip, kDay, 1000 - clip);
  auto set = engine.Publish(kDay, nullptr);
  const Edition& ed = MustFind(*set, kUS, 7);
  ASSERT_EQ(ed.top().size(), 100u);
  EXPECT_EQ(ed.ranked_count(), 150u);
  EXPECT_EQ(ed.top().back().sound->clip_id, 100u);
}

TEST(ChartEngineTest, SoundNewerThanTheWindowHasTrendFromItsFirstUse) {
  ChartEngine engine;
  engine.AddSound(Sound(1, "Old"));
  engine.AddSound(Sound(2, "New"));
  Use(engine, 1, kDay - 200, 1);  // data begins long before
  Use(engine, 1, kDay, 2);
  Use(engine, 2, kDay - 2, 4);
  Use(engine, 2, kDay, 2);
  auto set = engine.Publish(kDay, nullptr);
  const Edition& ed = MustFind(*set, kUS, 7);
  const ChartEntry* fresh = EntryOf(ed.top(), 2);
  ASSERT_NE(fresh, nullptr);
  ASSERT_EQ(fresh->trend.size(), 3u);
  EXPECT_EQ(fresh->trend[0], (TrendPoint{DayStartUnixSeconds(kDay - 2), 100}));
  EXPECT_EQ(fresh->trend[1], (TrendPoint{DayStartUnixSeconds(kDay - 1), 0}));
  EXPECT_EQ(fresh->trend[2], (TrendPoint{DayStartUnixSeconds(kDay), 50}));
  const ChartEntry* old = EntryOf(ed.top(), 1);
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->trend.size(), 7u);
  // 120 days: weekly buckets ending on kDay; sound 2's only bucket is the last one.
  const ChartEntry* fresh120 = EntryOf(MustFind(*set, kUS, 120).top(), 2);
  ASSERT_NE(fresh120, nullptr);
  ASSERT_EQ(fresh120->trend.size(), 1u);
  EXPECT_EQ(fresh120->trend[0], (TrendPoint{DayStartUnixSeconds(kDay), 100}));
  const ChartEntry* old120 = EntryOf(MustFind(*set, kUS, 120).top(), 1);
  ASSERT_NE(old120, nullptr);
  EXPECT_EQ(old120->trend.size(), 18u);
  EXPECT_EQ(old120->trend.front().time, DayStartUnixSeconds(kDay - 119));
}

TEST(ChartEngineTest, MovementComparesWithTheEditionOfDayMinusPeriod) {
  ChartEngine engine;
  const Day prev = kDay - 7;
  // Previous window: 1 > 2 > 3 > 4.
  Use(engine, 1, prev, 40);
  Use(engine, 2, prev, 30);
  Use(engine, 3, prev, 20);
  Use(engine, 4, prev, 10);
  // Current window: 3 > 2 > 1 > 5 (new); 4 gone.
  Use(engine, 3, kDay, 50);
  Use(engine, 2, kDay, 30);
  Use(engine, 1, kDay, 10);
  Use(engine, 5, kDay, 5);
  auto set = engine.Publish(kDay, nullptr);
  const auto& top = MustFind(*set, kUS, 7).top();
  ASSERT_EQ(Clips(top), (std::vector<uint64_t>{3, 2, 1, 5}));
  EXPECT_EQ(top[0].rank_diff_type, 1);
  EXPECT_EQ(top[0].rank_diff, 2);
  EXPECT_EQ(top[1].rank_diff_type, 2);
  EXPECT_EQ(top[1].rank_diff, 0);
  EXPECT_EQ(top[2].rank_diff_type, 3);
  EXPECT_EQ(top[2].rank_diff, 2);
  EXPECT_EQ(top[3].rank_diff_type, 4);
  EXPECT_FALSE(top[3].rank_diff.has_value());
}

TEST(ChartEngineTest, SoundLeavingAndReenteringCountsOnListTimes) {
  ChartEngine engine;
  // Region with 100 steady sounds (clips 1000..1099, 10 uses a day) and sound 1, which
  // is on top for 3 days, absent 20 days, back for 2 days.
  const Day start = kDay - 30;
  for (Day d = start; d <= kDay; ++d)
    for (uint64_t clip = 1000; clip < 1100; ++clip) Use(engine, clip, d, 10);
  for (Day d = start; d < start + 3; ++d) Use(engine, 1, d, 1000);
  for (Day d = kDay - 1; d <= kDay; ++d) Use(engine, 1, d, 1000);
  auto set = engine.Publish(kDay, nullptr);
  // 7-day chart: sound 1 listed on start..start+8 (its uses stay 7 days in the window),
  // then again on kDay-1 and kDay.
  const ChartEntry* e7 = EntryOf(MustFind(*set, kUS, 7).top(), 1);
  ASSERT_NE(e7, nullptr);
  EXPECT_EQ(e7->rank, 1);
  EXPECT_EQ(e7->on_list_times, 9 + 2);
  EXPECT_FALSE(e7->new_to_top_100);  // listed before the window
  EXPECT_EQ(e7->rank_diff_type, 4);  // not on the edition of kDay-7
  // 30-day chart: window is [kDay-29, kDay]; start = kDay-30 is before it.
  const ChartEntry* e30 = EntryOf(MustFind(*set, kUS, 30).top(), 1);
  ASSERT_NE(e30, nullptr);
  EXPECT_EQ(e30->on_list_times, 31);  // listed on every day since it arrived
  EXPECT_FALSE(e30->new_to_top_100);
  EXPECT_EQ(e30->rank_diff_type, 2);  // the edition of kDay-30 (= start) had it at rank 1
  EXPECT_EQ(e30->rank_diff, 0);
}

TEST(ChartEngineTest, NewToTop100MeansNeverListedBeforeTheWindow) {
  ChartEngine engine;
  Use(engine, 1, kDay - 10, 5);  // listed on 7-day charts kDay-10..kDay-4
  Use(engine, 1, kDay, 5);
  Use(engine, 2, kDay - 3, 5);  // first listed inside the window
  auto set = engine.Publish(kDay, nullptr);
  const auto& top7 = MustFind(*set, kUS, 7).top();
  EXPECT_FALSE(EntryOf(top7, 1)->new_to_top_100);
  EXPECT_TRUE(EntryOf(top7, 2)->new_to_top_100);
  EXPECT_EQ(EntryOf(top7, 2)->on_list_times, 4);
  // 30-day chart: sound 1 first listed on kDay-10, inside the window.
  EXPECT_TRUE(EntryOf(MustFind(*set, kUS, 30).top(), 1)->new_to_top_100);
}

TEST(ChartEngineTest, SearchFindsSoundsBeyondTheTopHundredWithEveryField) {
  ChartEngine engine;
  for (uint64_t clip = 1; clip <= 120; ++clip) {
    engine.AddSound(Sound(clip, "Song " + std::to_string(clip)));
    Use(engine, clip, kDay, 1000 - clip);
  }
  engine.AddSound(Sound(110, "Beyoncé Remix", "DJ Ünï"));
  engine.AddSound(Sound(3, "Halo", "BEYONCE"));
  engine.AddVideo({77, 110, kUS, kDay, "https://example.com/v77.jpeg", 5});
  Use(engine, 3, kDay - 7, 1);  // alone (rank 1) on the editions of kDay-7..kDay-1
  auto set = engine.Publish(kDay, nullptr);
  const Edition& ed = MustFind(*set, kUS, 7);
  auto hits = ed.Search("beyonce");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].sound->clip_id, 3u);
  EXPECT_EQ(hits[0].rank, 3);
  EXPECT_EQ(hits[0].rank_diff_type, 3);  // rank 1 on the edition of kDay-7
  EXPECT_EQ(hits[0].rank_diff, 2);
  EXPECT_EQ(hits[0].on_list_times, 8);
  EXPECT_EQ(hits[1].sound->clip_id, 110u);
  EXPECT_EQ(hits[1].rank, 110);
  EXPECT_EQ(hits[1].usage_count, 890);
  EXPECT_EQ(hits[1].on_list_times, 0);
  EXPECT_TRUE(hits[1].new_to_top_100);
  EXPECT_EQ(hits[1].rank_diff_type, 4);
  EXPECT_FALSE(hits[1].rank_diff.has_value());
  ASSERT_EQ(hits[1].trend.size(), 1u);
  EXPECT_EQ(hits[1].trend[0].hundredths, 100);
  ASSERT_EQ(hits[1].related.size(), 1u);
  EXPECT_EQ(hits[1].related[0].item_id, 77u);
  EXPECT_EQ(hits[1].sound->title, "Beyoncé Remix");
  // Author match, accent-insensitive.
  auto by_author = ed.Search("dj uni");
  ASSERT_EQ(by_author.size(), 1u);
  EXPECT_EQ(by_author[0].rank, 110);
  // Everything: the full ranking in order.
  auto all = ed.Search("");
  ASSERT_EQ(all.size(), 120u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].rank, static_cast<int>(i + 1));
  // A sound dropping out of the top 100: on the kDay-7 edition of the 30-day chart only
  // sound 3 was listed; sound 3 stays listed, 110 was never listed.
  auto hits30 = MustFind(*set, kUS, 30).Search("remix");
  ASSERT_EQ(hits30.size(), 1u);
  EXPECT_EQ(hits30[0].rank, 110);
  EXPECT_EQ(hits30[0].usage_count, 890);
  EXPECT_EQ(hits30[0].on_list_times, 0);
  EXPECT_EQ(hits30[0].rank_diff_type, 4);
  EXPECT_EQ(MustFind(*set, kUS, 30).Search("halo")[0].on_list_times, 8);
}

TEST(ChartEngineTest, SearchNeverMatchesAcrossTitleAuthorOrSounds) {
  ChartEngine engine;
  engine.AddSound(Sound(1, "Sun", "Rise"));
  engine.AddSound(Sound(2, "Set", "Moon"));
  engine.AddSound(Sound(3, "Moonset", "X"));
  for (uint64_t clip : {1, 2, 3}) Use(engine, clip, kDay, 10 - clip);
  auto set = engine.Publish(kDay, nullptr);
  const Edition& ed = MustFind(*set, kUS, 7);
  EXPECT_TRUE(ed.Search("sunrise").empty());
  EXPECT_TRUE(ed.Search("riseset").empty());
  EXPECT_TRUE(ed.Search(std::string_view("n\0r", 3)).empty());
  EXPECT_TRUE(ed.Search(std::string_view("e\0s", 3)).empty());
  EXPECT_EQ(Clips(ed.Search("moon")), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(Clips(ed.Search("set")), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(Clips(ed.Search("x")), (std::vector<uint64_t>{3}));
}

TEST(ChartEngineTest, RelatedVideosAreTheMostViewedOfTheWindow) {
  ChartEngine engine;
  Use(engine, 1, kDay, 10);
  Use(engine, 1, kDay - 1, 10);
  engine.AddVideo({50, 1, kUS, kDay, "c50", 100});
  engine.AddVideo({40, 1, kUS, kDay - 1, "c40", 100});  // tie with 50: smaller id first
  engine.AddVideo({60, 1, kUS, kDay, "c60", 300});
  engine.AddVideo({70, 1, kUS, kDay, "c70", 5});
  engine.AddVideo({80, 1, kUS, kDay - 1, "c80", 50});
  engine.AddVideo({90, 1, kUS, kDay - 8, "c90", 1000000});  // outside the 7-day window
  engine.AddVideo({91, 1, kFR, kDay, "c91", 1000000});      // another region
  auto set = engine.Publish(kDay, nullptr);
  const auto& entry = MustFind(*set, kUS, 7).top()[0];
  ASSERT_EQ(entry.related.size(), 4u);
  EXPECT_EQ(entry.related[0], (RelatedVideo{60, "c60"}));
  EXPECT_EQ(entry.related[1], (RelatedVideo{40, "c40"}));
  EXPECT_EQ(entry.related[2], (RelatedVideo{50, "c50"}));
  EXPECT_EQ(entry.related[3], (RelatedVideo{80, "c80"}));
  EXPECT_EQ(MustFind(*set, kUS, 30).top()[0].related[0].item_id, 90u);
}

TEST(ChartEngineTest, ARepeatedVideoIsOneRelatedVideoWithItsLargestViews) {
  // Issue 12 test gap: the same video id on several days of the window, and twice on one
  // day, is one related video (docs/api.md §3: up to 4 videos), ranked by its largest views.
  ChartEngine engine;
  Use(engine, 1, kDay, 10);
  Use(engine, 1, kDay - 1, 10);
  engine.AddVideo({50, 1, kUS, kDay, "c50", 100});
  engine.AddVideo({50, 1, kUS, kDay - 1, "c50", 500});  // the same video, another day
  engine.AddVideo({60, 1, kUS, kDay, "c60", 300});
  engine.AddVideo({60, 1, kUS, kDay, "c60", 1});  // again on one day: keeps 300
  engine.AddVideo({70, 1, kUS, kDay, "c70", 200});
  engine.AddVideo({80, 1, kUS, kDay - 1, "c80", 10});
  engine.AddVideo({90, 1, kUS, kDay, "c90", 5});
  auto set = engine.Publish(kDay, nullptr);
  const auto& related = MustFind(*set, kUS, 7).top()[0].related;
  std::vector<uint64_t> ids;
  for (const RelatedVideo& v : related) ids.push_back(v.item_id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{50, 60, 70, 80}));
}

TEST(ChartEngineTest, LaterSoundRecordReplacesAndPlaceholderBeforeCatalog) {
  ChartEngine engine;
  Use(engine, 7, kDay, 1);
  auto before = engine.Publish(kDay, nullptr);
  EXPECT_EQ(MustFind(*before, kUS, 7).top()[0].sound->title, "");
  engine.AddSound(Sound(7, "First"));
  engine.AddSound(Sound(7, "Second"));
  auto after = engine.Publish(kDay, nullptr);
  EXPECT_EQ(MustFind(*after, kUS, 7).top()[0].sound->title, "Second");
  EXPECT_EQ(MustFind(*before, kUS, 7).top()[0].sound->title, "");  // snapshot unchanged
}

TEST(ChartEngineTest, PublishedChartSetNeverChangesWhenDataArrives) {
  ChartEngine engine;
  engine.AddSound(Sound(1, "One"));
  engine.AddSound(Sound(2, "Two"));
  Use(engine, 1, kDay, 5);
  Use(engine, 2, kDay, 3);
  auto set = engine.Publish(kDay, nullptr);
  Use(engine, 2, kDay, 10);
  engine.AddVideo({5, 2, kUS, kDay, "v", 1});
  const Edition& ed = MustFind(*set, kUS, 7);
  EXPECT_EQ(Clips(ed.top()), (std::vector<uint64_t>{1, 2}));
  auto hits = ed.Search("two");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].usage_count, 3);
  EXPECT_TRUE(hits[0].related.empty());
  auto next = engine.Publish(kDay, nullptr);
  EXPECT_EQ(Clips(MustFind(*next, kUS, 7).top()), (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(MustFind(*next, kUS, 7).top()[0].usage_count, 13);
}

TEST(ChartEngineTest, LateUsesInThePublishedWindowReachTheNextPublicationInAnyBlock) {
  ChartEngine engine;
  // 1024 sounds with one use each: four blocks of 256 window sums, all at 1.
  for (uint64_t clip = 1; clip <= 1024; ++clip) Use(engine, clip, kDay - 1, 1);
  auto first = engine.Publish(kDay, nullptr);
  EXPECT_EQ(MustFind(*first, kUS, 7).top()[0].sound->clip_id, 1u);
  // Late uses for a sound of the last block and for a sound the region never saw (a new
  // block): both must be found although the other blocks are full of ties at 1.
  Use(engine, 1000, kDay, 50);
  Use(engine, 5000, kDay - 2, 20);
  auto second = engine.Publish(kDay, nullptr);
  for (int period : kPeriods) {
    const Edition& ed = MustFind(*second, kUS, period);
    ASSERT_GE(ed.top().size(), 2u);
    EXPECT_EQ(ed.top()[0].sound->clip_id, 1000u);
    EXPECT_EQ(ed.top()[0].usage_count, 51);
    EXPECT_EQ(ed.top()[1].sound->clip_id, 5000u);
    EXPECT_EQ(ed.ranked_count(), 1025u);
  }
}

// Every field of every entry of the region's six editions, as one string.
std::string Describe(const ChartSet& set, RegionId region) {
  std::string out;
  for (ChartKind kind : kChartKinds) {
    for (int period : kPeriods) {
      const Edition* ed = set.Find(region, period, kind);
      out += "[" + std::string(KindName(kind)) + " " + std::to_string(period) + "]";
      if (ed == nullptr) continue;
      out += " ranked " + std::to_string(ed->ranked_count()) + "\n";
      for (const ChartEntry& e : ed->top()) {
        out += std::to_string(e.sound->clip_id) + " r" + std::to_string(e.rank) + " u" +
               std::to_string(e.usage_count) + " d" + std::to_string(e.rank_diff.value_or(-1)) +
               "/" + std::to_string(e.rank_diff_type) + " o" +
               std::to_string(e.on_list_times.value_or(-1)) + " n" +
               std::to_string(e.new_to_top_100) + " g" +
               std::to_string(e.growth_hundredths.value_or(-1)) + " t";
        for (const TrendPoint& t : e.trend)
          out += std::to_string(t.time) + ":" + std::to_string(t.hundredths) + ",";
        out += "\n";
      }
    }
  }
  return out;
}

TEST(ChartEngineTest, ConsecutivePublicationsSeeEveryChangeToTheDaysTheyShare) {
  // A publication keeps the top sounds' daily uses it read for the next one: late uses
  // (added or replacing a day) in any of the 120 days must still reach the next
  // publication, whatever day it is for.
  auto feed = [](ChartEngine& engine, Day through) {
    for (uint64_t clip = 1; clip <= 300; ++clip) {
      for (Day d = kDay - 130; d <= through; ++d) {
        // A few sounds surge near the end; the others vary with the day.
        const int64_t uses = clip % 7 == 0 && d > kDay - 6 ? 40 + clip : 1 + (clip * 31 + d) % 9;
        if ((clip + d) % 5 != 0) Use(engine, clip, d, uses);
      }
    }
  };
  auto late = [](ChartEngine& engine) {
    Use(engine, 3, kDay - 100, 500);  // enters every 120-day top
    Use(engine, 12, kDay - 20, 90);   // the 30-day charts
    Use(engine, 14, kDay - 1, 77);    // the 7-day charts
    engine.ReplaceDailyUses(kUS, kDay - 3, std::vector<DailyUses>{{5, kUS, kDay - 3, 60}});
  };
  ChartEngine engine;
  feed(engine, kDay);
  engine.Publish(kDay - 1, nullptr);
  engine.Publish(kDay, nullptr);
  late(engine);
  for (uint64_t clip = 1; clip <= 300; ++clip) Use(engine, clip, kDay + 1, clip % 13 + 1);
  for (Day day : {kDay + 1, kDay + 1, kDay - 2, kDay, kDay + 1}) {
    SCOPED_TRACE(FormatDay(day));
    auto set = engine.Publish(day, nullptr);
    ChartEngine reference;
    feed(reference, kDay);
    late(reference);
    for (uint64_t clip = 1; clip <= 300; ++clip) Use(reference, clip, kDay + 1, clip % 13 + 1);
    EXPECT_EQ(Describe(*set, kUS), Describe(*reference.Publish(day, nullptr), kUS));
  }
}

TEST(ChartEngineTest, HistoryRecordsCoverEveryDayAndReloadGivesTheSameCharts) {
  ChartEngine engine;
  for (int i = 0; i < 40; ++i) {
    Use(engine, 1 + (i % 5), kDay - i, 1 + i % 3);
    Use(engine, 10 + (i % 7), kDay - i, 2, kFR);
  }
  std::vector<store::EditionRecord> records;
  auto set = engine.Publish(kDay, &records);
  // Every day since data begins (kDay-39), 3 periods, 2 kinds, 2 regions.
  EXPECT_EQ(records.size(), 40u * 3 * 2 * 2);
  for (const auto& r : records) EXPECT_LE(r.top_clip_ids.size(), 100u);
  // A new engine with the same data and the saved history publishes the same charts
  // without recomputing history.
  ChartEngine reloaded;
  for (int i = 0; i < 40; ++i) {
    Use(reloaded, 1 + (i % 5), kDay - i, 1 + i % 3);
    Use(reloaded, 10 + (i % 7), kDay - i, 2, kFR);
  }
  for (const auto& r : records) reloaded.LoadEdition(r);
  std::vector<store::EditionRecord> again;
  auto set2 = reloaded.Publish(kDay, &again);
  EXPECT_TRUE(again.empty());
  for (RegionId region : {kUS, kFR}) {
    for (int period : kPeriods) {
      const auto& a = MustFind(*set, region, period).top();
      const auto& b = MustFind(*set2, region, period).top();
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].sound->clip_id, b[i].sound->clip_id);
        EXPECT_EQ(a[i].on_list_times, b[i].on_list_times);
        EXPECT_EQ(a[i].rank_diff, b[i].rank_diff);
        EXPECT_EQ(a[i].new_to_top_100, b[i].new_to_top_100);
        EXPECT_EQ(a[i].trend, b[i].trend);
      }
    }
  }
}

TEST(ChartEngineTest, LoadedHistoryIsACacheUntilInvalidated) {
  ChartEngine engine;
  Use(engine, 1, kDay - 7, 5);
  Use(engine, 1, kDay, 5);
  Use(engine, 2, kDay - 7, 9);
  // Saved records (data_seq 0) say kDay-7 was 1 then 2 and the next days had no chart:
  // computed before data arrived. Loaded and not invalidated, they are taken as they are.
  engine.LoadEdition({kUS, 7, kDay - 7, {1, 2}});
  for (Day d = kDay - 6; d < kDay; ++d) engine.LoadEdition({kUS, 7, d, {}});
  auto set = engine.Publish(kDay, nullptr);
  const auto& top = MustFind(*set, kUS, 7).top();
  ASSERT_EQ(Clips(top), (std::vector<uint64_t>{1}));
  EXPECT_EQ(top[0].rank_diff_type, 2);
  EXPECT_EQ(top[0].on_list_times, 2);
  // The store says kDay-7's uses changed at seq 1, after the records were computed: every
  // edition whose span holds kDay-7 is computed again from the data.
  const store::CellsVersion changed{kUS, kDay - 7, 1};
  engine.InvalidateHistory(std::span(&changed, 1));
  engine.set_data_seq(1);
  std::vector<store::EditionRecord> records;
  HistoryStats stats;
  auto fixed = engine.Publish(kDay, &records, &stats);
  const auto& again = MustFind(*fixed, kUS, 7).top();
  ASSERT_EQ(Clips(again), (std::vector<uint64_t>{1}));
  EXPECT_EQ(again[0].rank_diff_type, 1);  // rank 2 on kDay-7 (9 > 5)
  EXPECT_EQ(again[0].rank_diff, 1);
  EXPECT_EQ(again[0].on_list_times, 8);  // kDay-7..kDay
  // Every edition (all seq 0) whose span holds kDay-7: popular 7 on kDay-7..kDay-1, and
  // popular 30/120 and surging 7/30/120 on kDay-7..kDay.
  EXPECT_EQ(stats.recomputed, 7 + 5 * 8);
  EXPECT_EQ(stats.changed, 7);  // only the loaded (wrong) ones differ
  for (const auto& r : records) EXPECT_EQ(r.data_seq, 1);
  // Records older than the change are invalidated; as new as the change, they are kept.
  const store::CellsVersion same{kUS, kDay - 7, 1};
  engine.InvalidateHistory(std::span(&same, 1));
  HistoryStats none;
  engine.Publish(kDay, nullptr, &none);
  EXPECT_EQ(none.recomputed, 0);
}

}  // namespace
}  // namespace soundtrend::engine
