#include "gateway/shared_rate_limiter.h"

#include <utility>

namespace soundtrend::gateway {

namespace {

RateDecision FromShared(const store::SharedDecision& d) {
  RateDecision decision;
  decision.allowed = d.allowed;
  decision.remaining = d.remaining;
  decision.reset_seconds = d.reset_seconds;
  decision.retry_after_seconds = d.retry_after_seconds;
  return decision;
}

}  // namespace

SharedRateLimiter::SharedRateLimiter(std::shared_ptr<store::RateLimitStore> store)
    : store_(std::move(store)), counters_(std::make_shared<Counters>()) {}

RateDecision SharedRateLimiter::DecideLocally(Counters& counters, GcraLimiter& local,
                                              const RateLimit& limit, int64_t now_nanos) {
  counters.local.fetch_add(1, std::memory_order_relaxed);
  return local.TryAcquire(now_nanos, limit);
}

std::optional<RateDecision> SharedRateLimiter::TryAcquire(const RateSubject& subject,
                                                          int64_t now_nanos) {
  const store::SharedLimit limit{subject.limit.qps, subject.limit.burst};
  if (std::optional<store::SharedDecision> d =
          store_->TakeAhead(subject.key_id, limit, now_nanos)) {
    return FromShared(*d);
  }
  if (store_->Ready()) return std::nullopt;
  return DecideLocally(*counters_, subject.local, subject.limit, now_nanos);
}

void SharedRateLimiter::Acquire(const RateSubject& subject, int64_t now_nanos,
                                std::function<void(RateDecision)> done) {
  // The subject's references stay valid until `done` has been called (rate_limiter.h).
  GcraLimiter* local = &subject.local;
  const RateLimit limit = subject.limit;
  store::RateLimitStore::Done answer =
      [counters = counters_, local, limit, now_nanos,
       done = std::move(done)](std::optional<store::SharedDecision> d) {
        if (!d) return done(DecideLocally(*counters, *local, limit, now_nanos));
        done(FromShared(*d));
      };
  if (store_->Submit(subject.key_id, store::SharedLimit{limit.qps, limit.burst}, now_nanos,
                     std::move(answer))) {
    return;
  }
  answer(std::nullopt);  // not taken: decided here, now
}

void SharedRateLimiter::AppendMetrics(std::string& out) const {
  const store::SharedLimitStats s = store_->Stats();
  const bool shared = s.connections > 0 && s.ready_connections == s.connections;
  out +=
      "# HELP soundtrend_rate_limit_shared 1 while every event loop of this node decides rate "
      "limits through Redis (serve --redis), 0 while some decide alone (Redis unreachable or not "
      "connected yet).\n"
      "# TYPE soundtrend_rate_limit_shared gauge\n"
      "soundtrend_rate_limit_shared ";
  out += shared ? "1\n" : "0\n";
  out +=
      "# HELP soundtrend_rate_limit_local_decisions_total Requests whose rate limit this node "
      "decided alone because Redis could not.\n"
      "# TYPE soundtrend_rate_limit_local_decisions_total counter\n"
      "soundtrend_rate_limit_local_decisions_total ";
  out += std::to_string(local_decisions()) + "\n";
  out +=
      "# HELP soundtrend_rate_limit_shared_decisions_total Requests whose rate limit Redis "
      "decided.\n"
      "# TYPE soundtrend_rate_limit_shared_decisions_total counter\n"
      "soundtrend_rate_limit_shared_decisions_total ";
  out += std::to_string(s.decided) + "\n";
  out +=
      "# HELP soundtrend_redis_calls_total Rate-limit script calls sent to Redis (one call decides "
      "every request of a key that waits on an event loop, and may grant cells ahead for its next "
      "ones).\n"
      "# TYPE soundtrend_redis_calls_total counter\n"
      "soundtrend_redis_calls_total ";
  out += std::to_string(s.calls) + "\n";
  out +=
      "# HELP soundtrend_redis_connections Event loops connected to Redis and able to decide.\n"
      "# TYPE soundtrend_redis_connections gauge\n"
      "soundtrend_redis_connections ";
  out += std::to_string(s.ready_connections) + "\n";
  out +=
      "# HELP soundtrend_redis_connection_failures_total Connections to Redis refused, lost or "
      "unanswered (each is followed by a reconnect after a back-off).\n"
      "# TYPE soundtrend_redis_connection_failures_total counter\n"
      "soundtrend_redis_connection_failures_total ";
  out += std::to_string(s.failures) + "\n";
  out +=
      "# HELP soundtrend_rate_limit_cells_ahead_total Admissions Redis granted ahead to this node "
      "for a busy key (state=granted), spent on a request at once (used) or not spent by their "
      "deadline (lapsed).\n"
      "# TYPE soundtrend_rate_limit_cells_ahead_total counter\n";
  out += "soundtrend_rate_limit_cells_ahead_total{state=\"granted\"} " +
         std::to_string(s.ahead_granted) + "\n";
  out += "soundtrend_rate_limit_cells_ahead_total{state=\"used\"} " + std::to_string(s.ahead_used) +
         "\n";
  out += "soundtrend_rate_limit_cells_ahead_total{state=\"lapsed\"} " +
         std::to_string(s.ahead_lapsed) + "\n";
}

}  // namespace soundtrend::gateway
