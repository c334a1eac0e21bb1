// The 71 chart regions of docs/api.md §5, in the spec's order. A RegionId is an index into that
// table, stable for the life of the code (stores persist the two-letter code, not the id).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace soundtrend {

using RegionId = uint8_t;

struct Region {
  std::string_view code;  // upper case, e.g. "GB"
  std::string_view name;  // English name, e.g. "United Kingdom"
};

constexpr size_t kRegionCount = 71;

// The whole table, in docs/api.md §5 order.
const std::array<Region, kRegionCount>& Regions();
// The id of a code in any case ("us", "Us" -> US); nullopt for anything else ("UK", "").
std::optional<RegionId> FindRegion(std::string_view code);
inline std::string_view RegionCode(RegionId id) { return Regions()[id].code; }

// The chart periods of docs/api.md §1, in days.
constexpr std::array<int, 3> kPeriods = {7, 30, 120};
// Index of a period in kPeriods; nullopt for other values.
constexpr std::optional<int> PeriodIndex(int period) {
  for (size_t i = 0; i < kPeriods.size(); ++i)
    if (kPeriods[i] == period) return static_cast<int>(i);
  return std::nullopt;
}

}  // namespace soundtrend
