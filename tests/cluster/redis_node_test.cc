// Rate limits shared through Redis across nodes (issue 10; README "Run as a cluster"): the
// real binary, three serve nodes on one private PostgreSQL and one private Redis (each on
// a free loopback port, started and stopped by the test).
//   - a key with qps 20 and burst 20, hammered through all three nodes for 3 s: at most
//     20 + 20 x T admitted in total (T the hammering's span, 3 s and what the last answers
//     took), every decision made in Redis;
//   - a key busy on every node, far under its limit: decided from cells granted ahead;
//   - Redis stopped: requests keep flowing with local limits (each node its own), the
//     metric shows it, one log line per node; Redis back: every node shares again.
// Waits poll with deadlines.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_fixture.h"
#include "contract/test_client.h"
#include "store/redis/redis_test_server.h"

namespace soundtrend {
namespace {

using soundtrend::store::redis::RedisTestServer;

constexpr int kNodes = 3;
constexpr int kThreads = 2;  // event loops per node: one Redis connection each
const char* const kPage = "/v1/tiktok/trending/music?region=US&period=7&limit=5";

// The value of a sample line "NAME VALUE" in a Prometheus exposition; -1 when absent.
double Sample(const std::string& text, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + prefix.size()));
}

class RedisNodeTest : public cluster::ClusterTest {
 protected:
  void SetUp() override {
    cluster::ClusterTest::SetUp();
    auto redis = RedisTestServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status().ToString();
    redis_ = std::move(redis).value();
    ASSERT_TRUE(IngestDemo({.sounds = 30, .days = 10, .regions = "US", .seed = 42}));
  }
  void TearDown() override {
    cluster::ClusterTest::TearDown();  // the nodes first
    redis_.reset();
  }

  std::string CreateLimitedKey(long long qps, long long burst) {
    const std::string key = CreateKey(10'000'000, qps, burst);
    EXPECT_FALSE(key.empty()) << CliLog();
    return key;
  }

  // Three nodes on the database and Redis, each with every loop connected to Redis.
  void StartRedisNodes() {
    node_extra_args_ = {"--redis", redis_->url()};
    ASSERT_TRUE(StartNodes(kNodes, {.threads = kThreads, .extra_args = {}}));
    ASSERT_TRUE(WaitForShared(1)) << "the nodes did not all connect to Redis";
  }

  std::string Metrics(int i) {
    contract::TestClient client(node(i).port(), false);
    return client.Get("/metrics").body;
  }

  // Polls every node's /metrics until soundtrend_rate_limit_shared is `value` on all
  // (and, for 1, every loop is connected).
  bool WaitForShared(int value) {
    return cluster::WaitUntil(
        [&] {
          for (int i = 0; i < kNodes; ++i) {
            const std::string m = Metrics(i);
            if (Sample(m, "soundtrend_rate_limit_shared") != value) return false;
            if (value == 1 && Sample(m, "soundtrend_redis_connections") != kThreads) return false;
          }
          return true;
        },
        std::chrono::seconds(20));
  }

  std::unique_ptr<RedisTestServer> redis_;
};

// SPEC §10 / issue 10: one limit for the key across the cluster.
TEST_F(RedisNodeTest, AKeyHammeredThroughThreeNodesGetsOneLimit) {
  const std::string key = CreateLimitedKey(20, 20);
  StartRedisNodes();
  std::vector<double> local_before(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    local_before[i] = Sample(Metrics(i), "soundtrend_rate_limit_local_decisions_total");
  }
  constexpr int kClientsPerNode = 4;
  std::atomic<int> ok{0}, limited{0}, other{0};
  const auto start = std::chrono::steady_clock::now();
  const auto stop_at = start + std::chrono::seconds(3);
  std::vector<std::thread> clients;
  for (int c = 0; c < kNodes * kClientsPerNode; ++c) {
    clients.emplace_back([&, c] {
      contract::TestClient client(node(c % kNodes).port(), false);
      while (std::chrono::steady_clock::now() < stop_at) {
        const int status = client.Get(kPage, key).status;
        (status == 200 ? ok : status == 429 ? limited : other).fetch_add(1);
      }
    });
  }
  for (std::thread& t : clients) t.join();
  const double span =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int total = ok + limited + other;
  std::cout << "admitted " << ok << " of " << total << " in " << span
            << " s (limit 20 + 20 x T = " << 20 + 20 * span << ")\n";
  EXPECT_EQ(other, 0);
  EXPECT_LE(ok, 20 + 20 * span);
  EXPECT_GE(ok, 20 + 20 * 3 - 10);  // the limit is not stricter than it says (a little slack)
  EXPECT_GT(limited, 0);
  // Every decision was Redis's: no node decided alone.
  double calls = 0, decided = 0;
  for (int i = 0; i < kNodes; ++i) {
    const std::string m = Metrics(i);
    EXPECT_EQ(Sample(m, "soundtrend_rate_limit_local_decisions_total"), local_before[i]) << m;
    EXPECT_EQ(Sample(m, "soundtrend_rate_limit_shared"), 1) << m;
    calls += Sample(m, "soundtrend_redis_calls_total");
    decided += Sample(m, "soundtrend_rate_limit_shared_decisions_total");
  }
  EXPECT_GE(decided, total);
  std::cout << "Redis script calls: " << calls << " for " << decided << " decisions ("
            << 1000.0 * calls / std::max(1.0, decided) << " per 1,000 requests)\n";
}

// A key busy on every node, far under its limit: after the first milliseconds each loop
// decides it from cells Redis granted ahead, at once; every request is still Redis's
// decision (none local), and the calls are a small fraction of the requests.
TEST_F(RedisNodeTest, ABusyKeyIsDecidedFromCellsAheadOnEveryNode) {
  const std::string key = CreateLimitedKey(100000, 100000);
  StartRedisNodes();
  constexpr int kClientsPerNode = 4, kRequestsPerClient = 400;
  std::atomic<int> ok{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kNodes * kClientsPerNode; ++c) {
    clients.emplace_back([&, c] {
      contract::TestClient client(node(c % kNodes).port(), false);
      for (int r = 0; r < kRequestsPerClient; ++r) {
        (client.Get(kPage, key).status == 200 ? ok : other).fetch_add(1);
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(other, 0);
  EXPECT_EQ(ok, kNodes * kClientsPerNode * kRequestsPerClient);
  double calls = 0, used = 0;
  for (int i = 0; i < kNodes; ++i) {
    const std::string m = Metrics(i);
    EXPECT_EQ(Sample(m, "soundtrend_rate_limit_local_decisions_total"), 0) << m;
    const double node_used = Sample(m, "soundtrend_rate_limit_cells_ahead_total{state=\"used\"}");
    EXPECT_GT(node_used, 0) << "node " << i << "\n" << m;
    EXPECT_GE(Sample(m, "soundtrend_rate_limit_cells_ahead_total{state=\"granted\"}"), node_used);
    EXPECT_GE(Sample(m, "soundtrend_rate_limit_cells_ahead_total{state=\"lapsed\"}"), 0);
    used += node_used;
    calls += Sample(m, "soundtrend_redis_calls_total");
  }
  std::cout << "cells ahead used for " << used << " of " << ok << " requests; " << calls
            << " Redis calls\n";
  EXPECT_GT(used, ok / 2);
  EXPECT_LT(calls, ok / 10);
}

// SPEC §10: Redis unreachable -> each node limits on its own, logged once, counted.
TEST_F(RedisNodeTest, RedisStoppedRequestsFlowWithLocalLimitsAndTheMetricShowsIt) {
  const std::string busy = CreateLimitedKey(100000, 100000);
  const std::string strict = CreateLimitedKey(1, 3);
  StartRedisNodes();
  ASSERT_TRUE(redis_->Stop().ok());
  ASSERT_TRUE(WaitForShared(0)) << "the nodes did not notice Redis stopped";

  // Requests keep flowing: every node answers, at once, from its own limits.
  for (int i = 0; i < kNodes; ++i) {
    contract::TestClient client(node(i).port(), false);
    for (int r = 0; r < 20; ++r) {
      const auto reply = client.Get(kPage, busy);
      ASSERT_EQ(reply.status, 200) << reply.body;
    }
  }
  // Local limits: each node admits the strict key's burst (3) on its own, so the cluster
  // admits more than the one shared burst would (3), and each node no more than its own
  // burst plus what refilled meanwhile.
  int admitted_total = 0;
  for (int i = 0; i < kNodes; ++i) {
    contract::TestClient client(node(i).port(), false);
    const auto start = std::chrono::steady_clock::now();
    int admitted = 0;
    for (int r = 0; r < 6; ++r) {
      const int status = client.Get(kPage, strict).status;
      ASSERT_TRUE(status == 200 || status == 429) << status;
      if (status == 200) ++admitted;
    }
    const double span =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(admitted, 3) << "node " << i;
    EXPECT_LE(admitted, 3 + span + 1) << "node " << i;
    admitted_total += admitted;
  }
  EXPECT_GE(admitted_total, 9);
  for (int i = 0; i < kNodes; ++i) {
    const std::string m = Metrics(i);
    EXPECT_EQ(Sample(m, "soundtrend_rate_limit_shared"), 0) << m;
    EXPECT_GE(Sample(m, "soundtrend_rate_limit_local_decisions_total"), 26) << m;
    EXPECT_GE(Sample(m, "soundtrend_redis_connection_failures_total"), kThreads) << m;
    // One line for the outage, however many reconnects failed.
    EXPECT_EQ(cluster::Count(NodeLog(i), "unreachable"), 1u) << NodeLog(i);
  }

  // Redis back: every node's loops reconnect (back-off) and share again.
  ASSERT_TRUE(redis_->Restart().ok());
  ASSERT_TRUE(WaitForShared(1)) << "the nodes did not go back to Redis";
  std::vector<double> shared_before(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    shared_before[i] = Sample(Metrics(i), "soundtrend_rate_limit_shared_decisions_total");
  }
  int admitted_shared = 0;
  for (int i = 0; i < kNodes; ++i) {
    contract::TestClient client(node(i).port(), false);
    for (int r = 0; r < 2; ++r) admitted_shared += client.Get(kPage, strict).status == 200;
  }
  // One burst of 3 for the whole cluster again (the fresh Redis has no state; 6 requests
  // within well under a second, at most one refill).
  EXPECT_GE(admitted_shared, 3);
  EXPECT_LE(admitted_shared, 4);
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_GE(Sample(Metrics(i), "soundtrend_rate_limit_shared_decisions_total"),
              shared_before[i] + 2);
  }
}

}  // namespace
}  // namespace soundtrend
