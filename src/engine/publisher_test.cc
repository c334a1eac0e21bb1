#include "engine/publisher.h"

#include <gtest/gtest.h>

#include "common/day.h"

namespace soundtrend::engine {
namespace {

constexpr int64_t kMicros = 1000000;
const Day kDay = *ParseDay("2026-03-01");
const RegionId kUS = *FindRegion("US");

int64_t At(Day day, int64_t seconds_into_day) {
  return (DayStartUnixSeconds(day) + seconds_into_day) * kMicros;
}

TEST(LatestClosedDayTest, DayClosesAfterTheLatenessAllowance) {
  const int64_t two_hours = 2 * 3600;
  // Just before 02:00 on kDay+1: kDay is still open.
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, two_hours) - 1, two_hours), kDay - 1);
  // At 02:00 on kDay+1: kDay is closed.
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, two_hours), two_hours), kDay);
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, 23 * 3600), two_hours), kDay);
  // No allowance: a day closes at midnight.
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, 0), 0), kDay);
  EXPECT_EQ(LatestClosedDay(At(kDay + 1, 0) - 1, 0), kDay - 1);
  // Before 1970.
  EXPECT_EQ(LatestClosedDay(-1, 0), -2);
}

TEST(PublisherTest, PublishesWhenADayClosesOrDataArrives) {
  ChartEngine engine;
  FakeClock clock(At(kDay + 1, 3600));  // 01:00: kDay not closed yet
  Publisher publisher(&engine, &clock, {2 * 3600});
  Batch batch;
  batch.uses = {{1, kUS, kDay - 1, 5}, {2, kUS, kDay, 7}};
  publisher.Apply(batch);

  auto first = publisher.Poll();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->charts->day(), kDay - 1);
  ASSERT_NE(first->charts->Find(kUS, 7), nullptr);
  EXPECT_EQ(first->charts->Find(kUS, 7)->top().size(), 1u);
  EXPECT_EQ(first->new_editions.size(), 6u);   // kDay-1, 3 periods x 2 kinds
  EXPECT_FALSE(publisher.Poll().has_value());  // nothing new

  clock.AdvanceSeconds(3600);  // 02:00: kDay closes
  auto second = publisher.Poll();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->charts->day(), kDay);
  EXPECT_EQ(second->charts->Find(kUS, 7)->top()[0].sound->clip_id, 2u);
  EXPECT_EQ(second->new_editions.size(), 6u);
  EXPECT_FALSE(publisher.Poll().has_value());

  Batch late;
  late.uses = {{1, kUS, kDay, 10}};
  publisher.Apply(late);
  auto third = publisher.Poll();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->charts->day(), kDay);
  EXPECT_EQ(third->charts->Find(kUS, 7)->top()[0].sound->clip_id, 1u);
  // The old publication is untouched.
  EXPECT_EQ(second->charts->Find(kUS, 7)->top()[0].sound->clip_id, 2u);
}

}  // namespace
}  // namespace soundtrend::engine
