// Per-key QPS limit: GCRA (generic cell rate algorithm), the smooth form of a token
// bucket. A key with limit q and burst b gets one request every T = 1/q seconds on average
// and at most b back to back: in ANY interval of length d at most b + q*d requests pass,
// wherever the interval starts (no burst at window edges, unlike fixed windows).
// Rejected requests do not change the state, so they do not consume the limit.
//
// Thread-safety: TryAcquire and Peek are lock-free (one CAS on the theoretical arrival
// time) and may be called from any number of threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>

namespace soundtrend::gateway {

struct RateLimit {
  int64_t qps = 10;    // >= 1
  int64_t burst = 10;  // >= 1; the default is one second worth of the limit (= qps)
};

struct RateDecision {
  bool allowed = false;
  int64_t remaining = 0;            // requests that would pass right now after this one
  int64_t reset_seconds = 0;        // seconds until the full burst is available again (ceil)
  int64_t retry_after_seconds = 0;  // when rejected: seconds to wait (ceil, >= 1)
};

class GcraLimiter {
 public:
  // Takes one request at monotonic time `now_nanos` when the limit allows it.
  RateDecision TryAcquire(int64_t now_nanos, const RateLimit& limit);
  // The decision TryAcquire would give for the state after the last request, without
  // taking anything (for headers on responses that do not count, e.g. 403).
  RateDecision Peek(int64_t now_nanos, const RateLimit& limit) const;

 private:
  std::atomic<int64_t> tat_{std::numeric_limits<int64_t>::min() / 2};
};

// Header values per draft-ietf-httpapi-ratelimit-headers (-08 and later):
//   RateLimit-Policy: "default";q=<qps>;w=1
//   RateLimit: "default";r=<remaining>;t=<reset seconds>
std::string RateLimitPolicyHeader(const RateLimit& limit);
std::string RateLimitHeader(const RateDecision& decision);

}  // namespace soundtrend::gateway
