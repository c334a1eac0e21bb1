// UTC days. A Day is the number of days since 1970-01-01 (UTC); day 0 starts at unix
// second 0. All chart arithmetic (windows, editions) is done in Days.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace soundtrend {

using Day = int32_t;

constexpr int64_t kSecondsPerDay = 86400;

// The day that contains unix second `t` (floor division, correct for negative t).
constexpr Day DayOfUnixSeconds(int64_t t) {
  return static_cast<Day>(t >= 0 ? t / kSecondsPerDay : -((-t + kSecondsPerDay - 1) / kSecondsPerDay));
}
// Unix seconds at 00:00 UTC of `d`.
constexpr int64_t DayStartUnixSeconds(Day d) { return static_cast<int64_t>(d) * kSecondsPerDay; }

// "YYYY-MM-DD" of a day.
std::string FormatDay(Day d);
// Parses "YYYY-MM-DD" (a valid proleptic Gregorian date); nullopt otherwise.
std::optional<Day> ParseDay(std::string_view s);

}  // namespace soundtrend
