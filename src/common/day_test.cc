#include "common/day.h"

#include <gtest/gtest.h>

namespace soundtrend {
namespace {

TEST(DayTest, UnixSecondsToDay) {
  EXPECT_EQ(DayOfUnixSeconds(0), 0);
  EXPECT_EQ(DayOfUnixSeconds(86399), 0);
  EXPECT_EQ(DayOfUnixSeconds(86400), 1);
  EXPECT_EQ(DayOfUnixSeconds(-1), -1);
  // The reference example's last trend point: 2026-02-02 00:00 UTC.
  EXPECT_EQ(DayStartUnixSeconds(DayOfUnixSeconds(1769990400 + 5)), 1769990400);
}

TEST(DayTest, FormatAndParseRoundTrip) {
  EXPECT_EQ(FormatDay(0), "1970-01-01");
  EXPECT_EQ(FormatDay(DayOfUnixSeconds(1769990400)), "2026-02-02");
  for (Day d : {-400, 0, 59, 365, 20000, 20486}) EXPECT_EQ(ParseDay(FormatDay(d)), d);
}

TEST(DayTest, ParseRejectsInvalid) {
  for (const char* s : {"", "2026-2-02", "2026-02-30", "2026-13-01", "abcd-ef-gh", "2026/02/02"})
    EXPECT_FALSE(ParseDay(s).has_value()) << s;
  EXPECT_TRUE(ParseDay("2024-02-29").has_value());
  EXPECT_FALSE(ParseDay("2023-02-29").has_value());
}

}  // namespace
}  // namespace soundtrend
