// SessionStore on PostgreSQL (store/session_store.h; passes store/session_store_suite.h):
// dashboard sessions valid on every node. Schema: migrations/0003_sessions.sql.
#pragma once

#include <memory>
#include <string>

#include "store/postgres/pg_key_store.h"  // PgOpenOptions
#include "store/session_store.h"

namespace soundtrend::store::postgres {

Result<std::unique_ptr<SessionStore>> OpenPgSessionStore(const std::string& url,
                                                         PgOpenOptions options = {});

}  // namespace soundtrend::store::postgres
