// The store factory: the one place that names store implementations (README
// "Architecture"; checked by tests/layout). `--db` (env SOUNDTREND_DB) picks the backend
// for every subcommand: a file path is SQLite (one machine); `postgresql://USER@HOST:PORT/DB`
// (or postgres://) is PostgreSQL, shared by several nodes.
//
// Both backends' schemas are migrated by version (store/migrations.h; SQLite:
// store/sqlite/sqlite_schema.h, PostgreSQL: store/postgres/pg_schema.h): opening an empty
// database creates the schema; an older one is refused until `soundtrend migrate`; a newer
// one always. A SQLite file made before versioning is adopted when opened.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/change_feed.h"
#include "store/chart_store.h"
#include "store/credit_leases.h"
#include "store/key_store.h"
#include "store/session_store.h"
#include "store/usage_store.h"

namespace soundtrend::app {

enum class Backend { kSqlite, kPostgres };
Backend BackendOf(std::string_view db);
std::string_view BackendName(Backend backend);

struct StoreOptions {
  // SQLite: synchronous=FULL for the key store (serve --ledger-sync full).
  bool sync_full = false;
  // PostgreSQL: apply missing migrations to a database that has an older schema (SQLite:
  // only MigrateDatabase migrates).
  bool migrate = false;
  // PostgreSQL key store: the node it charges for; its credit leases (LeasesOf).
  std::string node_id;
};

Result<std::unique_ptr<store::KeyStore>> OpenKeyStore(const std::string& db,
                                                      const StoreOptions& options = {});
Result<std::unique_ptr<store::ChartStore>> OpenChartStore(const std::string& db,
                                                          const StoreOptions& options = {});
Result<std::unique_ptr<store::SessionStore>> OpenSessionStore(const std::string& db,
                                                              const StoreOptions& options = {});
// The credit leases of a key store opened with StoreOptions::node_id (PostgreSQL); null
// for any other (SQLite: one node, no leases). Valid as long as the store.
store::CreditLeases* LeasesOf(store::KeyStore& store);
// Signals between nodes (store/change_feed.h) for PostgreSQL; null for SQLite (one machine:
// the periodic polls see everything). Lazily connected.
enum class ChangeKind { kKeys, kCharts };
std::unique_ptr<store::ChangeFeed> OpenChangeFeed(const std::string& db, ChangeKind kind);
// The chart publisher's lock (one node at a time saves editions); null for SQLite.
std::unique_ptr<store::PublisherLock> OpenPublisherLock(const std::string& db);
Result<std::unique_ptr<store::UsageStore>> OpenUsageStore(const std::string& db,
                                                          const StoreOptions& options = {});

// What the database at `db` holds before a command opens it: `exists` (a SQLite file; a
// PostgreSQL database with a soundtrend schema) and its schema version (PostgreSQL; 0 for
// none or SQLite). Unavailable when PostgreSQL cannot be reached.
struct DatabaseState {
  bool exists = false;
  int64_t schema_version = 0;
  int64_t latest_version = 0;  // what this binary knows (PostgreSQL)
};
Result<DatabaseState> InspectDatabase(const std::string& db);

// soundtrend migrate: brings every store's schema at `db` up to date (creating it when
// empty) and says what it did.
struct MigrateReport {
  int64_t from_version = 0;
  int64_t to_version = 0;
  int applied = 0;
  bool adopted = false;  // SQLite: a database made before schema versions (sqlite_schema.h)
};
Result<MigrateReport> MigrateDatabase(const std::string& db);

// Where this node's ledger logs live (ledger/ledger.h): beside a SQLite file
// ("<db>-charges"); for PostgreSQL, in `state_dir`, named after the node
// ("<state_dir>/<node id>-charges"), since several nodes share the database.
std::string LedgerLogPath(const std::string& db, std::string_view node_id,
                          const std::string& state_dir);

// The default --node-id: "<host name>:<port>".
std::string DefaultNodeId(int port);

}  // namespace soundtrend::app
