// docs/api.md §4 trend lines, as a pure function of one sound's daily uses in a window.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/day.h"
#include "engine/chart_set.h"

namespace soundtrend::engine {

// round(100 * numerator / denominator) with halves rounded away from zero, computed
// exactly in integers. Requires numerator >= 0, denominator > 0.
int RoundedHundredths(__int128 numerator, __int128 denominator);

// The trend of one sound in the edition (period, day).
//
// `window_uses[i]` is the sound's uses on day (day - period + 1 + i); the span has exactly
// `period` elements. `first_use` is the sound's first day with uses in the region (any
// day, also before the window).
//
// - period 7 and 30: one point per day of the window, time = that day.
// - other periods (120): one point per 7-day bucket; buckets end on `day`, `day - 7`, ...
//   and the oldest bucket holds the remaining days (1 day for P=120). A bucket's raw value
//   is its total uses divided by its length in days (its full length, also when the
//   sound's first use falls inside it). The point's time is the bucket's LAST day.
// - Points whose day (buckets whose last day) is before `first_use` are left out.
// - Values are raw / max(raw) of the points kept, as hundredths rounded half away from
//   zero, so the largest is exactly 100. Oldest point first.
// Returns no points when the sound has no use in the window.
std::vector<TrendPoint> ComputeTrend(int period, Day day, std::span<const int64_t> window_uses,
                                     Day first_use);

}  // namespace soundtrend::engine
