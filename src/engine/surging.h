// docs/api.md §8, the rules of the surging (breakout) chart, as pure functions of a sound's uses
// in the window (u) and in the window just before it (p).
#pragma once

#include <cstdint>

namespace soundtrend::engine {

inline constexpr int64_t kSurgingMinUses = 50;  // u >= 50
inline constexpr int64_t kSurgingSmoothing = 10;

// Eligible: u >= 50 and u + 10 >= 2 * (p + 10) (at least doubled, smoothed). Requires
// u, p >= 0.
constexpr bool SurgingEligible(int64_t u, int64_t p) {
  return u >= kSurgingMinUses && u + kSurgingSmoothing >= 2 * (p + kSurgingSmoothing);
}

// growth = (u + 10) / (p + 10) in hundredths, rounded half away from zero (exact, in
// integers). Requires u, p >= 0.
constexpr int64_t GrowthHundredths(int64_t u, int64_t p) {
  constexpr int64_t kFits = int64_t{1} << 54;  // 200 * n + d fits in 64 bits: no 128-bit division
  if (u < kFits && p < kFits) {
    const int64_t n = u + kSurgingSmoothing;
    const int64_t d = p + kSurgingSmoothing;
    return (200 * n + d) / (2 * d);
  }
  const __int128 n = u + kSurgingSmoothing;
  const __int128 d = p + kSurgingSmoothing;
  return static_cast<int64_t>((200 * n + d) / (2 * d));
}

// The surging order: growth descending (compared exactly), then u descending, then clip_id
// ascending (as a number). `local` rides along.
struct SurgingKey {
  int64_t u;
  int64_t p;
  uint64_t clip_id;
  uint32_t local;
  bool operator<(const SurgingKey& o) const {
    // (u + 10) / (p + 10) > (o.u + 10) / (o.p + 10), by cross-multiplication.
    const __int128 a = static_cast<__int128>(u + kSurgingSmoothing) * (o.p + kSurgingSmoothing);
    const __int128 b = static_cast<__int128>(o.u + kSurgingSmoothing) * (p + kSurgingSmoothing);
    if (a != b) return a > b;
    if (u != o.u) return u > o.u;
    return clip_id < o.clip_id;
  }
};

}  // namespace soundtrend::engine
