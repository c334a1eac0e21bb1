// The real binary on PostgreSQL (issue 10): every subcommand takes --db postgresql://...,
// the schema is created by version (soundtrend migrate, or the first command that may
// create), read-only commands refuse an empty database, and a PostgreSQL-backed node
// serves exactly what a SQLite-backed one serves from the same files and charges exactly
// (a private PostgreSQL on a free loopback port, started and stopped by the test).
#include <gtest/gtest.h>
#include <signal.h>

#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_fixture.h"
#include "contract/test_client.h"

namespace soundtrend {
namespace {

using cluster::WithoutRequestId;
using soundtrend::testing::CommandResult;
using soundtrend::testing::FirstLine;
using soundtrend::testing::ServeProcess;

class PgNodeTest : public cluster::ClusterTest {
 protected:
  std::string LogText() const { return CliLog(); }
};

TEST_F(PgNodeTest, MigrateCreatesTheSchemaOnceAndReadOnlyCommandsRefuseAnEmptyDatabase) {
  CommandResult list = Cli(url_, {"keys", "list"});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_NE(LogText().find("no soundtrend database at " + url_), std::string::npos) << LogText();
  CommandResult migrated = Cli(url_, {"migrate"});
  ASSERT_EQ(migrated.exit_code, 0) << LogText();
  EXPECT_NE(migrated.out.find("schema version 0 -> "), std::string::npos) << migrated.out;
  CommandResult again = Cli(url_, {"migrate"});
  ASSERT_EQ(again.exit_code, 0) << LogText();
  EXPECT_NE(again.out.find("up to date"), std::string::npos) << again.out;
  EXPECT_EQ(Cli(url_, {"keys", "list"}).exit_code, 0) << LogText();
  // Nothing was taken for a file name.
  EXPECT_FALSE(std::filesystem::exists("postgresql:"));
}

TEST_F(PgNodeTest, APostgresNodeServesWhatASqliteNodeServesAndChargesExactly) {
  const std::string sqlite = (dir_ / "node.db").string();
  std::string keys[2];
  const std::string dbs[2] = {sqlite, url_};
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(IngestDemoInto(dbs[i], {.sounds = 80, .days = 20, .regions = "US,GB", .seed = 42}));
    CommandResult created =
        Cli(dbs[i], {"keys", "create", "--name", "n", "--credits", "10", "--qps", "1000"});
    ASSERT_EQ(created.exit_code, 0) << LogText();
    keys[i] = FirstLine(created.out);
  }
  ServeProcess sqlite_node(
      {SOUNDTREND_BINARY, "--db", sqlite, "serve", "--port", "0", "--threads", "1"},
      (dir_ / "sqlite_node.log").string());
  ServeProcess pg_node({SOUNDTREND_BINARY, "--db", url_, "serve", "--port", "0", "--threads", "2",
                        "--node-id", "node-a", "--state-dir", (dir_ / "state").string()},
                       (dir_ / "pg_node.log").string());
  ASSERT_NE(sqlite_node.port(), 0);
  ASSERT_NE(pg_node.port(), 0) << pg_node.line();
  const std::string page = "/v1/tiktok/trending/music?region=US&period=7&limit=20";
  contract::TestClient a(sqlite_node.port());
  contract::TestClient b(pg_node.port());
  const auto from_sqlite = a.Get(page, keys[0]);
  const auto from_pg = b.Get(page, keys[1]);
  ASSERT_EQ(from_sqlite.status, 200) << from_sqlite.body;
  ASSERT_EQ(from_pg.status, 200) << from_pg.body;
  EXPECT_NE(from_pg.body.find("\"sound_list\":[{"), std::string::npos) << from_pg.body;  // has data
  EXPECT_EQ(WithoutRequestId(from_pg.body), WithoutRequestId(from_sqlite.body));
  EXPECT_EQ(b.Get("/v1/tiktok/trending/music?region=GB&period=30", keys[1]).body.size() > 0, true);

  // 10 credits: the first one above and four more succeed, then 402.
  std::vector<std::string> ok_ids;
  ok_ids.push_back(from_pg.headers.at("x-request-id"));
  int refused = 0;
  for (int i = 0; i < 8; ++i) {
    const auto r = b.Get(page, keys[1]);
    if (r.status == 200) ok_ids.push_back(r.headers.at("x-request-id"));
    if (r.status == 402) ++refused;
  }
  ASSERT_EQ(b.Get("/v1/tiktok/trending/music?region=GB&period=30", keys[1]).status, 402);
  EXPECT_EQ(ok_ids.size(), 4u);  // 10 credits: the GB page took 2
  EXPECT_EQ(refused, 5);
  // A graceful stop moves every charge into PostgreSQL: the ledger has exactly them.
  EXPECT_EQ(pg_node.Stop(SIGTERM), 0);
  CommandResult ledger = Cli(url_, {"ledger", "export"});
  ASSERT_EQ(ledger.exit_code, 0) << LogText();
  for (const std::string& id : ok_ids) {
    EXPECT_NE(ledger.out.find(id), std::string::npos) << id << "\n" << ledger.out;
  }
  CommandResult list = Cli(url_, {"keys", "list"});
  EXPECT_NE(list.out.find("\t0\t"), std::string::npos) << list.out;  // balance 0
}

// SPEC §10, exact across nodes: a key with 1,000 credits, 2,000 requests spread over three
// nodes from 60 connections: exactly 500 answered 200 and 1,500 answered 402; balance 0;
// the ledger's charges are exactly the request ids of the 200s. Each node spends only its
// lease; a node out of credit recalls what the others hold unspent before it answers 402.
TEST_F(PgNodeTest, ThreeNodesSpendAThousandCreditsExactly) {
  ASSERT_TRUE(IngestDemo());
  const std::string key = CreateKey(1000);
  ASSERT_FALSE(key.empty()) << LogText();
  ASSERT_TRUE(StartNodes(3));
  constexpr int kConnections = 60;
  constexpr int kRequests = 2000;
  std::mutex mu;
  std::vector<std::string> ok_ids;
  int refused = 0, other = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&, c] {
      contract::TestClient client(node(c % 3).port());
      const int n = kRequests / kConnections + (c < kRequests % kConnections ? 1 : 0);
      for (int i = 0; i < n; ++i) {
        const auto r = client.Get("/v1/tiktok/trending/music?region=US&period=7&limit=5", key);
        std::lock_guard lock(mu);
        if (r.status == 200) {
          ok_ids.push_back(r.headers.at("x-request-id"));
        } else if (r.status == 402) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok_ids.size(), 500u);
  EXPECT_EQ(refused, 1500);
  EXPECT_EQ(other, 0);
  // Graceful stops: every charge moved in, every unspent lease given back.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(StopNode(i, SIGTERM), 0);
  CommandResult ledger = Cli(url_, {"ledger", "export"});
  ASSERT_EQ(ledger.exit_code, 0) << LogText();
  std::set<std::string> charged;
  std::istringstream lines(ledger.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(",charge,") == std::string::npos) continue;
    for (const std::string& id : ok_ids) {
      if (line.find(id) != std::string::npos) charged.insert(id);
    }
  }
  EXPECT_EQ(charged.size(), ok_ids.size());
  EXPECT_EQ(std::set<std::string>(ok_ids.begin(), ok_ids.end()).size(), ok_ids.size());
  int charge_lines = 0;
  std::istringstream again(ledger.out);
  for (std::string line; std::getline(again, line);) {
    if (line.find(",charge,") != std::string::npos) ++charge_lines;
  }
  EXPECT_EQ(charge_lines, 500);
  CommandResult list = Cli(url_, {"keys", "list"});
  EXPECT_NE(list.out.find("\t0\t"), std::string::npos) << list.out;  // balance 0
}

// A node gone for good: `ledger settle --node ID` moves the charges its logs hold and frees
// what it still held leased.
TEST_F(PgNodeTest, SettleFreesWhatAKilledNodeHeldLeased) {
  ASSERT_TRUE(IngestDemo());
  const std::string key = CreateKey(100);
  ASSERT_FALSE(key.empty()) << LogText();
  const std::string state = (dir_ / "state-gone").string();
  std::string ok_id;
  {
    ASSERT_TRUE(StartNode("gone", {.threads = 1, .extra_args = {}}));
    contract::TestClient client(node("gone").port());
    const auto r = client.Get("/v1/tiktok/trending/music?region=US&period=7", key);
    ASSERT_EQ(r.status, 200) << r.body;
    ok_id = r.headers.at("x-request-id");
    StopNode("gone", SIGKILL);  // its lease and its lane are left behind
  }
  CommandResult running = Cli(url_, {"ledger", "settle", "--node", "gone", "--state-dir", state});
  ASSERT_EQ(running.exit_code, 0) << LogText();
  EXPECT_NE(running.out.find("node gone settled: "), std::string::npos) << running.out;
  CommandResult ledger = Cli(url_, {"ledger", "export"});
  EXPECT_NE(ledger.out.find(ok_id), std::string::npos) << ledger.out;
  // Everything but the one charge is free: another node can spend the other 98.
  ASSERT_TRUE(StartNode("other", {.threads = 1, .extra_args = {}}));
  contract::TestClient client(node("other").port());
  int ok = 0;
  for (int i = 0; i < 60; ++i) {
    if (client.Get("/v1/tiktok/trending/music?region=US&period=7", key).status == 200) ++ok;
  }
  EXPECT_EQ(ok, 49);
  EXPECT_EQ(Cli(url_, {"ledger", "settle", "--node", "x"}).exit_code, 0);
  EXPECT_EQ(Cli((dir_ / "a.db").string(), {"ledger", "settle", "--node", "x"}).exit_code, 2);
}

// One live node per --node-id on a database (the id's lock, store/postgres/pg_key_store.h):
// a second `serve` with a running node's id (its own state dir, so the ledger's file lock
// cannot see it) exits 1 saying so, `ledger settle` of the running node is refused and
// changes nothing, and once the node is killed both the settle and a restart work.
TEST_F(PgNodeTest, ASecondServeWithALiveNodesIdAndASettleOfALiveNodeAreRefused) {
  ASSERT_TRUE(IngestDemo());
  const std::string key = CreateKey(100);
  ASSERT_FALSE(key.empty()) << LogText();
  constexpr char kPath[] = "/v1/tiktok/trending/music?region=US&period=7";
  ASSERT_TRUE(StartNode("dup", {.threads = 1, .extra_args = {}}));
  contract::TestClient client(node("dup").port());
  ASSERT_EQ(client.Get(kPath, key).status, 200);

  const std::string second_log = (dir_ / "second.log").string();
  ServeProcess second({SOUNDTREND_BINARY, "--db", url_, "serve", "--port", "0", "--threads", "1",
                       "--node-id", "dup", "--state-dir", (dir_ / "state-elsewhere").string()},
                      second_log);
  EXPECT_EQ(second.port(), 0) << second.line();
  EXPECT_EQ(second.Stop(SIGKILL), 1);  // it had exited with 1
  const std::string refused = cluster::Slurp(second_log);
  EXPECT_NE(refused.find("serve: AlreadyExists: another `soundtrend serve` is running as this "
                         "node: node id \"dup\" is held by PostgreSQL backend pid "),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.find("give this node its own --node-id"), std::string::npos) << refused;
  EXPECT_EQ(cluster::Count(refused, "\n"), 1u) << refused;  // one line

  // Settle of the live node: refused, its lease untouched, it goes on serving.
  const std::string state = (dir_ / "state-dup").string();
  CommandResult live = Cli({"ledger", "settle", "--node", "dup", "--state-dir", state});
  EXPECT_EQ(live.exit_code, 1) << LogText();
  EXPECT_NE(LogText().find("ledger settle: node dup is running (node id \"dup\" is held by "
                           "PostgreSQL backend pid "),
            std::string::npos)
      << LogText();
  EXPECT_EQ(live.out.find("settled"), std::string::npos) << live.out;
  EXPECT_EQ(Cli({"ledger", "settle", "--node", "dup"}).exit_code, 1);
  ASSERT_EQ(client.Get(kPath, key).status, 200);

  // Killed: its session ends with it; the settle frees what it held, a restart serves.
  StopNode("dup", SIGKILL);
  CommandResult settled = Cli({"ledger", "settle", "--node", "dup", "--state-dir", state});
  ASSERT_EQ(settled.exit_code, 0) << LogText();
  EXPECT_NE(settled.out.find("node dup settled: "), std::string::npos) << settled.out;
  ASSERT_TRUE(StartNode("dup", {.threads = 1, .extra_args = {}}));
  contract::TestClient again(node("dup").port());
  EXPECT_EQ(again.Get(kPath, key).status, 200);
  EXPECT_EQ(StopNode("dup", SIGTERM), 0);
  // Every answered request charged once: two before the kill (moved by the settle), one after.
  EXPECT_EQ(cluster::Count(Cli({"ledger", "export"}).out, ",charge,"), 3u);
}

}  // namespace
}  // namespace soundtrend
