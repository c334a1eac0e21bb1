#include "store/postgres/pg_schema.h"

#include <gtest/gtest.h>

#include "common/embedded_file.h"
#include "store/migrations.h"
#include "store/postgres/pg_key_store.h"
#include "store/postgres/pg_test_server.h"

namespace soundtrend::store::postgres {
namespace {

TEST(MigrationsTest, FilesAreNumberedWithoutGaps) {
  const EmbeddedFile ok[] = {{"0002_b.sql", "B"}, {"0001_a.sql", "A"}, {"README.md", "x"}};
  auto parsed = ParseMigrations(ok);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].version, 1);
  EXPECT_EQ((*parsed)[1].sql, "B");
  const EmbeddedFile gap[] = {{"0001_a.sql", "A"}, {"0003_c.sql", "C"}};
  EXPECT_EQ(ParseMigrations(gap).status().code(), Status::Code::kInvalidArgument);
  const EmbeddedFile dup[] = {{"0001_a.sql", "A"}, {"0001_b.sql", "B"}};
  EXPECT_EQ(ParseMigrations(dup).status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(ParseMigrations({}).ok());
}

TEST(MigrationsTest, VersionRules) {
  EXPECT_TRUE(CheckSchemaVersion(0, 3, false, "db").ok());  // empty: created
  EXPECT_TRUE(CheckSchemaVersion(3, 3, false, "db").ok());
  EXPECT_TRUE(CheckSchemaVersion(2, 3, true, "db").ok());  // soundtrend migrate
  Status older = CheckSchemaVersion(2, 3, false, "db");
  EXPECT_EQ(older.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(older.message().find("soundtrend migrate"), std::string::npos) << older.message();
  Status newer = CheckSchemaVersion(4, 3, true, "db");
  EXPECT_EQ(newer.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(newer.message().find("newer"), std::string::npos) << newer.message();
}

TEST(PgSchemaTest, AnEmptyDatabaseIsMigratedOnceAndANewerOneRefused) {
  const std::string url = PgTestServer::Shared().CreateDatabase();
  auto db = PgConnection::Open(url);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*SchemaVersion(**db), 0);
  int applied = -1;
  ASSERT_TRUE(EnsureSchema(**db, /*migrate=*/false, &applied).ok());
  EXPECT_EQ(applied, LatestSchemaVersion());
  EXPECT_EQ(*SchemaVersion(**db), LatestSchemaVersion());
  ASSERT_TRUE(EnsureSchema(**db, false, &applied).ok());
  EXPECT_EQ(applied, 0);  // up to date: nothing runs again
  // A later soundtrend migrated it further: this one refuses to open it.
  ASSERT_TRUE((*db)
                  ->Exec("INSERT INTO st_schema_migrations(version, name, applied_micros) "
                         "VALUES ($1, 'from the future', 0)",
                         {LatestSchemaVersion() + 1})
                  .ok());
  auto store = PgKeyStore::Open(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status().message();
}

TEST(PgSchemaTest, AnUnreachableDatabaseIsUnavailable) {
  // A port nothing listens on (the private server's, plus one, is not ours).
  auto store = PgKeyStore::Open("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace soundtrend::store::postgres
