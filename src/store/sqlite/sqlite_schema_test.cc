// The SQLite schema by version (sqlite_schema.h) through every SQLite store: an empty file
// gets every migration, a newer database is refused, an older one needs migrate, a database
// made before versioning (the exact DDL of the last soundtrend without versions, testdata/)
// is adopted with its data, and two processes opening one fresh file at once both work.
#include "store/sqlite/sqlite_schema.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "embedded/sqlite_schema_testdata.h"
#include "store/chart_segments.h"
#include "store/sqlite/sqlite_chart_store.h"
#include "store/sqlite/sqlite_key_store.h"
#include "store/sqlite/sqlite_session_store.h"
#include "store/sqlite/sqlite_usage_store.h"

namespace soundtrend::store::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("st_sqlite_schema_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "soundtrend.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Database> Raw() {
    auto db = Database::Open(path_);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }
  int64_t Version() { return *SchemaVersion(*Raw()); }
  int64_t Count(const std::string& sql) {
    auto db = Raw();
    auto st = db->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql;
    if (!st.ok()) return -1;
    auto row = st->Step();
    return row.ok() && *row ? st->ColumnInt(0) : -1;
  }
  bool HasTable(const std::string& name) {
    return Count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name +
                 "'") == 1;
  }

  // Each store alone, as a test or a command opens it.
  std::vector<Status> OpenEveryStore() {
    std::vector<Status> out;
    auto keys = SqliteKeyStore::Open(path_);
    out.push_back(keys.status());
    auto charts = OpenSqliteChartStore(path_);
    out.push_back(charts.status());
    auto sessions = OpenSqliteSessionStore(path_);
    out.push_back(sessions.status());
    auto usage = OpenSqliteUsageStore(path_);
    out.push_back(usage.status());
    return out;
  }

  fs::path dir_;
  std::string path_;
};

// One table of each baseline migration.
const char* const kTables[] = {"gw_keys",        "gw_charge_log_applied", "cell_segments",
                               "chart_editions", "dash_sessions",         "usage_recent"};

TEST_F(SqliteSchemaTest, EmbedsTheBaselineAndNumbersWithoutGaps) {
  ASSERT_GE(LatestSchemaVersion(), kBaselineSchemaVersion);
  ASSERT_EQ(static_cast<int64_t>(SchemaMigrations().size()), LatestSchemaVersion());
  EXPECT_EQ(SchemaMigrations()[0].name, "0001_keys.sql");
}

TEST_F(SqliteSchemaTest, AnEmptyFileOpenedByAnyOneStoreGetsTheLatestVersion) {
  const std::vector<std::function<Status(const std::string&)>> openers = {
      [](const std::string& p) { return SqliteKeyStore::Open(p).status(); },
      [](const std::string& p) { return OpenSqliteChartStore(p).status(); },
      [](const std::string& p) { return OpenSqliteSessionStore(p).status(); },
      [](const std::string& p) { return OpenSqliteUsageStore(p).status(); },
  };
  for (size_t i = 0; i < openers.size(); ++i) {
    path_ = (dir_ / ("alone" + std::to_string(i) + ".db")).string();
    Status st = openers[i](path_);
    ASSERT_TRUE(st.ok()) << i << ": " << st.ToString();
    EXPECT_EQ(Version(), LatestSchemaVersion()) << i;
    for (const char* t : kTables) EXPECT_TRUE(HasTable(t)) << i << " " << t;
  }
  // The others then find it current: nothing runs again, nothing is written.
  for (const Status& st : OpenEveryStore()) EXPECT_TRUE(st.ok()) << st.ToString();
  auto db = Raw();
  Result<SchemaChange> again = EnsureSchema(*db, /*migrate=*/false);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->applied, 0);
  EXPECT_EQ(again->from_version, LatestSchemaVersion());
  EXPECT_FALSE(again->adopted);
}

TEST_F(SqliteSchemaTest, ANewerDatabaseIsRefusedByEveryStoreWithTheMessage) {
  ASSERT_TRUE(SqliteKeyStore::Open(path_).ok());
  ASSERT_TRUE(
      Raw()->Exec("PRAGMA user_version = " + std::to_string(LatestSchemaVersion() + 1)).ok());
  for (const Status& st : OpenEveryStore()) {
    EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << st.ToString();
    EXPECT_NE(st.message().find("newer than this soundtrend knows"), std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find(path_), std::string::npos) << st.message();
  }
  auto read_only = SqliteKeyStore::Open(path_, {.read_only = true});
  EXPECT_EQ(read_only.status().code(), Status::Code::kFailedPrecondition);
  auto db = Raw();
  EXPECT_EQ(EnsureSchema(*db, /*migrate=*/true).status().code(),
            Status::Code::kFailedPrecondition);  // migrate cannot go back either
  EXPECT_EQ(Version(), LatestSchemaVersion() + 1);
}

// A binary that knows one more migration than the database has.
const EmbeddedFile kTwo[] = {{"0001_a.sql", "CREATE TABLE IF NOT EXISTS a(x);"},
                             {"0002_b.sql", "CREATE TABLE b(y);"}};

TEST_F(SqliteSchemaTest, AnOlderDatabaseNeedsMigrateThenGetsWhatIsMissing) {
  auto migrations = ParseMigrations(kTwo);
  ASSERT_TRUE(migrations.ok());
  auto db = Raw();
  std::span<const Migration> first(migrations->data(), 1);
  ASSERT_TRUE(EnsureSchema(*db, first, 1, false).ok());
  EXPECT_EQ(*SchemaVersion(*db), 1);
  Result<SchemaChange> refused = EnsureSchema(*db, *migrations, 1, /*migrate=*/false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("run `soundtrend migrate` first"), std::string::npos)
      << refused.status().message();
  Result<SchemaChange> migrated = EnsureSchema(*db, *migrations, 1, /*migrate=*/true);
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  EXPECT_EQ(migrated->from_version, 1);
  EXPECT_EQ(migrated->to_version, 2);
  EXPECT_EQ(migrated->applied, 1);
  EXPECT_TRUE(HasTable("b"));
}

TEST_F(SqliteSchemaTest, AFileWithOtherApplicationsTablesIsRefused) {
  ASSERT_TRUE(Raw()->Exec("CREATE TABLE invoices(id INTEGER PRIMARY KEY)").ok());
  for (const Status& st : OpenEveryStore()) {
    EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition) << st.ToString();
    EXPECT_NE(st.message().find("not a soundtrend database"), std::string::npos) << st.message();
  }
  EXPECT_FALSE(HasTable("gw_keys"));
  EXPECT_EQ(Version(), 0);
}

// A database as the last soundtrend before versions left it, with data in every store.
class PreVersioningTest : public SqliteSchemaTest {
 protected:
  void SetUp() override {
    SqliteSchemaTest::SetUp();
    const EmbeddedFile* ddl = embedded::sqlite_schema_testdata::Find("pre_versioning_schema.sql");
    ASSERT_NE(ddl, nullptr);
    auto db = Raw();
    ASSERT_TRUE(db->Exec(ddl->data).ok());
    ASSERT_TRUE(
        db->Exec("INSERT INTO gw_keys(key_id, key_hash, name, qps_limit, burst, endpoints, "
                 "created_micros, balance) VALUES ('key_a', 'hash_a', 'old key', 5, 7, "
                 "'/v1/a', 1000, 10);"
                 "INSERT INTO gw_ledger(seq, key_id, kind, time_micros, reference, endpoint, "
                 "amount, balance_after) VALUES (1, 'key_a', 'grant', 2000, 'g1', '', 10, 10);"
                 "INSERT INTO gw_charge_log_applied VALUES ('charges', 7);"
                 "INSERT INTO sounds(clip_id, song_id, title, author, cover, duration, "
                 "commercial, promoted, music_url, seq) VALUES (3, 4, 'T', 'A', '', 10, 0, 0, "
                 "'', 1);"
                 "INSERT INTO batches VALUES ('b1', 5, 1, 1, 0, 2);"
                 "INSERT INTO chart_editions VALUES (0, 'GB', 7, 5, 1, x'0300000000000000');"
                 "INSERT INTO dash_sessions VALUES ('sess', 'customer', 'key_a', x'00', 1, "
                 "4000000000000000, NULL);"
                 "INSERT INTO usage_daily VALUES ('key_a', 20000, 3, 1, 0, 0, 0, 3);")
            .ok());
    std::string cells;
    const segments::Cell cell[] = {{3, 42}};
    segments::EncodeCells(cell, cells);
    auto insert = db->Prepare(
        "INSERT INTO cell_segments(day, region, cells, data, seq) VALUES (5, 'GB', 1, ?1, 1)");
    ASSERT_TRUE(insert.ok());
    insert->BindBlob(1, cells);
    ASSERT_TRUE(insert->Run().ok());
    ASSERT_EQ(*SchemaVersion(*db), 0);
  }

  void ExpectTheDataKept() {
    auto keys = SqliteKeyStore::Open(path_);
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    Result<KeyRecord> key = (*keys)->GetKey("key_a");
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->name, "old key");
    EXPECT_EQ(key->balance, 10);
    int entries = 0;
    ASSERT_TRUE((*keys)
                    ->ForEachLedgerEntry("key_a",
                                         [&](const LedgerEntry& e) {
                                           EXPECT_EQ(e.reference, "g1");
                                           ++entries;
                                           return Status::Ok();
                                         })
                    .ok());
    EXPECT_EQ(entries, 1);
    auto markers = (*keys)->LogMarkers("charges");
    ASSERT_TRUE(markers.ok());
    ASSERT_EQ(markers->size(), 1u);
    EXPECT_EQ((*markers)[0].position, 7);

    auto charts = OpenSqliteChartStore(path_);
    ASSERT_TRUE(charts.ok()) << charts.status().ToString();
    EXPECT_EQ(*(*charts)->LatestBatchSeq(), 1);
    std::vector<DailyUses> uses;
    ASSERT_TRUE((*charts)
                    ->ForEachDailyUses([&](const DailyUses& u) {
                      uses.push_back(u);
                      return Status::Ok();
                    })
                    .ok());
    ASSERT_EQ(uses.size(), 1u);
    EXPECT_EQ(uses[0].clip_id, 3u);
    EXPECT_EQ(uses[0].uses, 42);
    int sounds = 0;
    ASSERT_TRUE((*charts)
                    ->ForEachSound([&](const SoundRecord& s) {
                      EXPECT_EQ(s.title, "T");
                      ++sounds;
                      return Status::Ok();
                    })
                    .ok());
    EXPECT_EQ(sounds, 1);

    auto sessions = OpenSqliteSessionStore(path_);
    ASSERT_TRUE(sessions.ok()) << sessions.status().ToString();
    Result<SessionRecord> session = (*sessions)->Get("sess");
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    EXPECT_EQ(session->key_id, "key_a");

    auto usage = OpenSqliteUsageStore(path_);
    ASSERT_TRUE(usage.ok()) << usage.status().ToString();
    auto daily = (*usage)->Daily("key_a", 20000, 20000);
    ASSERT_TRUE(daily.ok()) << daily.status().ToString();
    ASSERT_EQ(daily->size(), 1u);
    EXPECT_EQ((*daily)[0].ok, 3);
  }
};

TEST_F(PreVersioningTest, IsAdoptedAtTheBaselineByTheFirstStoreToOpenItWithItsDataKept) {
  auto sessions = OpenSqliteSessionStore(path_);  // any store adopts it
  ASSERT_TRUE(sessions.ok()) << sessions.status().ToString();
  EXPECT_EQ(Version(), LatestSchemaVersion());
  ExpectTheDataKept();
  // A charge after adoption takes the seq after the old grant.
  auto keys = SqliteKeyStore::Open(path_);
  ASSERT_TRUE(keys.ok());
  const ChargeView charge{"key_a", "r1", "/v1/a", 3000, 2};
  ASSERT_TRUE((*keys)->ApplyChargeBlock({&charge, 1}, {}).ok());
  EXPECT_EQ((*keys)->GetKey("key_a")->balance, 8);
}

TEST_F(PreVersioningTest, IsAdoptedByMigrateWhichSaysSo) {
  auto db = Raw();
  Result<SchemaChange> change = EnsureSchema(*db, /*migrate=*/true);
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_TRUE(change->adopted);
  EXPECT_EQ(change->from_version, 0);
  EXPECT_EQ(change->to_version, LatestSchemaVersion());
  EXPECT_EQ(change->applied, LatestSchemaVersion());
  db.reset();
  ExpectTheDataKept();
}

TEST_F(PreVersioningTest, WithMigrationsPastTheBaselineNeedsMigrateAndIsUntouchedUntilThen) {
  // A later binary: the baseline and one more migration.
  std::vector<Migration> later(SchemaMigrations().begin(), SchemaMigrations().end());
  later.push_back({LatestSchemaVersion() + 1, "0099_more.sql", "CREATE TABLE more(x);"});
  auto db = Raw();
  Result<SchemaChange> refused =
      EnsureSchema(*db, later, kBaselineSchemaVersion, /*migrate=*/false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("made before schema versions"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("soundtrend migrate"), std::string::npos);
  EXPECT_EQ(*SchemaVersion(*db), 0);
  Result<SchemaChange> migrated = EnsureSchema(*db, later, kBaselineSchemaVersion, true);
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  EXPECT_TRUE(migrated->adopted);
  EXPECT_EQ(migrated->to_version, LatestSchemaVersion() + 1);
  EXPECT_TRUE(HasTable("more"));
}

TEST_F(SqliteSchemaTest, AFailedAdoptionLeavesTheDatabaseAsItWas) {
  // Row tables of the oldest layout, one of them damaged (no cover column): the conversion
  // fails, and with it the whole adoption (one transaction).
  ASSERT_TRUE(Raw()
                  ->Exec("CREATE TABLE daily_uses(day INTEGER, region TEXT, clip_id INTEGER, "
                         "uses INTEGER); INSERT INTO daily_uses VALUES (5, 'GB', 3, 4);"
                         "CREATE TABLE videos(day INTEGER, region TEXT, clip_id INTEGER);"
                         "INSERT INTO videos VALUES (5, 'GB', 3);")
                  .ok());
  auto charts = OpenSqliteChartStore(path_);
  ASSERT_FALSE(charts.ok());
  EXPECT_EQ(Version(), 0);
  EXPECT_FALSE(HasTable("gw_keys"));
  EXPECT_FALSE(HasTable("cell_segments"));
  EXPECT_EQ(Count("SELECT count(*) FROM daily_uses"), 1);
}

TEST_F(SqliteSchemaTest, TwoProcessesOpeningOneFreshFileAtOnceBothSucceed) {
  for (int round = 0; round < 10; ++round) {
    path_ = (dir_ / ("fresh" + std::to_string(round) + ".db")).string();
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    std::vector<pid_t> children;
    for (int child = 0; child < 2; ++child) {
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(gate[1]);
        char c;
        (void)!read(gate[0], &c, 1);  // returns at EOF: both start together
        // One opens the key store, the other the chart store (as serve and ingest would).
        const Status st = child == 0 ? SqliteKeyStore::Open(path_).status()
                                     : OpenSqliteChartStore(path_).status();
        if (!st.ok()) fprintf(stderr, "child %d: %s\n", child, st.ToString().c_str());
        _exit(st.ok() ? 0 : 1);
      }
      children.push_back(pid);
    }
    close(gate[0]);
    close(gate[1]);  // opens the gate
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
    EXPECT_EQ(Version(), LatestSchemaVersion());
    for (const char* t : kTables) EXPECT_TRUE(HasTable(t)) << t;
  }
}

}  // namespace
}  // namespace soundtrend::store::sqlite
