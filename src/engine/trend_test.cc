#include "engine/trend.h"

#include <gtest/gtest.h>

#include <vector>

namespace soundtrend::engine {
namespace {

constexpr Day kDay = 20500;

TEST(RoundedHundredthsTest, RoundsHalfAwayFromZero) {
  EXPECT_EQ(RoundedHundredths(1, 8), 13);   // 12.5 -> 13
  EXPECT_EQ(RoundedHundredths(3, 8), 38);   // 37.5 -> 38
  EXPECT_EQ(RoundedHundredths(1, 200), 1);  // 0.5 -> 1
  EXPECT_EQ(RoundedHundredths(1, 201), 0);  // 0.497 -> 0
  EXPECT_EQ(RoundedHundredths(1, 3), 33);
  EXPECT_EQ(RoundedHundredths(2, 3), 67);
  EXPECT_EQ(RoundedHundredths(5, 5), 100);
  EXPECT_EQ(RoundedHundredths(0, 5), 0);
}

TEST(TrendTest, SevenDaysOnePointPerDayNormalizedToMax) {
  std::vector<int64_t> uses = {0, 8, 1, 2, 3, 4, 5};
  auto points = ComputeTrend(7, kDay, uses, kDay - 100);
  ASSERT_EQ(points.size(), 7u);
  EXPECT_EQ(points[0].time, DayStartUnixSeconds(kDay - 6));
  EXPECT_EQ(points[6].time, DayStartUnixSeconds(kDay));
  std::vector<int> values;
  for (auto& p : points) values.push_back(p.hundredths);
  EXPECT_EQ(values, (std::vector<int>{0, 100, 13, 25, 38, 50, 63}));
}

TEST(TrendTest, LeavesOutDaysBeforeFirstUse) {
  std::vector<int64_t> uses(30, 0);
  uses[27] = 2;
  uses[29] = 4;
  auto points = ComputeTrend(30, kDay, uses, kDay - 2);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].time, DayStartUnixSeconds(kDay - 2));
  EXPECT_EQ(points[0].hundredths, 50);
  EXPECT_EQ(points[1].hundredths, 0);
  EXPECT_EQ(points[2].hundredths, 100);
}

TEST(TrendTest, HundredTwentyDaysWeeklyBucketsEndOnDayWithOneDayOldest) {
  std::vector<int64_t> uses(120, 0);
  uses[0] = 3;                               // day D-119: the 1-day oldest bucket, mean 3
  for (int i = 1; i <= 7; ++i) uses[i] = 1;  // D-118..D-112: mean 1
  uses[119] = 21;                            // bucket D-6..D: mean 3
  uses[113] = 7;                             // same bucket: total 28, mean 4
  auto points = ComputeTrend(120, kDay, uses, kDay - 500);
  ASSERT_EQ(points.size(), 18u);
  EXPECT_EQ(points[0].time, DayStartUnixSeconds(kDay - 119));
  EXPECT_EQ(points[1].time, DayStartUnixSeconds(kDay - 112));
  EXPECT_EQ(points[17].time, DayStartUnixSeconds(kDay));
  EXPECT_EQ(points[0].hundredths, 75);  // 3 / 4
  EXPECT_EQ(points[1].hundredths, 25);  // 1 / 4
  EXPECT_EQ(points[2].hundredths, 0);
  EXPECT_EQ(points[17].hundredths, 100);
}

TEST(TrendTest, HundredTwentyDaysLeavesOutWholeBucketsBeforeFirstUse) {
  std::vector<int64_t> uses(120, 0);
  uses[109] = 7;  // day D-10, inside bucket D-13..D-7
  uses[119] = 1;
  auto points = ComputeTrend(120, kDay, uses, kDay - 10);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].time, DayStartUnixSeconds(kDay - 7));
  EXPECT_EQ(points[0].hundredths, 100);  // 7 uses / 7 days = 1 per day
  EXPECT_EQ(points[1].time, DayStartUnixSeconds(kDay));
  EXPECT_EQ(points[1].hundredths, 14);  // 1/7 = 0.142857
}

TEST(TrendTest, OldestBucketKeptWhenFirstUseIsItsDay) {
  std::vector<int64_t> uses(120, 0);
  uses[0] = 1;
  auto points = ComputeTrend(120, kDay, uses, kDay - 119);
  ASSERT_EQ(points.size(), 18u);
  EXPECT_EQ(points[0].hundredths, 100);
  EXPECT_EQ(points[1].hundredths, 0);
}

}  // namespace
}  // namespace soundtrend::engine
