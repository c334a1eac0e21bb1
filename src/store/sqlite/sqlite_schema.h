// The SQLite schema: the numbered migrations of store/sqlite/migrations/ (embedded), applied
// by version with the rules PostgreSQL's follow (store/migrations.h, postgres/pg_schema.h).
//
// The version applied is the database header's PRAGMA user_version, not a table (PostgreSQL
// has no such slot, hence its st_schema_migrations): setting it is part of the transaction
// that runs the migrations, so a crash leaves the file wholly before or after them; reading
// it costs no table lookup, which matters because every store's open reads it (serve opens
// four stores on one file); and every database made before versioning reads 0 with nothing
// to look for. The price: no history of when each migration ran (nothing reads one).
//
// EnsureSchema (each SQLite store calls it when it opens, so a store opened alone on a
// fresh file works): an up-to-date database is recognised by one read of user_version, with
// no lock and no write, so of the stores that open one file only the first applies
// anything. Otherwise, inside BEGIN IMMEDIATE (two processes opening one fresh file
// serialize on SQLite's write lock: the second waits, up to its busy timeout, then finds the
// schema current) and looking again:
// - newer than this binary: refused, CheckSchemaVersion's message ("run a newer soundtrend");
// - version 0 and no table: an empty database: every migration runs (how ingest, keys create
//   and serve create one);
// - version 0 with soundtrend's tables: a database made before versioning (every soundtrend
//   up to main 78c45fe). ADOPTED: see AdoptPreVersioning in sqlite_schema.cc. In short, in
//   one transaction, the layout upgrades the stores used to make on open (key rotation's two
//   columns, the chart store's seq and music_url columns, its old row tables converted to
//   segments, the stale `editions` cache dropped), then the baseline migrations (0001-0004,
//   written IF NOT EXISTS for this) create what is missing, and user_version becomes the
//   baseline. Its data is kept; its tables keep their definitions as those upgrades left
//   them. From then on it is an ordinary versioned database (migrations after the baseline,
//   when there are some, need `soundtrend migrate` first, as for any older database);
// - version 0 with tables none of which is soundtrend's: refused (not a soundtrend database);
// - older (0 < version < latest): only with `migrate` (soundtrend migrate), else refused
//   with CheckSchemaVersion's message ("run `soundtrend migrate` first").
#pragma once

#include <cstdint>
#include <span>

#include "common/status.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_db.h"

namespace soundtrend::store::sqlite {

// Migrations 0001..kBaselineSchemaVersion: the schema of the last soundtrend before versions;
// a database made before versioning is adopted at this version.
inline constexpr int64_t kBaselineSchemaVersion = 4;

// The embedded migrations, in version order; the latest version this binary knows.
std::span<const Migration> SchemaMigrations();
int64_t LatestSchemaVersion();
// The database's PRAGMA user_version (0: empty, or made before versioning).
Result<int64_t> SchemaVersion(Database& db);

struct SchemaChange {
  int64_t from_version = 0;
  int64_t to_version = 0;
  int applied = 0;       // migrations run (an adopted database counts the baseline's)
  bool adopted = false;  // a database made before versioning, brought to the baseline
};

// Brings the schema of `db` up to date, or refuses it (the rules above). `migrate`:
// soundtrend migrate (an older database is migrated instead of refused).
Result<SchemaChange> EnsureSchema(Database& db, bool migrate);
// The same over other migrations (tests: a binary with more migrations than the baseline).
Result<SchemaChange> EnsureSchema(Database& db, std::span<const Migration> migrations,
                                  int64_t baseline, bool migrate);
// For a read-only connection: refuses a newer or (0 < version < latest) older database;
// version 0 passes (nothing to read in an empty one; one made before versioning reads as is).
Status CheckReadOnlySchema(Database& db);

}  // namespace soundtrend::store::sqlite
