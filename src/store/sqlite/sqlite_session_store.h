// SessionStore over SQLite: table dash_sessions (migrations/0003_sessions.sql) in the service's
// database file (WAL), so that every process on that file sees every session.
// Thread-safety: one thread at a time (it owns one SQLite connection).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/session_store.h"

namespace soundtrend::store::sqlite {

// Opens the sessions of the database `path` (creating the file; its schema brought up to
// date, or refused when newer or older: sqlite_schema.h).
Result<std::unique_ptr<SessionStore>> OpenSqliteSessionStore(const std::string& path);

}  // namespace soundtrend::store::sqlite
