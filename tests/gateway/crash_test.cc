// Tests over the real `soundtrend` binary (SOUNDTREND_BINARY, set by tests/gateway.cmake):
//
// - Crash: load against `serve`, SIGKILL mid-run, restart. Every 200 the clients received
//   has its charge in the ledger (by X-Request-Id), and no charge exists without a request
//   the server accepted: every other charge belongs to a request that was in flight at the
//   kill (at most one per connection), never to a request answered with an error.
// - CLI while serving: keys created, credited or revoked by `soundtrend keys|credits`
//   reach the running server (SQLite: data_version reload; PostgreSQL: NOTIFY), a grant id
//   applies once, and the key is never in the database's storage or the server's log.
//
// Each runs on SQLite (`--db FILE`) and on PostgreSQL (`--db postgresql://...` on a fresh
// database of a private server, the node with its own --node-id and --state-dir), one body
// (issue 10).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/stores.h"
#include "contract/test_client.h"
#include "gateway/backend_param.h"
#include "gateway/process_util.h"

namespace soundtrend::gateway {
namespace {

using soundtrend::testing::CommandResult;
using soundtrend::testing::Field;
using soundtrend::testing::FirstLine;
using soundtrend::testing::RunCommand;
using soundtrend::testing::ServeProcess;
using soundtrend::testing::TestBackend;

constexpr char kMusic[] = "/v1/tiktok/trending/music";
constexpr int64_t kCredits = 1'000'000;
constexpr char kNode[] = "node-a";  // the node every test's `serve` is (PostgreSQL)

class BinaryTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = c == '/' ? '_' : c;
    dir_ = std::filesystem::temp_directory_path() /
           ("st_gateway_bin_" + std::to_string(getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    start_ = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(1);
    db_ = soundtrend::testing::FreshDatabase(GetParam(), dir_, "st.db");
    log_ = (dir_ / "serve.log").string();
  }
  bool postgres() const { return GetParam() == TestBackend::kPostgres; }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  CommandResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {SOUNDTREND_BINARY, "--db", db_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, (dir_ / "cli.log").string());
  }
  // `soundtrend --db DB serve --port 0 EXTRA...`; on PostgreSQL as node `node` (its ledger
  // logs in dir_/state-<node>: a restart with the same node finds what it left).
  std::vector<std::string> ServeArgv(std::vector<std::string> extra = {},
                                     const std::string& node = kNode) const {
    std::vector<std::string> argv = {SOUNDTREND_BINARY, "--db", db_, "serve", "--port", "0"};
    if (postgres()) {
      argv.insert(argv.end(), {"--node-id", node, "--state-dir", StateDir(node)});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  std::string StateDir(const std::string& node) const {
    return (dir_ / ("state-" + node)).string();
  }
  // Where node `kNode`'s ledger logs live (app/stores.h): "<db>-charges" beside a SQLite file,
  // "<state dir>/node-a-charges" on PostgreSQL; its charge lanes are "<that>.<loop>.<segment>".
  std::filesystem::path LedgerLog() const {
    return app::LedgerLogPath(db_, kNode, StateDir(kNode));
  }
  std::unique_ptr<ServeProcess> Serve() {
    return std::make_unique<ServeProcess>(ServeArgv({"--threads", "2"}), log_);
  }
  static std::string Bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::vector<store::LedgerEntry> Ledger(const std::string& key_id) {
    std::vector<store::LedgerEntry> out;
    auto store = app::OpenKeyStore(db_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return out;
    EXPECT_TRUE((*store)
                    ->ForEachLedgerEntry(key_id,
                                         [&](const store::LedgerEntry& e) {
                                           out.push_back(e);
                                           return Status::Ok();
                                         })
                    .ok());
    return out;
  }
  // Polls `fn` until it returns true or `timeout` passes (a real process reloads on its
  // own schedule, about once a second).
  template <typename Fn>
  static bool Eventually(Fn fn, std::chrono::seconds timeout = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (fn()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return fn();
  }

  std::filesystem::path dir_;
  std::filesystem::file_time_type start_;  // before the test's database was made
  std::string db_;
  std::string log_;
};

TEST_P(BinaryTest, EveryPaidResponseSurvivesSigkillAndNoChargeWithoutARequest) {
  CommandResult created = Cli({"keys", "create", "--name", "crash", "--credits",
                               std::to_string(kCredits), "--qps", "100000"});
  ASSERT_EQ(created.exit_code, 0) << created.out;
  const std::string key = FirstLine(created.out);
  const std::string key_id = Field(created.out, "key_id");
  ASSERT_EQ(key.rfind("sk_live_", 0), 0u) << created.out;

  auto server = Serve();
  ASSERT_NE(server->port(), 0) << "serve did not start: " << server->line() << "\n" << Bytes(log_);
  const uint16_t port = server->port();

  constexpr int kClients = 8;
  std::atomic<int> paid{0};
  std::mutex mutex;
  std::vector<std::string> paid_ids;     // X-Request-Id of every 200 received
  std::vector<std::string> refused_ids;  // X-Request-Id of every other response
  int64_t sent = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      std::vector<std::string> ok;
      std::vector<std::string> other;
      int64_t mine = 0;
      try {
        contract::TestClient client(port);
        for (;;) {  // until the server dies under us
          ++mine;
          contract::Reply r = client.Get(kMusic, key);
          (r.status == 200 ? ok : other).push_back(r.Header("x-request-id"));
          if (r.status == 200) paid.fetch_add(1);
        }
      } catch (const std::exception&) {
        // Connection reset / EOF once the server is killed.
      }
      std::lock_guard<std::mutex> lock(mutex);
      paid_ids.insert(paid_ids.end(), ok.begin(), ok.end());
      refused_ids.insert(refused_ids.end(), other.begin(), other.end());
      sent += mine;
    });
  }
  // Mid-run: after a few hundred paid answers, with every connection busy.
  const bool loaded = Eventually([&] { return paid.load() >= 600; }, std::chrono::seconds(60));
  EXPECT_EQ(server->Stop(SIGKILL), -1);  // killed by the signal
  for (auto& t : clients) t.join();
  ASSERT_TRUE(loaded) << "only " << paid.load() << " paid answers before the deadline";
  EXPECT_EQ(refused_ids.size(), 0u);  // plenty of credits and qps: every answer was a 200

  // Restart on the same database: it comes up and charges from where it was.
  auto restarted = Serve();
  ASSERT_NE(restarted->port(), 0) << Bytes(log_);
  std::string after_restart_id;
  {
    contract::TestClient client(restarted->port());
    contract::Reply r = client.Get(kMusic, key);
    ASSERT_EQ(r.status, 200) << r.body;
    after_restart_id = r.Header("x-request-id");
  }
  EXPECT_EQ(restarted->Stop(SIGTERM), 0);

  std::map<std::string, int> charges;
  int64_t balance = 0;
  int64_t grants = 0;
  for (const store::LedgerEntry& e : Ledger(key_id)) {
    balance += e.amount;
    EXPECT_EQ(e.balance_after, balance) << "seq " << e.seq;  // the ledger explains the balance
    if (e.kind == store::LedgerKind::kGrant) ++grants;
    if (e.kind != store::LedgerKind::kCharge) continue;
    ++charges[e.reference];
    EXPECT_EQ(e.amount, -2);
    EXPECT_EQ(e.endpoint, kMusic);
  }
  EXPECT_EQ(grants, 1);
  // 1. Every 200 the clients received is charged, exactly once.
  for (const std::string& id : paid_ids) {
    auto it = charges.find(id);
    ASSERT_NE(it, charges.end()) << "a 200 without its charge: " << id;
    EXPECT_EQ(it->second, 1) << id;
  }
  ASSERT_EQ(charges.count(after_restart_id), 1u);
  // 2. No charge without an accepted request: the charges beyond the 200s received are
  //    requests in flight at the kill (charged, then the process died before the answer
  //    left): at most one per connection, and never a request that got an error answer.
  std::set<std::string> received(paid_ids.begin(), paid_ids.end());
  received.insert(after_restart_id);
  EXPECT_EQ(received.size(), paid_ids.size() + 1);  // request ids are unique
  int64_t in_flight_charges = 0;
  for (const auto& [id, n] : charges) {
    EXPECT_EQ(n, 1) << id;
    if (!received.count(id)) ++in_flight_charges;
  }
  EXPECT_LE(in_flight_charges, kClients);
  EXPECT_LE(static_cast<int64_t>(charges.size()), sent + 1);
  for (const std::string& id : refused_ids) EXPECT_EQ(charges.count(id), 0u) << id;
  auto store = app::OpenKeyStore(db_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto record = (*store)->GetKey(key_id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->balance, kCredits - 2 * static_cast<int64_t>(charges.size()));
  EXPECT_EQ(record->charged_requests, static_cast<int64_t>(charges.size()));
  std::printf(
      "[ info ] %zu paid answers received before SIGKILL, %lld requests sent, %zu charges "
      "(%lld in flight at the kill)\n",
      paid_ids.size(), static_cast<long long>(sent), charges.size(),
      static_cast<long long>(in_flight_charges));
}

TEST_P(BinaryTest, OneChargingServerPerDatabaseAndTheCliSeesItsChargesWithinSeconds) {
  CommandResult a = Cli({"keys", "create", "--name", "k", "--credits", "10", "--qps", "1000"});
  ASSERT_EQ(a.exit_code, 0);
  const std::string key = FirstLine(a.out);
  const std::string id = Field(a.out, "key_id");
  auto first = Serve();
  ASSERT_NE(first->port(), 0) << Bytes(log_);

  // The ledger's logs are one process's: a second charging server on them says so and
  // exits. On SQLite they sit beside the database file, so this is one charging server per
  // database; on PostgreSQL several nodes share the database (each with its own logs in its
  // state dir), so what holds there is one charging server per node: a second `serve` with
  // the same --node-id and --state-dir is refused, another node on the database serves.
  const std::string second_log = (dir_ / "second.log").string();
  ServeProcess second(ServeArgv(), second_log);
  EXPECT_EQ(second.port(), 0);
  EXPECT_NE(Bytes(second_log).find("another `soundtrend serve`"), std::string::npos)
      << Bytes(second_log);
  if (postgres()) {
    ServeProcess other(ServeArgv({}, "node-b"), (dir_ / "other.log").string());
    EXPECT_NE(other.port(), 0) << Bytes((dir_ / "other.log").string());
  }
  // A server that does not charge needs no journal.
  ServeProcess free(ServeArgv({"--no-charging"}), (dir_ / "free.log").string());
  EXPECT_NE(free.port(), 0);

  // What the running server stages reaches the tables the CLI reads (about once a second).
  contract::TestClient client(first->port());
  contract::Reply r = client.Get(kMusic, key);
  ASSERT_EQ(r.status, 200);
  const std::string request_id = r.Header("x-request-id");
  EXPECT_TRUE(Eventually([&] {
    return Cli({"ledger", "export", "--key-id", id}).out.find(request_id) != std::string::npos;
  }));
  EXPECT_EQ(first->Stop(SIGTERM), 0);
}

TEST_P(BinaryTest, CliChangesReachARunningServer) {
  CommandResult a = Cli({"keys", "create", "--name", "first", "--credits", "10", "--qps", "1000"});
  ASSERT_EQ(a.exit_code, 0);
  const std::string key_a = FirstLine(a.out);
  const std::string id_a = Field(a.out, "key_id");
  EXPECT_EQ(Field(a.out, "credits"), "10");

  auto server = Serve();
  ASSERT_NE(server->port(), 0) << Bytes(log_);
  contract::TestClient client(server->port());
  contract::Reply r = client.Get(kMusic, key_a);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("x-credits-remaining"), "8");

  // A key created by the CLI while serving.
  CommandResult b = Cli({"keys", "create", "--name", "second", "--credits", "4"});
  ASSERT_EQ(b.exit_code, 0);
  const std::string key_b = FirstLine(b.out);
  const std::string id_b = Field(b.out, "key_id");
  EXPECT_TRUE(Eventually([&] { return client.Get(kMusic, key_b).status == 200; }));

  // A grant applied twice (a retried command) adds once.
  CommandResult g1 = Cli({"credits", "grant", id_a, "100", "--grant-id", "invoice-1"});
  EXPECT_EQ(g1.exit_code, 0) << g1.out;
  EXPECT_NE(g1.out.find("balance: 108"), std::string::npos) << g1.out;
  CommandResult g2 = Cli({"credits", "grant", id_a, "100", "--grant-id", "invoice-1"});
  EXPECT_EQ(g2.exit_code, 0);
  EXPECT_NE(g2.out.find("already applied"), std::string::npos) << g2.out;
  EXPECT_EQ(Cli({"credits", "grant", id_a, "5", "--grant-id", "invoice-1"}).exit_code, 1);
  // Revoke b: refused within about a second. Once the server has seen that (later) change,
  // it has seen both grant commands too.
  ASSERT_EQ(Cli({"keys", "revoke", id_b}).exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return client.Get(kMusic, key_b).status == 401; }));
  // The grant reached the running server: its balance has it (on PostgreSQL too: the node's
  // view of the free credits takes a reloaded grant). And it is spent: the 8 credits left
  // before the grant pay 4 requests; the 5th is paid by the grant alone.
  contract::Reply after = client.Get("/v1/account", key_a);
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.Header("x-credits-remaining"), "108");
  for (int i = 1; i <= 5; ++i) {
    contract::Reply paid = client.Get(kMusic, key_a);
    ASSERT_EQ(paid.status, 200) << i << ": " << paid.body;
    if (i == 5) {
      EXPECT_EQ(paid.Header("x-credits-remaining"), "98");
    }
  }

  // Unknown key id / bad arguments.
  EXPECT_EQ(Cli({"keys", "revoke", "key_doesnotexist"}).exit_code, 1);
  EXPECT_EQ(Cli({"credits", "grant", id_a, "0", "--grant-id", "zero"}).exit_code, 2);
  EXPECT_EQ(Cli({"keys", "create", "--name", "x", "--expires", "2030-02-30"}).exit_code, 2);

  CommandResult list = Cli({"keys", "list"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find(id_a + "\tactive\t"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(id_b + "\trevoked\t"), std::string::npos) << list.out;
  // The running server's charge lanes (LedgerLog() + ".<loop>.<segment>") hold charges by
  // key id, never the key.
  int lane_files = 0;
  const std::filesystem::path ledger_log = LedgerLog();
  for (const auto& entry : std::filesystem::directory_iterator(ledger_log.parent_path())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(ledger_log.filename().string() + ".", 0) != 0) continue;
    ++lane_files;
    for (const std::string& k : {key_a, key_b}) {
      EXPECT_EQ(Bytes(entry.path().string()).find(k.substr(8)), std::string::npos) << name;
    }
  }
  EXPECT_GT(lane_files, 0);
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  CommandResult csv = Cli({"ledger", "export", "--key-id", id_a});
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(FirstLine(csv.out), "seq,time,key_id,kind,reference,endpoint,amount,balance_after\r");
  EXPECT_NE(csv.out.find(",charge," + r.Header("x-request-id") + "," + kMusic + ",-2,8\r\n"),
            std::string::npos)
      << csv.out;
  EXPECT_NE(csv.out.find(",grant,invoice-1,,100,"), std::string::npos) << csv.out;
  CommandResult show = Cli({"ledger", "show", id_a, "--limit", "6"});  // 5 charges, the grant
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("invoice-1"), std::string::npos) << show.out;

  // The keys were printed once and are nowhere else: not in the database, not in the log.
  std::vector<std::filesystem::path> stored =
      soundtrend::testing::StoredFiles(GetParam(), db_, start_);
  stored.push_back(ledger_log);
  bool key_id_stored = false;  // the scan sees what the store wrote
  for (const std::filesystem::path& file : stored) {
    const std::string bytes = Bytes(file.string());
    key_id_stored |= bytes.find(id_a) != std::string::npos;
    for (const std::string& k : {key_a, key_b}) {
      EXPECT_EQ(bytes.find(k.substr(8)), std::string::npos) << file;
    }
  }
  EXPECT_TRUE(key_id_stored);
  for (const std::string& k : {key_a, key_b}) {
    EXPECT_EQ(Bytes(log_).find(k.substr(8)), std::string::npos);
  }
  EXPECT_NE(Bytes(log_).find(id_a), std::string::npos);  // the log names keys by id
}

ST_INSTANTIATE_ON_BACKENDS(BinaryTest);

}  // namespace
}  // namespace soundtrend::gateway
