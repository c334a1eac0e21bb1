// A store that decides rate limits for every node at once (README "Run as a cluster"):
// GCRA per key on the store's clock (store/redis/: one Lua script in Redis). The gateway's
// SharedRateLimiter (gateway/shared_rate_limiter.h) asks it and decides locally whenever it
// cannot answer (not reachable, not connected on this event loop yet, stopping).
//
// Calls are made on an event loop's thread: the store keeps one connection per loop and
// answers on that same thread.
//
// Cells ahead: for a key that is busy on a loop, a store may hold admissions granted ahead
// (counted against the shared limit when granted, each valid until a deadline that keeps
// the limit exact; gcra.lua) and decide a request from them at once, with no round trip
// (TakeAhead). A cell not spent by its deadline is lost: the limit is never exceeded, a
// node that stops getting requests may leave some of it unused for a few milliseconds.
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
  int64_t unanswered = 0;         // gauge: commands sent and not answered (or failed) yet
  uint64_t calls = 0;             // script calls sent (one call may decide many requests)
  uint64_t decided = 0;           // requests decided by the store (cells ahead included)
  uint64_t ahead_granted = 0;     // cells granted ahead
  uint64_t ahead_used = 0;        // of those, spent on a request
  uint64_t ahead_lapsed = 0;      // of those, not spent by their deadline
  uint64_t failures = 0;          // times a connection was lost, refused or timed out
};

class RateLimitStore {
 public:
  virtual ~RateLimitStore() = default;
  using Done = std::function<void(std::optional<SharedDecision>)>;
  // Decides one request of `key` under `limit` at monotonic time `now_nanos` (the caller's
  // clock, the same for every call) right now, from a cell this loop holds ahead: the
  // decision (always allowed). nullopt: no valid cell here; Submit. On an event loop.
  virtual std::optional<SharedDecision> TakeAhead(std::string_view key, const SharedLimit& limit,
                                                  int64_t now_nanos) = 0;
  // Asks the store for one request of `key` under `limit`, on the calling thread's event
  // loop. false: the store cannot take it now (no connection on this loop, not connected,
  // stopping): the caller decides locally; `done` is left as it was. true: `done` was
  // taken and is called once, later, on this thread: with the decision, or with nullopt
  // when the connection failed before it answered (the caller then decides locally).
  // A refused request takes nothing.
  // `now_nanos` as for TakeAhead.
  virtual bool Submit(std::string_view key, const SharedLimit& limit, int64_t now_nanos,
                      Done&& done) = 0;
  // True when Submit would take a request on the calling thread right now.
  virtual bool Ready() = 0;
  virtual SharedLimitStats Stats() const = 0;
};

}  // namespace soundtrend::store
