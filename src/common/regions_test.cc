#include "common/regions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace soundtrend {
namespace {

TEST(RegionsTest, SeventyOneUniqueCodes) {
  std::set<std::string_view> codes;
  for (const Region& r : Regions()) {
    EXPECT_EQ(r.code.size(), 2u);
    EXPECT_FALSE(r.name.empty());
    codes.insert(r.code);
  }
  EXPECT_EQ(codes.size(), 71u);
}

TEST(RegionsTest, FindIsCaseInsensitiveAndStrict) {
  ASSERT_TRUE(FindRegion("us").has_value());
  EXPECT_EQ(RegionCode(*FindRegion("us")), "US");
  EXPECT_EQ(RegionCode(*FindRegion("gB")), "GB");
  EXPECT_FALSE(FindRegion("UK").has_value());
  EXPECT_FALSE(FindRegion("").has_value());
  EXPECT_FALSE(FindRegion("USA").has_value());
}

TEST(RegionsTest, Periods) {
  EXPECT_EQ(PeriodIndex(7), 0);
  EXPECT_EQ(PeriodIndex(120), 2);
  EXPECT_FALSE(PeriodIndex(14).has_value());
}

}  // namespace
}  // namespace soundtrend
