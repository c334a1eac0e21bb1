// The two chart kinds of docs/api.md §8, shared by the engine (which computes them), the stores
// (which persist their history) and the API (which parses `rank_type`).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace soundtrend {

// `popular`: the chart of docs/api.md §4 (most used). `surging`: the sounds growing fastest
// against their own previous window (docs/api.md §8).
enum class ChartKind : uint8_t { kPopular = 0, kSurging = 1 };

constexpr std::array<ChartKind, 2> kChartKinds = {ChartKind::kPopular, ChartKind::kSurging};
constexpr int KindIndex(ChartKind kind) { return static_cast<int>(kind); }

// "popular" / "surging".
constexpr std::string_view KindName(ChartKind kind) {
  return kind == ChartKind::kPopular ? "popular" : "surging";
}
// The kind of an exact lower-case name; nullopt otherwise.
constexpr std::optional<ChartKind> KindOfName(std::string_view name) {
  if (name == "popular") return ChartKind::kPopular;
  if (name == "surging") return ChartKind::kSurging;
  return std::nullopt;
}

}  // namespace soundtrend
