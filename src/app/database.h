// What a command may do with the --db it is given, checked before it opens the database:
// a command that only reads (or changes what must already be there: keys, credits, the
// ledger, build, backup) refuses a database that does not exist, and creates nothing; a
// command that may start a new one (ingest, keys create, serve) says so on stderr when it
// does. A PostgreSQL URL (app/stores.h) "exists" when its database has a soundtrend
// schema; checking it connects (Unavailable when it cannot).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace soundtrend::app {

enum class DbAccess {
  kExisting,  // the database must exist
  kCreate,    // created (with its parent directory) when missing
};

struct DbCheck {
  bool created = false;  // kCreate and it did not exist: the caller's open creates it
};

// NotFound "no database at PATH (...)" for kExisting when PATH does not exist;
// InvalidArgument for a URL this build cannot open; IoError when the parent directory
// cannot be created. `command` prefixes nothing: the caller prints.
Result<DbCheck> CheckDatabase(const std::string& path, DbAccess access);

// Prints "COMMAND: created a new database at PATH" on stderr when `check.created`.
void ReportCreated(std::string_view command, const std::string& path, const DbCheck& check);

}  // namespace soundtrend::app
