#include "engine/trend.h"

#include <cassert>

namespace soundtrend::engine {

int RoundedHundredths(__int128 numerator, __int128 denominator) {
  assert(numerator >= 0 && denominator > 0);
  // floor((100 * n) / d + 1/2) = floor((200 * n + d) / (2 * d)) for non-negative values.
  // In 64 bits when that cannot overflow (always, for real counts): a 128-bit division is
  // a library call several times slower, and there are tens of points per entry.
  constexpr __int128 kFits = __int128{1} << 54;
  if (numerator < kFits && denominator < kFits) {
    const int64_t n = static_cast<int64_t>(numerator);
    const int64_t d = static_cast<int64_t>(denominator);
    return static_cast<int>((200 * n + d) / (2 * d));
  }
  return static_cast<int>((200 * numerator + denominator) / (2 * denominator));
}

namespace {

struct RawPoint {
  Day last_day;
  int64_t total;   // uses in the point's days
  int64_t length;  // days the point covers
};

}  // namespace

std::vector<TrendPoint> ComputeTrend(int period, Day day, std::span<const int64_t> window_uses,
                                     Day first_use) {
  assert(static_cast<int>(window_uses.size()) == period);
  const Day window_start = day - period + 1;
  // The raw points, on the stack for the periods served (at most 30: P=30 daily, P=120 has
  // 18 buckets): this runs for every entry of every edition.
  constexpr size_t kInline = 32;
  RawPoint inline_points[kInline];
  std::vector<RawPoint> heap_points;
  const size_t capacity =
      static_cast<size_t>(period == 7 || period == 30 ? period : period / 7 + 1);
  RawPoint* raw = inline_points;
  if (capacity > kInline) {
    heap_points.resize(capacity);
    raw = heap_points.data();
  }
  size_t raw_count = 0;
  if (period == 7 || period == 30) {
    for (int i = 0; i < period; ++i) {
      const Day d = window_start + i;
      if (d < first_use) continue;
      raw[raw_count++] = {d, window_uses[i], 1};
    }
  } else {
    const int full_buckets = period / 7;
    const int oldest_length = period % 7;
    // Oldest first: the partial bucket (if any), then the full ones.
    int index = 0;
    if (oldest_length > 0) {
      int64_t total = 0;
      for (int i = 0; i < oldest_length; ++i) total += window_uses[index + i];
      const Day last = window_start + oldest_length - 1;
      if (last >= first_use) raw[raw_count++] = {last, total, oldest_length};
      index += oldest_length;
    }
    for (int b = 0; b < full_buckets; ++b) {
      int64_t total = 0;
      for (int i = 0; i < 7; ++i) total += window_uses[index + i];
      const Day last = window_start + index + 6;
      if (last >= first_use) raw[raw_count++] = {last, total, 7};
      index += 7;
    }
  }
  // The largest raw value (total / length), compared exactly by cross-multiplication.
  const RawPoint* max_point = nullptr;
  for (size_t i = 0; i < raw_count; ++i) {
    const RawPoint& p = raw[i];
    if (max_point == nullptr || static_cast<__int128>(p.total) * max_point->length >
                                    static_cast<__int128>(max_point->total) * p.length) {
      max_point = &p;
    }
  }
  std::vector<TrendPoint> points;
  if (max_point == nullptr || max_point->total == 0) return points;
  points.reserve(raw_count);
  for (size_t i = 0; i < raw_count; ++i) {
    const RawPoint& p = raw[i];
    // (p.total / p.length) / (max.total / max.length)
    const __int128 numerator = static_cast<__int128>(p.total) * max_point->length;
    const __int128 denominator = static_cast<__int128>(max_point->total) * p.length;
    points.push_back({DayStartUnixSeconds(p.last_day), RoundedHundredths(numerator, denominator)});
  }
  return points;
}

}  // namespace soundtrend::engine
