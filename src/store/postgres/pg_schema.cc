#include "store/postgres/pg_schema.h"

#include "common/clock.h"
#include "embedded/postgres_migrations.h"
#include "store/migrations.h"

namespace soundtrend::store::postgres {
namespace {

// pg_advisory_xact_lock key of migrations: "soundtrend schema".
constexpr int64_t kMigrationLock = 0x5354'5343'4845'4d41;

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = [] {
    Result<std::vector<Migration>> parsed = ParseMigrations(embedded::postgres_migrations::Files());
    return parsed.ok() ? std::move(parsed).value() : std::vector<Migration>{};
  }();
  return migrations;
}

}  // namespace

int64_t LatestSchemaVersion() { return Migrations().empty() ? 0 : Migrations().back().version; }

Result<int64_t> SchemaVersion(PgConnection& db) {
  Result<PgResult> exists = db.Exec("SELECT to_regclass('st_schema_migrations') IS NOT NULL");
  if (!exists.ok()) return exists.status();
  if (exists->text(0, 0) != "t") return int64_t{0};
  Result<PgResult> version = db.Exec("SELECT coalesce(max(version), 0) FROM st_schema_migrations");
  if (!version.ok()) return version.status();
  return version->integer(0, 0);
}

Status EnsureSchema(PgConnection& db, bool migrate, int* applied) {
  if (applied != nullptr) *applied = 0;
  if (Migrations().empty()) return Status::Internal("no PostgreSQL migrations embedded");
  const int64_t latest = LatestSchemaVersion();
  // Cheap path first: an up-to-date (or newer) database needs no lock.
  Result<int64_t> current = SchemaVersion(db);
  if (!current.ok()) return current.status();
  if (*current >= latest) return CheckSchemaVersion(*current, latest, migrate, db.url());

  PgTransaction tx(db);
  ST_RETURN_IF_ERROR(tx.status());
  Result<PgResult> locked = db.Exec("SELECT pg_advisory_xact_lock($1)", {kMigrationLock});
  if (!locked.ok()) return locked.status();
  current = SchemaVersion(db);  // again, under the lock
  if (!current.ok()) return current.status();
  ST_RETURN_IF_ERROR(CheckSchemaVersion(*current, latest, migrate || *current == 0, db.url()));
  if (*current == 0) {
    ST_RETURN_IF_ERROR(
        db.ExecScript("CREATE TABLE IF NOT EXISTS st_schema_migrations(version BIGINT PRIMARY KEY, "
                      "name TEXT NOT NULL, applied_micros BIGINT NOT NULL)"));
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= *current) continue;
    Status st = db.ExecScript(m.sql);
    if (!st.ok()) {
      if (st.code() == Status::Code::kUnavailable) return st;
      return Status::Internal("migration " + std::string(m.name) + " failed: " + st.message());
    }
    Result<PgResult> recorded = db.Exec(
        "INSERT INTO st_schema_migrations(version, name, applied_micros) VALUES ($1, $2, $3)",
        {m.version, m.name, SystemClock::Instance().NowMicros()});
    if (!recorded.ok()) return recorded.status();
    if (applied != nullptr) ++*applied;
  }
  return tx.Commit();
}

}  // namespace soundtrend::store::postgres
