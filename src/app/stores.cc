#include "app/stores.h"

#include <unistd.h>

#include <filesystem>

#include "ledger/ledger.h"
#include "store/postgres/pg_change_feed.h"
#include "store/postgres/pg_chart_store.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_key_store.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_session_store.h"
#include "store/postgres/pg_usage_store.h"
#include "store/sqlite/sqlite_chart_store.h"
#include "store/sqlite/sqlite_key_store.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite/sqlite_session_store.h"
#include "store/sqlite/sqlite_usage_store.h"

namespace soundtrend::app {

Backend BackendOf(std::string_view db) {
  return store::postgres::IsPostgresUrl(db) ? Backend::kPostgres : Backend::kSqlite;
}

std::string_view BackendName(Backend backend) {
  return backend == Backend::kPostgres ? "postgresql" : "sqlite";
}

Result<std::unique_ptr<store::KeyStore>> OpenKeyStore(const std::string& db,
                                                      const StoreOptions& options) {
  if (BackendOf(db) == Backend::kPostgres) {
    store::postgres::PgOpenOptions pg;
    pg.migrate = options.migrate;
    pg.node_id = options.node_id;
    auto s = store::postgres::PgKeyStore::Open(db, pg);
    if (!s.ok()) return s.status();
    return std::unique_ptr<store::KeyStore>(std::move(s).value());
  }
  store::sqlite::OpenOptions sqlite_options;
  sqlite_options.synchronous_full = options.sync_full;
  auto s = store::sqlite::SqliteKeyStore::Open(db, sqlite_options);
  if (!s.ok()) return s.status();
  return std::unique_ptr<store::KeyStore>(std::move(s).value());
}

Result<std::unique_ptr<store::ChartStore>> OpenChartStore(const std::string& db,
                                                          const StoreOptions& options) {
  if (BackendOf(db) == Backend::kPostgres) {
    store::postgres::PgChartStoreOptions pg;
    pg.open.migrate = options.migrate;
    return store::postgres::OpenPgChartStore(db, pg);
  }
  return store::OpenSqliteChartStore(db);
}

Result<std::unique_ptr<store::SessionStore>> OpenSessionStore(const std::string& db,
                                                              const StoreOptions& options) {
  if (BackendOf(db) == Backend::kPostgres) {
    store::postgres::PgOpenOptions pg;
    pg.migrate = options.migrate;
    return store::postgres::OpenPgSessionStore(db, pg);
  }
  return store::sqlite::OpenSqliteSessionStore(db);
}

store::CreditLeases* LeasesOf(store::KeyStore& store) {
  auto* pg = dynamic_cast<store::postgres::PgKeyStore*>(&store);
  return pg != nullptr ? pg->leases() : nullptr;
}

std::unique_ptr<store::ChangeFeed> OpenChangeFeed(const std::string& db, ChangeKind kind) {
  if (BackendOf(db) != Backend::kPostgres) return nullptr;
  return store::postgres::OpenPgChangeFeed(db, kind == ChangeKind::kKeys
                                                   ? store::postgres::kKeyChangeChannel
                                                   : store::postgres::kChartChangeChannel);
}

std::unique_ptr<store::PublisherLock> OpenPublisherLock(const std::string& db) {
  if (BackendOf(db) != Backend::kPostgres) return nullptr;
  return store::postgres::OpenPgPublisherLock(db);
}

Result<std::unique_ptr<store::UsageStore>> OpenUsageStore(const std::string& db,
                                                          const StoreOptions& options) {
  if (BackendOf(db) == Backend::kPostgres) {
    store::postgres::PgOpenOptions pg;
    pg.migrate = options.migrate;
    return store::postgres::OpenPgUsageStore(db, pg);
  }
  return store::sqlite::OpenSqliteUsageStore(db);
}

Result<DatabaseState> InspectDatabase(const std::string& db) {
  DatabaseState state;
  if (BackendOf(db) == Backend::kSqlite) {
    std::error_code ec;
    state.exists = std::filesystem::exists(db, ec);
    return state;
  }
  auto conn = store::postgres::PgConnection::Open(db);
  if (!conn.ok()) return conn.status();
  Result<int64_t> version = store::postgres::SchemaVersion(**conn);
  if (!version.ok()) return version.status();
  state.schema_version = *version;
  state.latest_version = store::postgres::LatestSchemaVersion();
  state.exists = *version > 0;
  return state;
}

Result<MigrateReport> MigrateDatabase(const std::string& db) {
  MigrateReport report;
  if (BackendOf(db) == Backend::kSqlite) {
    // One schema for every store of the file (store/sqlite/sqlite_schema.h).
    auto conn = store::sqlite::Database::Open(db);
    if (!conn.ok()) return conn.status();
    Result<store::sqlite::SchemaChange> change =
        store::sqlite::EnsureSchema(**conn, /*migrate=*/true);
    if (!change.ok()) return change.status();
    report.from_version = change->from_version;
    report.to_version = change->to_version;
    report.applied = change->applied;
    report.adopted = change->adopted;
    return report;
  }
  auto conn = store::postgres::PgConnection::Open(db);
  if (!conn.ok()) return conn.status();
  Result<int64_t> from = store::postgres::SchemaVersion(**conn);
  if (!from.ok()) return from.status();
  report.from_version = *from;
  ST_RETURN_IF_ERROR(store::postgres::EnsureSchema(**conn, /*migrate=*/true, &report.applied));
  Result<int64_t> to = store::postgres::SchemaVersion(**conn);
  if (!to.ok()) return to.status();
  report.to_version = *to;
  return report;
}

std::string LedgerLogPath(const std::string& db, std::string_view node_id,
                          const std::string& state_dir) {
  if (BackendOf(db) == Backend::kSqlite) return ledger::LogPathBeside(db);
  std::string name;
  for (char c : node_id) {  // a file name: keep [A-Za-z0-9._-]
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    name += plain ? c : '_';
  }
  return (std::filesystem::path(state_dir) / (name + "-charges")).string();
}

std::string DefaultNodeId(int port) {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "localhost") + ":" + std::to_string(port);
}

}  // namespace soundtrend::app
