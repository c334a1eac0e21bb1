// The real binary on PostgreSQL (issue 10): every subcommand takes --db postgresql://...,
// the schema is created by version (soundtrend migrate, or the first command that may
// create), read-only commands refuse an empty database, and a PostgreSQL-backed node
// serves exactly what a SQLite-backed one serves from the same files and charges exactly
// (a private PostgreSQL on a free loopback port, started and stopped by the test).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "contract/test_client.h"
#include "gateway/process_util.h"
#include "store/postgres/pg_test_server.h"

namespace soundtrend {
namespace {

using soundtrend::store::postgres::PgTestServer;
using soundtrend::testing::CommandResult;
using soundtrend::testing::Field;
using soundtrend::testing::FirstLine;
using soundtrend::testing::RunCommand;
using soundtrend::testing::ServeProcess;

class PgNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("st_pg_node_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    url_ = PgTestServer::Shared().CreateDatabase();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CommandResult Cli(const std::string& db, std::vector<std::string> args) {
    std::vector<std::string> argv = {SOUNDTREND_BINARY, "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, log());
  }
  std::string log() const { return (dir_ / "cli.log").string(); }
  std::string LogText() const {
    std::ifstream in(log());
    return {std::istreambuf_iterator<char>(in), {}};
  }

  std::filesystem::path dir_;
  std::string url_;
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

// Strips the per-request parts of a body (requestId).
std::string WithoutRequestId(const std::string& body) {
  return std::regex_replace(body, std::regex("\"requestId\":\"[^\"]*\""), "\"requestId\":\"\"");
}

TEST_F(PgNodeTest, APostgresNodeServesWhatASqliteNodeServesAndChargesExactly) {
  const std::string demo = (dir_ / "demo").string();
  ASSERT_EQ(RunCommand({SOUNDTREND_BINARY, "demo", "--out", demo, "--sounds", "80", "--days", "20",
                        "--regions", "US,GB"},
                       log())
                .exit_code,
            0)
      << LogText();
  const std::string sqlite = (dir_ / "node.db").string();
  std::string keys[2];
  const std::string dbs[2] = {sqlite, url_};
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Cli(dbs[i], {"ingest", demo + "/catalog.ndjson", demo + "/daily.csv.gz",
                           demo + "/uses.ndjson.gz"})
                  .exit_code,
              0)
        << LogText();
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

}  // namespace
}  // namespace soundtrend
