// The GeoNames id of every chart region's country (the `country_info.id` of docs/api.md §7
// audience_countries).
#pragma once

#include <cstdint>

#include "common/regions.h"

namespace soundtrend {

// The geonameid of the region's country, > 0 for every RegionId < kRegionCount.
uint32_t GeoNamesId(RegionId region);

}  // namespace soundtrend
