// A store that decides rate limits for every node at once (README "Run as a cluster"):
// GCRA per key on the store's clock (store/redis/: one Lua script in Redis). The gateway's
// SharedRateLimiter (gateway/shared_rate_limiter.h) asks it and decides locally whenever it
// cannot answer (not reachable, not connected on this event loop yet, stopping).
//
// Calls are made on an event loop's thread: the store keeps one connection per loop and
// answers on that same thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace soundtrend::store {

struct SharedLimit {
  int64_t qps = 10;    // >= 1
  int64_t burst = 10;  // >= 1
};

// One request's decision, as gateway::RateDecision (the same meaning, field by field).
struct SharedDecision {
  bool allowed = false;
  int64_t remaining = 0;
  int64_t reset_seconds = 0;
  int64_t retry_after_seconds = 0;
};

// What the store has done since it started (all monotonic counters but the two gauges).
struct SharedLimitStats {
  int64_t connections = 0;        // gauge: event loops with a connection
  int64_t ready_connections = 0;  // gauge: of those, connected and able to decide
  uint64_t calls = 0;             // script calls sent (one call may decide many requests)
  uint64_t decided = 0;           // requests decided by the store
  uint64_t failures = 0;          // times a connection was lost, refused or timed out
};

class RateLimitStore {
 public:
  virtual ~RateLimitStore() = default;
  using Done = std::function<void(std::optional<SharedDecision>)>;
  // Asks the store for one request of `key` under `limit`, on the calling thread's event
  // loop. false: the store cannot take it now (no connection on this loop, not connected,
  // stopping): the caller decides locally; `done` is left as it was. true: `done` was
  // taken and is called once, later, on this thread: with the decision, or with nullopt
  // when the connection failed before it answered (the caller then decides locally).
  // A refused request takes nothing.
  virtual bool Submit(std::string_view key, const SharedLimit& limit, Done&& done) = 0;
  // True when Submit would take a request on the calling thread right now.
  virtual bool Ready() = 0;
  virtual SharedLimitStats Stats() const = 0;
};

}  // namespace soundtrend::store
