// The issue #4 race test over real sockets: the real HTTP server in-process on 127.0.0.1,
// the real endpoints (api::AddServingRoutes + api::AddGatewayRoutes) over the demo chart
// set, and the REAL BillingGateway, on each store (issue 10): a temporary SQLite file, and a
// fresh database on a private PostgreSQL with the key store, credit leases and ledger logs
// that app/stores.h opens for a postgresql:// URL, wired as `serve` wires them. A key with
// 1,000 credits gets 2,000 concurrent requests over 64 connections: exactly 500 answers are
// 200 and 1,500 are 402, the balance is 0 (in memory and in the store), and the ledger holds
// exactly the 500 charges whose request ids the client received with its 200s.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/admin_keys.h"
#include "api/endpoints.h"
#include "api/snapshot.h"
#include "api/test_doubles.h"
#include "app/stores.h"
#include "contract/test_client.h"
#include "gateway/admin_auth.h"
#include "gateway/backend_param.h"
#include "gateway/billing_gateway.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "ledger/ledger.h"

namespace soundtrend::gateway {
namespace {

using soundtrend::testing::TestBackend;

constexpr char kAdminToken[] = "race-test-admin-token-0123456789";
constexpr char kMusic[] = "/v1/tiktok/trending/music?region=US&period=7";

// The serving stack of `soundtrend serve`, minus the engine: real server, real routes,
// real gateway on the store at `db` (a SQLite file or a postgresql:// URL; `state_dir` holds
// a PostgreSQL node's ledger logs). The access log is captured in `log`.
class RealStack {
 public:
  RealStack(const std::string& db, const std::string& state_dir, int threads = 2)
      : metrics_(SystemClock::Instance()) {
    const bool postgres = app::BackendOf(db) == app::Backend::kPostgres;
    constexpr char kNode[] = "race-node";
    app::StoreOptions store_options;
    store_options.sync_full = false;              // as serve --ledger-sync normal
    if (postgres) store_options.node_id = kNode;  // its credit leases
    auto store = app::OpenKeyStore(db, store_options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    // As `serve`: each event loop appends its charges to its own charge lane.
    ledger::LedgerOptions ledger_options;
    ledger_options.log_path = app::LedgerLogPath(db, kNode, state_dir);
    if (postgres) ledger_options.marker_prefix = std::string(kNode) + "/";
    auto ledger = ledger::Ledger::Open(**store, ledger_options);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    BillingGatewayOptions options;
    options.reload_interval_millis = 0;
    options.current_lane = http::CurrentLoopIndex;
    // As `serve` on PostgreSQL: credits from this node's leases; a loop never moves its lane
    // (a network round trip), the ledger moves them (here when it closes).
    options.leases = app::LeasesOf(**store);
    if (postgres) options.lane_move_after_charges = 0;
    auto gw = BillingGateway::Open(std::move(store).value(), std::move(ledger).value(),
                                   SystemClock::Instance(), SecureRandom::Instance(), options);
    EXPECT_TRUE(gw.ok()) << gw.status().ToString();
    gateway = std::shared_ptr<BillingGateway>(std::move(gw).value());
    snapshots_.Publish(api::ServingSnapshot::Build(api::testing::MakeDemoChartSet(20500), 1));
    api::AddServingRoutes(router_, {gateway, &snapshots_, &metrics_, {}});
    api::AddGatewayRoutes(router_, gateway, AdminAuth(kAdminToken));
    http::ServerOptions server_options;
    server_options.threads = threads;
    server_options.access_log = std::make_shared<spdlog::logger>(
        "race", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    server_options.access_log->set_level(spdlog::level::trace);
    server_ = std::make_unique<http::Server>(server_options, router_, &metrics_);
    auto port = server_->Start();
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    this->port = port.ok() ? *port : 0;
  }
  ~RealStack() {
    server_->Stop();
    server_->Wait();
  }

  std::ostringstream log;
  std::shared_ptr<BillingGateway> gateway;
  uint16_t port = 0;

 private:
  http::Metrics metrics_;
  api::SnapshotHolder snapshots_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

class GatewayRaceTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = c == '/' ? '_' : c;
    dir_ = std::filesystem::temp_directory_path() /
           ("st_gateway_race_" + std::to_string(getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    start_ = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(1);
    db_path_ = soundtrend::testing::FreshDatabase(GetParam(), dir_, "race.db");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<RealStack> Stack() { return std::make_unique<RealStack>(db_path_, dir_); }

  static std::string FileBytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  std::filesystem::path dir_;
  std::filesystem::file_time_type start_;  // before the test's database was made
  std::string db_path_;
};

TEST_P(GatewayRaceTest, ThousandCreditsTwoThousandConcurrentRequests) {
  constexpr int kConnections = 64;
  constexpr int kRequests = 2000;
  auto stack = Stack();
  ASSERT_NE(stack->port, 0);
  NewKeySpec spec;
  spec.name = "race";
  spec.credits = 1000;
  spec.qps_limit = 100000;  // the limit is not what this test is about
  auto key = stack->gateway->CreateKey(spec);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const std::string api_key = key->api_key;
  const std::string key_id = key->record.key_id;

  std::atomic<int> next{0};
  std::atomic<bool> go{false};
  std::mutex mutex;
  std::map<int, int> statuses;
  std::vector<std::string> paid_ids;  // X-Request-Id of every 200
  std::vector<std::string> problems;
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&] {
      std::map<int, int> mine;
      std::vector<std::string> ids;
      std::vector<std::string> bad;
      try {
        contract::TestClient client(stack->port);  // connected before the start signal
        while (!go.load()) std::this_thread::yield();
        while (next.fetch_add(1) < kRequests) {
          contract::Reply r = client.Get(kMusic, api_key);
          ++mine[r.status];
          const std::string id = r.Header("x-request-id");
          if (r.status == 200) ids.push_back(id);
          if (r.status != 200 && r.status != 402) bad.push_back(std::to_string(r.status) + r.body);
          if (r.Header("x-credits-remaining") == "<absent>")
            bad.push_back("no X-Credits-Remaining");
          if (r.status == 402 && r.body.find("apiKey quota is not enough") == std::string::npos) {
            bad.push_back("402 body: " + r.body);
          }
          if (r.status == 200 && r.body.find("\"requestId\":\"" + id + "\"") == std::string::npos) {
            bad.push_back("200 without its request id in the body");
          }
        }
      } catch (const std::exception& e) {
        bad.push_back(std::string("client: ") + e.what());
      }
      std::lock_guard<std::mutex> lock(mutex);
      for (auto [status, n] : mine) statuses[status] += n;
      paid_ids.insert(paid_ids.end(), ids.begin(), ids.end());
      problems.insert(problems.end(), bad.begin(), bad.end());
    });
  }
  go = true;
  for (auto& t : clients) t.join();

  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
  EXPECT_EQ(statuses[200], 500);
  EXPECT_EQ(statuses[402], 1500);
  EXPECT_EQ(statuses.size(), 2u);
  auto account = stack->gateway->Admit("Bearer " + api_key, "/v1/account");
  ASSERT_EQ(account.outcome, AdmitOutcome::kOk);
  EXPECT_EQ(stack->gateway->Balance(*account.account), 0);
  const int64_t transactions = stack->gateway->ledger_transactions();
  const std::string log = stack->log.str();
  stack.reset();  // server stopped, ledger drained and closed

  auto store = app::OpenKeyStore(db_path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->GetKey(key_id)->balance, 0);
  EXPECT_EQ((*store)->GetKey(key_id)->charged_requests, 500);
  std::multiset<std::string> charged;
  ASSERT_TRUE((*store)
                  ->ForEachLedgerEntry(key_id,
                                       [&](const store::LedgerEntry& e) {
                                         if (e.kind == store::LedgerKind::kCharge) {
                                           charged.insert(e.reference);
                                           EXPECT_EQ(e.amount, -2);
                                           EXPECT_GE(e.balance_after, 0);
                                         }
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(charged.size(), 500u);
  EXPECT_EQ(charged, std::multiset<std::string>(paid_ids.begin(), paid_ids.end()));
  // Group commit: far fewer store transactions than charges is the point, but on a busy
  // 2-core machine any number up to one per charge is correct.
  EXPECT_LE(transactions, 500);
  std::printf("[ info ] 500 charges in %lld ledger transactions\n",
              static_cast<long long>(transactions));

  // Security: the access log saw every request, never the key; nor does the database's
  // storage.
  EXPECT_NE(log.find(key_id), std::string::npos);
  EXPECT_EQ(log.find(api_key.substr(8)), std::string::npos);
  bool key_id_stored = false;  // the scan sees what the store wrote
  for (const auto& file : soundtrend::testing::StoredFiles(GetParam(), db_path_, start_)) {
    const std::string bytes = FileBytes(file);
    EXPECT_EQ(bytes.find(api_key.substr(8)), std::string::npos) << file;
    key_id_stored |= bytes.find(key_id) != std::string::npos;
  }
  EXPECT_TRUE(key_id_stored);
}

TEST_P(GatewayRaceTest, AdminRevocationIsImmediateAndAdminRefusesCustomerKeys) {
  RealStack stack(db_path_, dir_);
  NewKeySpec spec;
  spec.name = "to revoke";
  spec.credits = 100;
  spec.qps_limit = 1000;
  auto key = stack.gateway->CreateKey(spec);
  ASSERT_TRUE(key.ok());
  contract::TestClient client(stack.port);
  ASSERT_EQ(client.Get(kMusic, key->api_key).status, 200);
  // A customer key is no admin token, even its own.
  contract::Reply refused = client.Request(
      "POST", "/admin/v1/keys/revoke",
      {{"Authorization", "Bearer " + key->api_key}, {"Content-Type", "application/json"}},
      R"({"key_id":")" + key->record.key_id + R"("})");
  EXPECT_EQ(refused.status, 401);
  ASSERT_EQ(client.Get(kMusic, key->api_key).status, 200);
  contract::Reply revoked = client.Request("POST", "/admin/v1/keys/revoke",
                                           {{"Authorization", std::string("Bearer ") + kAdminToken},
                                            {"Content-Type", "application/json"}},
                                           R"({"key_id":")" + key->record.key_id + R"("})");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  contract::Reply after = client.Get(kMusic, key->api_key);
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(after.body.find("apiKey is invalid"), std::string::npos);
  // A key differing by one character is refused over the wire too.
  std::string almost = key->api_key;
  almost[10] = almost[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(client.Get(kMusic, almost).status, 401);
}

ST_INSTANTIATE_ON_BACKENDS(GatewayRaceTest);

}  // namespace
}  // namespace soundtrend::gateway
