// Rate limits shared through Redis across nodes (issue 10; README "Run as a cluster"): the
// real binary, three serve nodes on one private PostgreSQL and one private Redis (each on
// a free loopback port, started and stopped by the test).
//   - a key with qps 20 and burst 20, hammered through all three nodes for 3 s: at most
//     20 + 20 x T admitted in total (T the hammering's span, 3 s and what the last answers
//     took), every decision made in Redis;
//   - Redis stopped: requests keep flowing with local limits (each node its own), the
//     metric shows it, one log line per node; Redis back: every node shares again.
// Waits poll with deadlines.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "contract/test_client.h"
#include "gateway/process_util.h"
#include "store/postgres/pg_test_server.h"
#include "store/redis/redis_test_server.h"

namespace soundtrend {
namespace {

using soundtrend::store::postgres::PgTestServer;
using soundtrend::store::redis::RedisTestServer;
using soundtrend::testing::CommandResult;
using soundtrend::testing::FirstLine;
using soundtrend::testing::RunCommand;
using soundtrend::testing::ServeProcess;

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

class RedisNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("st_redis_node_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    url_ = PgTestServer::Shared().CreateDatabase();
    auto redis = RedisTestServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status().ToString();
    redis_ = std::move(redis).value();
    const std::string demo = (dir_ / "demo").string();
    ASSERT_EQ(RunCommand({SOUNDTREND_BINARY, "demo", "--out", demo, "--sounds", "30", "--days",
                          "10", "--regions", "US"},
                         log())
                  .exit_code,
              0)
        << LogText(log());
    ASSERT_EQ(
        Cli({"ingest", demo + "/catalog.ndjson", demo + "/daily.csv.gz", demo + "/uses.ndjson.gz"})
            .exit_code,
        0)
        << LogText(log());
  }
  void TearDown() override {
    nodes_.clear();  // stops them
    redis_.reset();
    std::filesystem::remove_all(dir_);
  }

  CommandResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {SOUNDTREND_BINARY, "--db", url_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, log());
  }
  std::string log() const { return (dir_ / "cli.log").string(); }
  static std::string LogText(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::string NodeLog(int i) const {
    return (dir_ / ("node-" + std::to_string(i) + ".log")).string();
  }

  std::string CreateKey(const std::string& qps, const std::string& burst) {
    CommandResult created = Cli(
        {"keys", "create", "--name", "n", "--credits", "10000000", "--qps", qps, "--burst", burst});
    EXPECT_EQ(created.exit_code, 0) << LogText(log());
    return FirstLine(created.out);
  }

  // Three nodes on the database and Redis, each with every loop connected to Redis.
  void StartNodes() {
    for (int i = 0; i < kNodes; ++i) {
      const std::string name = "node-" + std::to_string(i);
      nodes_.push_back(std::make_unique<ServeProcess>(
          std::vector<std::string>{SOUNDTREND_BINARY, "--db", url_, "serve", "--port", "0",
                                   "--threads", std::to_string(kThreads), "--node-id", name,
                                   "--state-dir", (dir_ / ("state-" + name)).string(), "--redis",
                                   redis_->url()},
          NodeLog(i)));
      ASSERT_NE(nodes_.back()->port(), 0) << nodes_.back()->line() << LogText(NodeLog(i));
    }
    ASSERT_TRUE(WaitForShared(1)) << "the nodes did not all connect to Redis";
  }

  std::string Metrics(int node) {
    contract::TestClient client(nodes_[node]->port(), false);
    return client.Get("/metrics").body;
  }

  // Polls every node's /metrics until soundtrend_rate_limit_shared is `value` on all
  // (and, for 1, every loop is connected).
  bool WaitForShared(int value, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      bool all = true;
      for (int i = 0; i < kNodes && all; ++i) {
        const std::string m = Metrics(i);
        all = Sample(m, "soundtrend_rate_limit_shared") == value &&
              (value == 0 || Sample(m, "soundtrend_redis_connections") == kThreads);
      }
      if (all) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, with a deadline
    }
  }

  std::filesystem::path dir_;
  std::string url_;
  std::unique_ptr<RedisTestServer> redis_;
  std::vector<std::unique_ptr<ServeProcess>> nodes_;
};

// SPEC §10 / issue 10: one limit for the key across the cluster.
TEST_F(RedisNodeTest, AKeyHammeredThroughThreeNodesGetsOneLimit) {
  const std::string key = CreateKey("20", "20");
  StartNodes();
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
      contract::TestClient client(nodes_[c % kNodes]->port(), false);
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

// SPEC §10: Redis unreachable -> each node limits on its own, logged once, counted.
TEST_F(RedisNodeTest, RedisStoppedRequestsFlowWithLocalLimitsAndTheMetricShowsIt) {
  const std::string busy = CreateKey("100000", "100000");
  const std::string strict = CreateKey("1", "3");
  StartNodes();
  ASSERT_TRUE(redis_->Stop().ok());
  ASSERT_TRUE(WaitForShared(0)) << "the nodes did not notice Redis stopped";

  // Requests keep flowing: every node answers, at once, from its own limits.
  for (int i = 0; i < kNodes; ++i) {
    contract::TestClient client(nodes_[i]->port(), false);
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
    contract::TestClient client(nodes_[i]->port(), false);
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
    const std::string text = LogText(NodeLog(i));
    size_t lines = 0;
    for (size_t at = text.find("unreachable"); at != std::string::npos;
         at = text.find("unreachable", at + 1)) {
      ++lines;
    }
    EXPECT_EQ(lines, 1u) << text;
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
    contract::TestClient client(nodes_[i]->port(), false);
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
