// SessionStore over SQLite: table dash_sessions (schema/sessions.sql) in the service's
// database file (WAL), so that every process on that file sees every session.
// Thread-safety: one thread at a time (it owns one SQLite connection).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/session_store.h"

namespace soundtrend::store::sqlite {

// Opens (creating the file and the table if needed) the sessions of the database `path`.
Result<std::unique_ptr<SessionStore>> OpenSqliteSessionStore(const std::string& path);

}  // namespace soundtrend::store::sqlite
