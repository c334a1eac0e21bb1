// Rate limits shared through Redis (serve --redis redis://...; redis_url.h; README "Run as a
// cluster"): GCRA per key in one Lua script (gcra.lua, embedded) on Redis's clock, so every
// node's requests of a key count against one limit: over any T seconds at most
// burst + qps * T pass across all nodes.
//
// Connections: one per event loop, made on that loop and driven by its Asio io_context
// through hiredis's async API. hiredis ships adapters for libev, libevent, libuv, ... but
// none for Asio: the small one here (redis_rate_store.cc, `Events`) watches the
// connection's socket with a posix::stream_descriptor and calls redisAsyncHandleRead/Write
// when it is ready. Nothing blocks the loop: a connect is non-blocking and no request waits
// for it (requests are decided locally until the connection is up).
//
// Pipelining: every request of a loop turn is queued, and one posted flush sends them at
// once; the requests of one key share one script call that decides n at once (exact: the
// script admits the first k of n as n requests one after the other would be). A key has at
// most one call unanswered per loop: what arrives for it meanwhile waits for that answer
// and then goes in one call, so a busy key costs about one call per round trip per loop,
// not one per loop turn (at most one round trip more of latency; the reply timeout bounds
// the wait).
//
// Cells ahead (rate_limit_store.h): a key a loop sees at least 2 / ahead_horizon times a
// second, with a limit of at least that, gets with each call about ahead_horizon worth of
// its requests at that rate (at most ahead_horizon worth of its limit) as cells granted
// ahead (gcra.lua spreads their slots at that rate, from ahead_start on), and
// a new call once half of them are spent: a busy key's requests are then decided at once
// (TakeAhead), with one call per about half a horizon of its requests per loop. A cell
// is spent by its slot (on the caller's clock: the time the call was sent plus the slot's
// offset from Redis's now, which is never later than the real slot), and at most
// ahead_start + 2 * ahead_horizon after the call was sent (so a changed limit or a
// stopped key holds little); what is not spent lapses (counted in Stats). A key whose
// limit changes drops its cells.
//
// Failure: a refused or lost connection, or a command unanswered for reply_timeout, drops
// the connection; its unanswered requests are decided locally (Submit's nullopt), and the
// loop connects again after a back-off (min_backoff doubling up to max_backoff). The first
// loss logs one warning and the return one line; nothing is logged per request.
//
// Thread-safety: TakeAhead, Submit, Ready and ConnectHere on an event loop's thread (the one
// options.current_loop returns for it); Stats and Shutdown from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/rate_limit_store.h"
#include "store/redis/redis_url.h"

namespace boost::asio {
class io_context;
}

namespace soundtrend::store::redis {

struct RedisRateStoreOptions {
  RedisAddress address;
  std::string key_prefix = "soundtrend:ratelimit:";  // + the key's public id
  // The calling thread's event loop (http::CurrentLoopIoContext in serve); null: not on a
  // loop (Submit refuses, the caller decides locally).
  std::function<boost::asio::io_context*()> current_loop;
  std::chrono::milliseconds connect_timeout{1000};
  // A command unanswered this long: the connection is taken as lost.
  std::chrono::milliseconds reply_timeout{500};
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  // Cells ahead (above); a zero horizon: none.
  std::chrono::microseconds ahead_horizon{20'000};
  std::chrono::microseconds ahead_start{2'000};
  int64_t ahead_max_cells = 4096;
  // Tests only: the script's "now" in microseconds instead of Redis's TIME.
  std::function<int64_t()> test_now_micros;
};

class RedisRateStore final : public RateLimitStore {
 public:
  explicit RedisRateStore(RedisRateStoreOptions options);
  ~RedisRateStore() override;  // after Shutdown has run on every loop (or with no loops)
  RedisRateStore(const RedisRateStore&) = delete;
  RedisRateStore& operator=(const RedisRateStore&) = delete;

  std::optional<SharedDecision> TakeAhead(std::string_view key, const SharedLimit& limit,
                                          int64_t now_nanos) override;
  bool Submit(std::string_view key, const SharedLimit& limit, int64_t now_nanos,
              Done&& done) override;
  bool Ready() override;
  SharedLimitStats Stats() const override;

  // Opens the calling loop's connection now (serve does it on every loop at start, so the
  // first requests need not be decided locally). On the loop's thread.
  void ConnectHere();
  // Closes every loop's connection, on its loop (posted), deciding what they still wait for
  // locally; Submit refuses from now on. A loop does not run out of work while its
  // connection is open: call it before waiting for the loops to finish. Any thread.
  void Shutdown();

  const RedisAddress& address() const;

  struct Shared;
  class LoopConnection;

 private:
  LoopConnection* Here(bool create);

  std::shared_ptr<Shared> shared_;
  const uint64_t id_;  // tells this store's thread-local cache entry from another's
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<LoopConnection>> connections_;  // guarded by mutex_
};

}  // namespace soundtrend::store::redis
