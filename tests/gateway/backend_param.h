// The store a value-parametrized test runs on (issue 10: the existing race, crash, contract and
// reference-example tests also run against a PostgreSQL-backed node). One test body, two
// instantiations:
//
//   class MyTest : public ::testing::TestWithParam<testing::TestBackend> {};
//   TEST_P(MyTest, X) { const std::string db = testing::FreshDatabase(GetParam(), dir, "x.db"); }
//   ST_INSTANTIATE_ON_BACKENDS(MyTest);   // Store/MyTest.X/Sqlite, Store/MyTest.X/Postgres
//
// The PostgreSQL cases share the test process's private server (PgTestServer::Shared(),
// started at the first FreshDatabase on it): tests/backends.cmake runs them as one ctest entry
// per binary (NAME.postgres, label `postgres`) and every other case as its own entry.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "store/postgres/pg_test_server.h"

namespace soundtrend::testing {

enum class TestBackend { kSqlite, kPostgres };

inline const char* BackendName(TestBackend backend) {
  return backend == TestBackend::kSqlite ? "Sqlite" : "Postgres";
}
inline void PrintTo(TestBackend backend, std::ostream* out) { *out << BackendName(backend); }
inline std::string BackendParamName(const ::testing::TestParamInfo<TestBackend>& info) {
  return BackendName(info.param);
}

// A fresh, empty database for one test: SQLite, the file `dir/file` (not created);
// PostgreSQL, a new database on the process's private server (its URL).
inline std::string FreshDatabase(TestBackend backend, const std::filesystem::path& dir,
                                 const std::string& file) {
  if (backend == TestBackend::kSqlite) return (dir / file).string();
  return store::postgres::PgTestServer::Shared().CreateDatabase();
}

// The files that hold what a test stored in database `db` since `since`, for "the secret is
// never stored" checks: SQLite, the file, its -wal and -shm; PostgreSQL, the segments of the
// private server's write-ahead log written since then (every committed row passes through
// it; no table of ours is UNLOGGED; the older segments hold other tests' rows).
inline std::vector<std::filesystem::path> StoredFiles(TestBackend backend, const std::string& db,
                                                      std::filesystem::file_time_type since) {
  std::vector<std::filesystem::path> files;
  if (backend == TestBackend::kSqlite) {
    for (const char* suffix : {"", "-wal", "-shm"}) files.emplace_back(db + suffix);
    return files;
  }
  const std::filesystem::path wal =
      std::filesystem::path(store::postgres::PgTestServer::Shared().dir()) / "data" / "pg_wal";
  for (const auto& entry : std::filesystem::directory_iterator(wal)) {
    if (entry.is_regular_file() && entry.last_write_time() >= since) files.push_back(entry.path());
  }
  return files;
}

}  // namespace soundtrend::testing

// Instantiates the value-parametrized suite `suite` on SQLite and on PostgreSQL.
#define ST_INSTANTIATE_ON_BACKENDS(suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(Store, suite,                                                     \
                           ::testing::Values(::soundtrend::testing::TestBackend::kSqlite,    \
                                             ::soundtrend::testing::TestBackend::kPostgres), \
                           ::soundtrend::testing::BackendParamName)
