// `soundtrend migrate --db FILE` and the refusal of a newer SQLite schema, through the real
// binary: migrate reports versions as it does for PostgreSQL (tests/cluster/pg_node_test.cc),
// adopts a database made before versioning, and migrate, ingest and serve refuse a database
// stamped newer than the binary with the same message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/process_util.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_schema.h"

namespace soundtrend::testing {
namespace {

namespace fs = std::filesystem;
using store::sqlite::Database;
using store::sqlite::LatestSchemaVersion;

class MigrateCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("st_migrate_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "data" / "soundtrend.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  CommandResult Run(std::vector<std::string> args) {
    std::vector<std::string> argv = {SOUNDTREND_BINARY, "--db", db_};
    argv.insert(argv.end(), args.begin(), args.end());
    const fs::path err = dir_ / "stderr.txt";
    fs::remove(err);
    CommandResult r = RunCommand(argv, err.string());
    std::ifstream in(err);
    std::stringstream s;
    s << in.rdbuf();
    err_ = s.str();
    return r;
  }

  void Exec(const std::string& sql) {
    auto db = Database::Open(db_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }

  fs::path dir_;
  std::string db_;
  std::string err_;
};

TEST_F(MigrateCommandTest, ReportsVersionsLikePostgres) {
  const std::string latest = std::to_string(LatestSchemaVersion());
  CommandResult created = Run({"migrate"});
  ASSERT_EQ(created.exit_code, 0) << err_;
  EXPECT_EQ(FirstLine(created.out),
            "schema version 0 -> " + latest + " (" + latest + " migrations applied)")
      << created.out;
  EXPECT_NE(err_.find("created a new database at " + db_), std::string::npos) << err_;
  CommandResult again = Run({"migrate"});
  ASSERT_EQ(again.exit_code, 0) << err_;
  EXPECT_EQ(again.out, "schema version " + latest + ": up to date\n");
  // The database works: a key made by the CLI on it.
  EXPECT_EQ(Run({"keys", "create", "--name", "after migrate"}).exit_code, 0) << err_;
}

TEST_F(MigrateCommandTest, AdoptsADatabaseMadeBeforeVersionsAndSaysSo) {
  fs::create_directories(dir_ / "data");
  // The key table as the last soundtrend without versions made it (with no rotation
  // columns, as before key rotation): adopted, its key kept.
  Exec(
      "CREATE TABLE gw_keys(key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, name TEXT NOT "
      "NULL, qps_limit INTEGER NOT NULL CHECK(qps_limit >= 1), burst INTEGER NOT NULL "
      "CHECK(burst >= 1), endpoints TEXT NOT NULL, created_micros INTEGER NOT NULL, "
      "expires_micros INTEGER, revoked_micros INTEGER, balance INTEGER NOT NULL CHECK(balance >= "
      "0), charged_requests INTEGER NOT NULL DEFAULT 0, charged_credits INTEGER NOT NULL DEFAULT "
      "0, last_charge_micros INTEGER NOT NULL DEFAULT 0);"
      "INSERT INTO gw_keys(key_id, key_hash, name, qps_limit, burst, endpoints, created_micros, "
      "balance) VALUES ('key_old', 'h', 'from before', 1, 1, '', 1, 0);");
  const std::string latest = std::to_string(LatestSchemaVersion());
  CommandResult adopted = Run({"migrate"});
  ASSERT_EQ(adopted.exit_code, 0) << err_;
  EXPECT_EQ(adopted.out, "schema version 0 -> " + latest + " (" + latest +
                             " migrations applied)\n(a database made before schema versions: "
                             "adopted, its data kept)\n");
  CommandResult show = Run({"keys", "show", "key_old"});
  ASSERT_EQ(show.exit_code, 0) << err_;
  EXPECT_NE(show.out.find("from before"), std::string::npos) << show.out;
}

TEST_F(MigrateCommandTest, MigrateIngestAndServeRefuseANewerDatabase) {
  ASSERT_EQ(Run({"migrate"}).exit_code, 0) << err_;
  Exec("PRAGMA user_version = " + std::to_string(LatestSchemaVersion() + 1));
  const fs::path records = dir_ / "records.jsonl";
  std::ofstream(records) << "\n";
  const std::vector<std::vector<std::string>> commands = {
      {"migrate"},
      {"ingest", records.string()},
      {"serve", "--port", "0", "--host", "127.0.0.1"},
      {"keys", "list"},
  };
  for (const auto& args : commands) {
    CommandResult r = Run(args);
    EXPECT_NE(r.exit_code, 0) << args[0];
    EXPECT_NE(err_.find("has schema version " + std::to_string(LatestSchemaVersion() + 1) +
                        ", newer than this soundtrend knows"),
              std::string::npos)
        << args[0] << ": " << err_;
  }
}

}  // namespace
}  // namespace soundtrend::testing
