#include "common/geonames.h"

#include <gtest/gtest.h>

#include <set>

namespace soundtrend {
namespace {

TEST(GeoNamesTest, EveryRegionHasItsOwnId) {
  std::set<uint32_t> ids;
  for (size_t r = 0; r < kRegionCount; ++r) {
    const uint32_t id = GeoNamesId(static_cast<RegionId>(r));
    EXPECT_GT(id, 0u) << RegionCode(static_cast<RegionId>(r));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), kRegionCount);
}

TEST(GeoNamesTest, KnownCountries) {
  EXPECT_EQ(GeoNamesId(*FindRegion("US")), 6252001u);
  EXPECT_EQ(GeoNamesId(*FindRegion("GB")), 2635167u);
  EXPECT_EQ(GeoNamesId(*FindRegion("JP")), 1861060u);
  EXPECT_EQ(GeoNamesId(*FindRegion("BR")), 3469034u);
  EXPECT_EQ(GeoNamesId(*FindRegion("IQ")), 99237u);
  EXPECT_EQ(GeoNamesId(static_cast<RegionId>(kRegionCount)), 0u);
}

}  // namespace
}  // namespace soundtrend
