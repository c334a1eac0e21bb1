// Per-key QPS limit: GCRA (generic cell rate algorithm), the smooth form of a token
// bucket. A key with limit q and burst b gets one request every T = 1/q seconds on average
// and at most b back to back: in ANY interval of length d at most b + q*d requests pass,
// wherever the interval starts (no burst at window edges, unlike fixed windows).
// Rejected requests do not change the state, so they do not consume the limit.
//
// Thread-safety: TryAcquire and Peek are lock-free (one CAS on the theoretical arrival
// time) and may be called from any number of threads.
//
// RateLimiter is where a key's limit is decided: LocalRateLimiter (this process alone, the
// per-key GcraLimiter below), or a shared one (Redis: every node's requests of a key count
// against one limit, docs/api.md §10), which answers asynchronously.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

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

// The key a decision is about. `local` is this process's state of the key's limit: the
// local limiter's, and what a shared limiter falls back to when its store is unreachable.
// What the references point to stays valid until the decision has been delivered (the
// caller holds the key's account); the RateSubject itself may not: Acquire copies it.
struct RateSubject {
  std::string_view key_id;
  const RateLimit& limit;
  GcraLimiter& local;
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Takes one request of `subject` at monotonic time `now_nanos` when the limit allows it,
  // if this can be decided right now on the calling thread (no round trip). nullopt: it
  // cannot; call Acquire, which decides it (and takes the request when allowed) later.
  virtual std::optional<RateDecision> TryAcquire(const RateSubject& subject, int64_t now_nanos) = 0;
  // Decides one request of `subject` and calls `done` exactly once with the decision, on
  // any thread (possibly before returning). A refused request takes nothing.
  virtual void Acquire(const RateSubject& subject, int64_t now_nanos,
                       std::function<void(RateDecision)> done) = 0;
  // The state after the last request as well as this node knows it, taking nothing (the
  // headers of a response that does not count, e.g. 403). Never waits.
  virtual RateDecision Peek(const RateSubject& subject, int64_t now_nanos) = 0;
};

// The limit applied by this process alone (one node; or each node on its own).
class LocalRateLimiter final : public RateLimiter {
 public:
  std::optional<RateDecision> TryAcquire(const RateSubject& subject, int64_t now_nanos) override {
    return subject.local.TryAcquire(now_nanos, subject.limit);
  }
  void Acquire(const RateSubject& subject, int64_t now_nanos,
               std::function<void(RateDecision)> done) override {
    done(subject.local.TryAcquire(now_nanos, subject.limit));
  }
  RateDecision Peek(const RateSubject& subject, int64_t now_nanos) override {
    return subject.local.Peek(now_nanos, subject.limit);
  }
};

// Header values per draft-ietf-httpapi-ratelimit-headers (-08 and later):
//   RateLimit-Policy: "default";q=<qps>;w=1
//   RateLimit: "default";r=<remaining>;t=<reset seconds>
std::string RateLimitPolicyHeader(const RateLimit& limit);
std::string RateLimitHeader(const RateDecision& decision);

}  // namespace soundtrend::gateway
