// The rate limit shared by every node (serve --redis; README "Run as a cluster"): each
// request's decision is the shared store's (store/rate_limit_store.h: GCRA in Redis, one
// limit for all nodes) whenever the store can give it, and this node's own (the key's
// local GcraLimiter, as LocalRateLimiter) when it cannot: the store unreachable, not
// connected on this event loop yet, or its connection lost before it answered. Each node
// then limits on its own (at most burst + qps * T per node) until the store is back; the
// store logs the outage once, /metrics counts the local decisions (AppendMetrics).
//
// TryAcquire answers at once with a cell the store holds ahead for the key on this loop
// (store/rate_limit_store.h), or locally when the store cannot take the request on this
// thread; otherwise nullopt, and Acquire asks the store (its answer comes on the same loop).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "gateway/rate_limiter.h"
#include "store/rate_limit_store.h"

namespace soundtrend::gateway {

class SharedRateLimiter final : public RateLimiter {
 public:
  explicit SharedRateLimiter(std::shared_ptr<store::RateLimitStore> store);

  std::optional<RateDecision> TryAcquire(const RateSubject& subject, int64_t now_nanos) override;
  void Acquire(const RateSubject& subject, int64_t now_nanos,
               std::function<void(RateDecision)> done) override;
  // This node's view (the local limiter's state): never asks the store.
  RateDecision Peek(const RateSubject& subject, int64_t now_nanos) override {
    return subject.local.Peek(now_nanos, subject.limit);
  }

  // Requests this node decided alone because the store could not.
  uint64_t local_decisions() const { return counters_->local.load(std::memory_order_relaxed); }
  // Prometheus lines (docs/api.md, /metrics): soundtrend_rate_limit_shared (gauge: 1 while
  // every event loop decides through the store), soundtrend_rate_limit_local_decisions_total,
  // soundtrend_rate_limit_shared_decisions_total, soundtrend_redis_calls_total,
  // soundtrend_redis_connections (gauge: loops connected and ready),
  // soundtrend_redis_connection_failures_total,
  // soundtrend_rate_limit_cells_ahead_total{state="granted"|"used"|"lapsed"}.
  void AppendMetrics(std::string& out) const;

 private:
  struct Counters {
    std::atomic<uint64_t> local{0};
  };
  static RateDecision DecideLocally(Counters& counters, GcraLimiter& local, const RateLimit& limit,
                                    int64_t now_nanos);

  std::shared_ptr<store::RateLimitStore> store_;
  std::shared_ptr<Counters> counters_;  // shared with the callbacks the store holds
};

}  // namespace soundtrend::gateway
