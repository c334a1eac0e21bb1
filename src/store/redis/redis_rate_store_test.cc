// The Redis rate-limit store against a real redis-server (a private one on a free loopback
// port, started and stopped by the test): the GCRA script's exact counts on an injected
// clock and on Redis's own, one script call per key per loop turn, two clients sharing a
// key, and the fallback: Redis stopped (local decisions, counted, one log line), restarted
// (back to Redis), frozen (unanswered commands decided locally after the reply timeout).
// The io_context is run on the test thread, which is the "event loop" here.
#include "store/redis/redis_rate_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <random>
#include <vector>

#include "gateway/shared_rate_limiter.h"
#include "store/redis/redis_test_loop.h"
#include "store/redis/redis_test_server.h"

namespace soundtrend::store::redis {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;

RedisTestServer& SharedServer() {
  static std::unique_ptr<RedisTestServer> server = [] {
    auto started = RedisTestServer::Start();
    if (!started.ok()) {
      std::cerr << "cannot start redis-server: " << started.status().ToString() << "\n";
      std::abort();
    }
    return std::move(started).value();
  }();
  return *server;
}

std::string UniqueKey() {
  static int n = 0;
  return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
         std::to_string(++n);
}

RedisRateStoreOptions OptionsFor(const RedisTestServer& server, TestLoop& loop) {
  RedisRateStoreOptions o;
  o.address = {"127.0.0.1", server.port()};
  o.current_loop = [&loop] { return &loop.ioc; };
  o.min_backoff = milliseconds(10);
  o.max_backoff = milliseconds(100);
  return o;
}

// Submits `n` requests of `key` in one loop turn and waits for their decisions.
// (The caller's clock stays at 0 in the tests that do not pass one: no key ever looks busy,
// so no cells are granted ahead.)
std::vector<std::optional<SharedDecision>> SubmitTogether(RedisRateStore& store, TestLoop& loop,
                                                          const std::string& key,
                                                          const SharedLimit& limit, int n,
                                                          int64_t now_nanos = 0) {
  std::vector<std::optional<SharedDecision>> got(n);
  int answered = 0;
  for (int i = 0; i < n; ++i) {
    RateLimitStore::Done done = [&got, &answered, i](std::optional<SharedDecision> d) {
      got[i] = d;
      ++answered;
    };
    EXPECT_TRUE(store.Submit(key, limit, now_nanos, std::move(done)));
  }
  EXPECT_TRUE(loop.RunUntil([&] { return answered == n; }));
  return got;
}

int Allowed(const std::vector<std::optional<SharedDecision>>& decisions) {
  int allowed = 0;
  for (const auto& d : decisions) allowed += d && d->allowed ? 1 : 0;
  return allowed;
}

void ConnectAndWait(RedisRateStore& store, TestLoop& loop) {
  store.ConnectHere();
  ASSERT_TRUE(loop.RunUntil([&] { return store.Ready(); })) << "no connection to Redis";
}

// qps 10 (one every 100 ms), burst 5, on an injected clock: exact counts.
TEST(RedisRateStoreTest, TheScriptCountsExactlyOnAnInjectedClock) {
  TestLoop loop;
  int64_t now = 1'000'000'000'000;  // microseconds
  RedisRateStoreOptions o = OptionsFor(SharedServer(), loop);
  o.test_now_micros = [&now] { return now; };
  RedisRateStore store(o);
  ConnectAndWait(store, loop);
  const std::string key = UniqueKey();
  const SharedLimit limit{10, 5};
  const uint64_t calls = store.Stats().calls;

  // Seven at once: the burst (5) passes, two are refused; one script call for all seven.
  auto first = SubmitTogether(store, loop, key, limit, 7);
  EXPECT_EQ(store.Stats().calls, calls + 1);
  ASSERT_EQ(Allowed(first), 5);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(first[i] && first[i]->allowed) << i;  // in order: the first five
    EXPECT_EQ(first[i]->remaining, 4 - i);
    EXPECT_EQ(first[i]->reset_seconds, 1);  // the TAT is at most 0.5 s ahead
  }
  EXPECT_FALSE(first[5]->allowed);
  EXPECT_EQ(first[5]->retry_after_seconds, 1);  // 0.1 s, rounded up
  EXPECT_EQ(first[5]->remaining, 0);

  // 100 ms later exactly one more passes; the refused ones took nothing.
  now += 100'000;
  EXPECT_EQ(Allowed(SubmitTogether(store, loop, key, limit, 1)), 1);
  EXPECT_EQ(Allowed(SubmitTogether(store, loop, key, limit, 1)), 0);
  EXPECT_EQ(Allowed(SubmitTogether(store, loop, key, limit, 3)), 0);
  now += 100'000;
  EXPECT_EQ(Allowed(SubmitTogether(store, loop, key, limit, 4)), 1);

  // Long idle: the full burst again, and no more.
  now += 10'000'000;
  EXPECT_EQ(Allowed(SubmitTogether(store, loop, key, limit, 10)), 5);
  // Then over 2 s, one request every 50 ms (twice the limit): exactly qps * 2 s = 20 pass.
  int allowed = 0;
  for (int step = 1; step <= 40; ++step) {
    now += 50'000;
    allowed += Allowed(SubmitTogether(store, loop, key, limit, 1));
  }
  EXPECT_EQ(allowed, 20);
  // Redis keeps the state only while it matters (the TAT's lead plus a second).
  auto ttl = SharedServer().Command({"PTTL", o.key_prefix + key});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(std::stoll(*ttl), 0);
  EXPECT_LE(std::stoll(*ttl), 2000);
  ShutdownAndDrain(store, loop);
}

// Without the injected clock: Redis's TIME. qps 1, burst 3: of eight at once, three pass.
TEST(RedisRateStoreTest, OnRedisClockTheBurstPassesAndNoMore) {
  TestLoop loop;
  RedisRateStore store(OptionsFor(SharedServer(), loop));
  ConnectAndWait(store, loop);
  const std::string key = UniqueKey();
  EXPECT_EQ(Allowed(SubmitTogether(store, loop, key, {1, 3}, 8)), 3);
  EXPECT_EQ(Allowed(SubmitTogether(store, loop, key, {1, 3}, 2)), 0);  // within 1 s: none
  ShutdownAndDrain(store, loop);
}

// The requests of a loop turn go out together: one script call per key, not per request.
TEST(RedisRateStoreTest, OneScriptCallPerKeyPerLoopTurn) {
  TestLoop loop;
  RedisRateStore store(OptionsFor(SharedServer(), loop));
  ConnectAndWait(store, loop);
  const std::string a = UniqueKey(), b = UniqueKey();
  const uint64_t calls = store.Stats().calls;
  int answered = 0;
  for (int i = 0; i < 30; ++i) {
    RateLimitStore::Done done = [&](std::optional<SharedDecision> d) {
      EXPECT_TRUE(d.has_value());
      ++answered;
    };
    ASSERT_TRUE(store.Submit(i % 2 == 0 ? a : b, {1000, 1000}, 0, std::move(done)));
  }
  ASSERT_TRUE(loop.RunUntil([&] { return answered == 30; }));
  EXPECT_EQ(store.Stats().calls, calls + 2);
  EXPECT_EQ(store.Stats().decided, 30u);
  ShutdownAndDrain(store, loop);
}

// While a key's call is unanswered, its new requests wait (over several loop turns) and
// then go in ONE next call, decided exactly after the first call's; another key is not
// held back. Redis is frozen meanwhile, so no answer can come early.
TEST(RedisRateStoreTest, AKeysRequestsWaitingForItsUnansweredCallGoInOneNextCall) {
  auto started = RedisTestServer::Start();
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  RedisTestServer& server = **started;
  TestLoop loop;
  int64_t now = 1'000'000'000'000;  // microseconds
  RedisRateStoreOptions o = OptionsFor(server, loop);
  o.test_now_micros = [&now] { return now; };
  RedisRateStore store(o);
  ConnectAndWait(store, loop);
  const std::string a = UniqueKey(), b = UniqueKey();
  const SharedLimit limit{10, 5};
  const uint64_t calls = store.Stats().calls;
  std::vector<std::optional<SharedDecision>> got(8);
  int answered = 0;
  const auto submit = [&](const std::string& key, int i) {
    RateLimitStore::Done done = [&got, &answered, i](std::optional<SharedDecision> d) {
      got[i] = d;
      ++answered;
    };
    ASSERT_TRUE(store.Submit(key, limit, 0, std::move(done)));
  };
  server.Freeze();
  for (int i = 0; i < 3; ++i) submit(a, i);
  loop.ioc.poll();  // the turn's flush: a's first call
  EXPECT_EQ(store.Stats().calls, calls + 1);
  for (int i = 3; i < 6; ++i) {  // three more turns of a: nothing sent
    submit(a, i);
    loop.ioc.poll();
  }
  EXPECT_EQ(store.Stats().calls, calls + 1);
  submit(b, 6);
  submit(b, 7);
  loop.ioc.poll();  // b goes at once
  EXPECT_EQ(store.Stats().calls, calls + 2);
  EXPECT_EQ(answered, 0);
  server.Thaw();
  ASSERT_TRUE(loop.RunUntil([&] { return answered == 8; }));
  // a: its first call and one for the three that waited; b: one call.
  EXPECT_EQ(store.Stats().calls, calls + 3);
  EXPECT_EQ(store.Stats().decided, 8u);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(got[i].has_value()) << i;
  // a's burst of 5: the first three, then two of the three that waited, in order.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(got[i]->allowed) << i;
  EXPECT_FALSE(got[5]->allowed);
  EXPECT_TRUE(got[6]->allowed);
  EXPECT_TRUE(got[7]->allowed);
  ShutdownAndDrain(store, loop);
}

// Two clients (two nodes' connections) on one key share one limit.
TEST(RedisRateStoreTest, TwoClientsShareOneLimit) {
  TestLoop loop_a, loop_b;
  int64_t now = 2'000'000'000'000;
  RedisRateStoreOptions oa = OptionsFor(SharedServer(), loop_a);
  RedisRateStoreOptions ob = OptionsFor(SharedServer(), loop_b);
  oa.test_now_micros = ob.test_now_micros = [&now] { return now; };
  RedisRateStore a(oa), b(ob);
  ConnectAndWait(a, loop_a);
  ConnectAndWait(b, loop_b);
  const std::string key = UniqueKey();
  const SharedLimit limit{2, 4};  // one every 500 ms, burst 4
  EXPECT_EQ(Allowed(SubmitTogether(a, loop_a, key, limit, 3)), 3);
  EXPECT_EQ(Allowed(SubmitTogether(b, loop_b, key, limit, 3)), 1);  // what A left
  EXPECT_EQ(Allowed(SubmitTogether(a, loop_a, key, limit, 1)), 0);
  now += 500'000;
  EXPECT_EQ(Allowed(SubmitTogether(b, loop_b, key, limit, 2)), 1);
  EXPECT_EQ(Allowed(SubmitTogether(a, loop_a, key, limit, 2)), 0);
  ShutdownAndDrain(a, loop_a);
  ShutdownAndDrain(b, loop_b);
}

// Runs the loop until every command it sent is answered and nothing is left to send (the
// calls that TakeAhead or Submit queued go out on the loop's next turn).
void Settle(RedisRateStore& store, TestLoop& loop) {
  loop.ioc.poll();
  ASSERT_TRUE(loop.RunUntil([&] { return store.Stats().unanswered == 0; }));
  loop.ioc.poll();
}

// One request of `key` at the caller's time `now_nanos` as the gateway makes it: a cell
// ahead if there is one, else a script call, waited for (the clocks stand still meanwhile,
// so Redis decides at `now_nanos`).
struct Taken {
  bool allowed = false;
  bool ahead = false;
};
Taken TakeOne(RedisRateStore& store, TestLoop& loop, const std::string& key,
              const SharedLimit& limit, int64_t now_nanos) {
  Taken t;
  if (std::optional<SharedDecision> d = store.TakeAhead(key, limit, now_nanos)) {
    EXPECT_TRUE(d->allowed);
    t.allowed = t.ahead = true;
  } else {
    std::optional<std::optional<SharedDecision>> got;
    RateLimitStore::Done done = [&got](std::optional<SharedDecision> d) { got = d; };
    EXPECT_TRUE(store.Submit(key, limit, now_nanos, std::move(done)));
    EXPECT_TRUE(loop.RunUntil([&] { return got.has_value(); }));
    EXPECT_TRUE(got && *got) << "decided locally";
    t.allowed = got && *got && (*got)->allowed;
  }
  Settle(store, loop);
  return t;
}

// Redis's clock and the caller's, both injected and the same instant: now_nanos / 1000.
struct TestClock {
  int64_t nanos = 3'000'000'000'000'000;  // whole microseconds only
  std::function<int64_t()> RedisMicros() {
    return [this] { return nanos / 1000; };
  }
};

// A node's loop and store on the shared server, both clocks `clock`, connected; drained
// at the end.
struct ClockedNode {
  explicit ClockedNode(TestClock& c) : clock(c) {
    RedisRateStoreOptions o = OptionsFor(SharedServer(), loop);
    o.test_now_micros = clock.RedisMicros();
    store = std::make_unique<RedisRateStore>(o);
    ConnectAndWait(*store, loop);
  }
  ~ClockedNode() { ShutdownAndDrain(*store, loop); }
  // One request of `key` now (TakeOne).
  Taken Take(const std::string& key, const SharedLimit& limit) {
    return TakeOne(*store, loop, key, limit, clock.nanos);
  }
  SharedLimitStats Stats() const { return store->Stats(); }

  TestClock& clock;
  TestLoop loop;
  std::unique_ptr<RedisRateStore> store;
};

// A key busy on a loop (20,000 requests a second, far under its limit) is decided from
// cells granted ahead: after the first millisecond no request waits for a round trip,
// about one call per half a horizon (200 requests at this rate), nothing lapses.
TEST(RedisRateStoreTest, ABusyKeyIsDecidedFromCellsAheadWithOneCallPerHalfAHorizon) {
  TestClock clock;
  ClockedNode node(clock);
  const std::string key = UniqueKey();
  const SharedLimit limit{100'000, 1'000'000};
  int ahead = 0, waited_after_warmup = 0;
  uint64_t calls_at_warmup = 0;
  for (int i = 0; i < 4000; ++i) {
    clock.nanos += 50'000;  // 50 us
    if (i == 1000) calls_at_warmup = node.Stats().calls;
    const Taken t = node.Take(key, limit);
    ASSERT_TRUE(t.allowed) << i;
    ahead += t.ahead ? 1 : 0;
    if (i >= 1000 && !t.ahead) ++waited_after_warmup;
  }
  EXPECT_EQ(waited_after_warmup, 0);
  EXPECT_GE(ahead, 3850);  // all but the first 5 ms (the rate is measured over a quarter horizon)
  // 3,000 requests after the warm-up: 15 calls of 200 (a horizon is 400 at this rate).
  const uint64_t calls = node.Stats().calls - calls_at_warmup;
  EXPECT_GE(calls, 14u);
  EXPECT_LE(calls, 16u);
  const SharedLimitStats s = node.Stats();
  EXPECT_EQ(s.ahead_used, static_cast<uint64_t>(ahead));
  EXPECT_EQ(s.ahead_lapsed, 0u);
  EXPECT_LE(s.ahead_granted - s.ahead_used, 400u);  // what is still held: at most a horizon
}

// A key seen less than twice a horizon on a loop gets no cells: one call per request; nor
// does a busy key whose limit allows less than two requests a horizon (qps 50: a node may
// leave at most a horizon of a key's limit unspent).
TEST(RedisRateStoreTest, AQuietKeyOrALowLimitGetsNoCellsAhead) {
  TestClock clock;
  ClockedNode node(clock);
  const std::string key = UniqueKey();
  const uint64_t calls = node.Stats().calls;
  for (int i = 0; i < 30; ++i) {
    clock.nanos += 15'000'000;  // 66 a second: 1.3 a horizon
    const Taken t = node.Take(key, {1000, 1000});
    EXPECT_TRUE(t.allowed);
    EXPECT_FALSE(t.ahead);
  }
  EXPECT_EQ(node.Stats().calls, calls + 30);
  EXPECT_EQ(node.Stats().ahead_granted, 0u);
  const std::string low = UniqueKey();
  for (int i = 0; i < 1000; ++i) {
    clock.nanos += 50'000;  // 20,000 a second
    EXPECT_FALSE(node.Take(low, {50, 1000}).ahead);
  }
  EXPECT_EQ(node.Stats().ahead_granted, 0u);
}

// Cells not spent by their deadline lapse (counted); a changed limit drops the cells.
TEST(RedisRateStoreTest, CellsLapseAfterTheirDeadlineAndWithAChangedLimit) {
  TestClock clock;
  ClockedNode node(clock);
  const std::string key = UniqueKey();
  const SharedLimit limit{100'000, 1'000'000};
  const auto warm_up = [&] {
    for (int i = 0; i < 200; ++i) {
      clock.nanos += 50'000;
      node.Take(key, limit);
    }
    clock.nanos += 50'000;
    ASSERT_TRUE(node.Take(key, limit).ahead);
  };
  warm_up();
  SharedLimitStats s = node.Stats();
  const uint64_t held = s.ahead_granted - s.ahead_used - s.ahead_lapsed;
  ASSERT_GT(held, 0u);
  // The deadline of every cell is at most ahead_start + 2 horizons (42 ms) after its call.
  clock.nanos += 42'001'000;
  EXPECT_FALSE(node.store->TakeAhead(key, limit, clock.nanos).has_value());
  s = node.Stats();
  EXPECT_EQ(s.ahead_granted - s.ahead_used - s.ahead_lapsed, 0u);
  EXPECT_EQ(s.ahead_lapsed, held);

  warm_up();
  s = node.Stats();
  const uint64_t lapsed = s.ahead_lapsed;
  const uint64_t held_now = s.ahead_granted - s.ahead_used - s.ahead_lapsed;
  ASSERT_GT(held_now, 0u);
  EXPECT_FALSE(node.store->TakeAhead(key, {100'000, 999'999}, clock.nanos).has_value());
  EXPECT_EQ(node.Stats().ahead_lapsed, lapsed + held_now);
  EXPECT_FALSE(node.store->TakeAhead(key, limit, clock.nanos).has_value());
}

// The limit holds exactly with cells ahead, across three nodes: requests at random times,
// a phase where each node is under the limit but the three together are over it, a pause
// (a node spending cells it held from before would exceed the burst after it), then every
// node hammering. Every admission's time is recorded; over every interval [a, b] at most
// burst + floor((b - a) / interval) are admitted.
TEST(RedisRateStoreTest, ThreeNodesWithCellsAheadNeverExceedTheLimitOverAnyInterval) {
  TestClock clock;
  constexpr int kNodes = 3;
  std::vector<std::unique_ptr<ClockedNode>> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(std::make_unique<ClockedNode>(clock));
  const std::string key = UniqueKey();
  const SharedLimit limit{1000, 50};  // interval 1 ms, 49 ms of tolerance
  std::mt19937_64 random(20261202);
  std::vector<int64_t> admitted;  // microseconds
  int ahead = 0;
  // Per node and phase: the mean time between its requests, and how long the phase lasts.
  const struct {
    int64_t mean_gap_micros;
    int64_t length_micros;
  } phases[] = {{1'700, 400'000}, {0, 300'000}, {250, 200'000}, {1'700, 200'000}};
  for (const auto& phase : phases) {
    const int64_t end = clock.nanos + phase.length_micros * 1000;
    if (phase.mean_gap_micros == 0) {  // a pause
      clock.nanos = end;
      continue;
    }
    std::exponential_distribution<double> gap(1.0 / static_cast<double>(phase.mean_gap_micros));
    std::vector<int64_t> next(kNodes);
    for (int64_t& t : next) t = clock.nanos + 1000 * (1 + static_cast<int64_t>(gap(random)));
    while (true) {
      const int node = static_cast<int>(std::min_element(next.begin(), next.end()) - next.begin());
      if (next[node] >= end) break;
      clock.nanos = next[node];
      const Taken t = nodes[node]->Take(key, limit);
      if (t.allowed) admitted.push_back(clock.nanos / 1000);
      ahead += t.ahead ? 1 : 0;
      next[node] = clock.nanos + 1000 * (1 + static_cast<int64_t>(gap(random)));
    }
    clock.nanos = end;
  }
  ASSERT_TRUE(std::is_sorted(admitted.begin(), admitted.end()));
  const int64_t interval = 1000, burst = 50;
  for (size_t i = 0; i < admitted.size(); ++i) {
    for (size_t j = i; j < admitted.size(); ++j) {
      const int64_t allowed = burst + (admitted[j] - admitted[i]) / interval;
      if (static_cast<int64_t>(j - i + 1) > allowed) {
        FAIL() << j - i + 1 << " admitted in [" << admitted[i] << ", " << admitted[j]
               << "] us, at most " << allowed;
      }
    }
  }
  // The limit is used, not only respected: over 80% of what it allows in the 0.8 s with
  // requests passed (a burst, qps * 0.8 s, and a burst again after the pause), and the cells
  // ahead did their part.
  uint64_t lapsed = 0, used = 0;
  for (auto& n : nodes) {
    lapsed += n->Stats().ahead_lapsed;
    used += n->Stats().ahead_used;
  }
  EXPECT_GE(admitted.size(), static_cast<size_t>(0.8 * (2 * 50 + 1000 * 0.8)))
      << "cells ahead used " << used << ", lapsed " << lapsed;
  EXPECT_GT(ahead, 100);
  EXPECT_GT(lapsed, 0u);  // the pause left cells unspent, and they lapsed
}

// Redis stopped: every decision is local (counted), the outage is logged once however
// often the reconnect fails; restarted: back to Redis, one line.
TEST(RedisRateStoreTest, RedisStoppedDecidesLocallyAndRestartedGoesBackToRedis) {
  LogCapture log;
  auto own = RedisTestServer::Start();
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  RedisTestServer& server = **own;
  TestLoop loop;
  auto store = std::make_shared<RedisRateStore>(OptionsFor(server, loop));
  gateway::SharedRateLimiter limiter(store);
  ConnectAndWait(*store, loop);
  gateway::GcraLimiter local;
  const gateway::RateLimit limit{1, 2};
  const gateway::RateSubject subject{"k", limit, local};
  // Through Redis: TryAcquire defers (nullopt), Acquire's answer comes from the script.
  EXPECT_FALSE(limiter.TryAcquire(subject, 0).has_value());
  std::optional<gateway::RateDecision> got;
  limiter.Acquire(subject, 0, [&](gateway::RateDecision d) { got = d; });
  ASSERT_TRUE(loop.RunUntil([&] { return got.has_value(); }));
  EXPECT_TRUE(got->allowed);
  EXPECT_EQ(limiter.local_decisions(), 0u);
  EXPECT_EQ(log.Count("rate limits shared through Redis at 127.0.0.1:"), 1) << log.Text();

  ASSERT_TRUE(server.Stop().ok());
  ASSERT_TRUE(loop.RunUntil([&] { return store->Stats().ready_connections == 0; }));
  // Several reconnects fail meanwhile (back-off 10 ms .. 100 ms).
  const uint64_t failures = store->Stats().failures;
  ASSERT_TRUE(loop.RunUntil([&] { return store->Stats().failures >= failures + 3; }));
  // Local now: decided at once on the key's own limiter (burst 2, then 429), counted.
  EXPECT_TRUE(limiter.TryAcquire(subject, 0)->allowed);
  EXPECT_TRUE(limiter.TryAcquire(subject, 0)->allowed);
  EXPECT_FALSE(limiter.TryAcquire(subject, 0)->allowed);
  got.reset();
  limiter.Acquire(subject, 0, [&](gateway::RateDecision d) { got = d; });
  ASSERT_TRUE(got.has_value());  // at once: no request waits for a connect
  EXPECT_FALSE(got->allowed);
  EXPECT_EQ(limiter.local_decisions(), 4u);
  std::string metrics;
  limiter.AppendMetrics(metrics);
  EXPECT_NE(metrics.find("\nsoundtrend_rate_limit_shared 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nsoundtrend_rate_limit_local_decisions_total 4\n"), std::string::npos);
  EXPECT_EQ(log.Count("unreachable"), 1) << log.Text();

  ASSERT_TRUE(server.Restart().ok());
  ASSERT_TRUE(loop.RunUntil([&] { return store->Ready(); }));
  EXPECT_EQ(log.Count("reachable again"), 1) << log.Text();
  const uint64_t calls = store->Stats().calls;
  EXPECT_FALSE(limiter.TryAcquire(subject, 0).has_value());
  got.reset();
  limiter.Acquire(subject, 0, [&](gateway::RateDecision d) { got = d; });
  ASSERT_TRUE(loop.RunUntil([&] { return got.has_value(); }));
  EXPECT_TRUE(got->allowed);  // a fresh Redis: the key's burst is there
  EXPECT_EQ(store->Stats().calls, calls + 1);
  EXPECT_EQ(limiter.local_decisions(), 4u);
  metrics.clear();
  limiter.AppendMetrics(metrics);
  EXPECT_NE(metrics.find("\nsoundtrend_rate_limit_shared 1\n"), std::string::npos) << metrics;
  ShutdownAndDrain(*store, loop);
}

// A Redis that takes commands but never answers: after reply_timeout the waiting requests
// are decided locally and the connection is made anew once it answers again.
TEST(RedisRateStoreTest, UnansweredRequestsAreDecidedLocallyAfterTheReplyTimeout) {
  auto own = RedisTestServer::Start();
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  RedisTestServer& server = **own;
  TestLoop loop;
  RedisRateStoreOptions o = OptionsFor(server, loop);
  o.reply_timeout = milliseconds(200);
  o.connect_timeout = milliseconds(200);
  RedisRateStore store(o);
  ConnectAndWait(store, loop);
  server.Freeze();
  int answered = 0, local = 0;
  for (int i = 0; i < 3; ++i) {
    RateLimitStore::Done done = [&](std::optional<SharedDecision> d) {
      ++answered;
      if (!d) ++local;
    };
    ASSERT_TRUE(store.Submit(UniqueKey(), {10, 10}, 0, std::move(done)));
  }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop.RunUntil([&] { return answered == 3; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(150));
  EXPECT_EQ(local, 3);
  EXPECT_FALSE(store.Ready());
  server.Thaw();
  ASSERT_TRUE(loop.RunUntil([&] { return store.Ready(); }));
  EXPECT_EQ(Allowed(SubmitTogether(store, loop, UniqueKey(), {10, 2}, 3)), 2);
  ShutdownAndDrain(store, loop);
}

// Shutdown: what waits is decided locally, Submit refuses, and the loop runs out of work.
TEST(RedisRateStoreTest, ShutdownAnswersWhatWaitsAndLeavesTheLoop) {
  TestLoop loop;
  RedisRateStore store(OptionsFor(SharedServer(), loop));
  ConnectAndWait(store, loop);
  std::optional<std::optional<SharedDecision>> got;
  RateLimitStore::Done done = [&](std::optional<SharedDecision> d) { got = d; };
  ASSERT_TRUE(store.Submit(UniqueKey(), {10, 10}, 0, std::move(done)));
  ShutdownAndDrain(store, loop);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->has_value());  // unanswered when the connection closed: local
  RateLimitStore::Done late = [](std::optional<SharedDecision>) {};
  EXPECT_FALSE(store.Submit("x", {10, 10}, 0, std::move(late)));
  EXPECT_TRUE(static_cast<bool>(late));  // refused: left to the caller
}

// Off any event loop: nothing to connect on; the caller decides.
TEST(RedisRateStoreTest, OffALoopSubmitRefuses) {
  RedisRateStoreOptions o;
  o.address = {"127.0.0.1", SharedServer().port()};
  o.current_loop = [] { return static_cast<net::io_context*>(nullptr); };
  RedisRateStore store(o);
  RateLimitStore::Done done = [](std::optional<SharedDecision>) {};
  EXPECT_FALSE(store.Submit("k", {1, 1}, 0, std::move(done)));
  EXPECT_FALSE(store.Ready());
  EXPECT_EQ(store.Stats().connections, 0);
}

}  // namespace
}  // namespace soundtrend::store::redis
