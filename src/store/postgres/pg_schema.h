// The PostgreSQL schema: the numbered migrations of store/postgres/migrations/ (embedded),
// applied by version (store/migrations.h) and recorded in st_schema_migrations.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "store/postgres/pg_db.h"

namespace soundtrend::store::postgres {

// The latest version this binary knows.
int64_t LatestSchemaVersion();
// The version of the connected database (0: empty, no soundtrend schema).
Result<int64_t> SchemaVersion(PgConnection& db);

// Brings the database's schema up to date, or refuses it: an empty database gets every
// migration; an older one only with `migrate` (soundtrend migrate), else FailedPrecondition;
// a newer one always FailedPrecondition. Concurrent callers (several nodes starting on one
// empty database) serialize on an advisory lock: one migrates, the others see it done.
// `applied` (optional) gets the number of migrations run.
Status EnsureSchema(PgConnection& db, bool migrate, int* applied = nullptr);

}  // namespace soundtrend::store::postgres
