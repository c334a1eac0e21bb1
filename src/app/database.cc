#include "app/database.h"

#include <cstdio>
#include <filesystem>

#include "app/stores.h"

namespace soundtrend::app {

Result<DbCheck> CheckDatabase(const std::string& path, DbAccess access) {
  if (BackendOf(path) == Backend::kPostgres) {
    // A database with a soundtrend schema exists; an empty one is created (its schema) by
    // the commands that may create.
    Result<DatabaseState> state = InspectDatabase(path);
    if (!state.ok()) return state.status();
    if (state->exists) return DbCheck{false};
    if (access == DbAccess::kExisting) {
      return Status::NotFound("no soundtrend database at " + path +
                              " (an empty PostgreSQL database: `soundtrend migrate`, `ingest`, "
                              "`keys create` or `serve` create its schema)");
    }
    return DbCheck{true};
  }
  if (path.find("://") != std::string::npos) {
    return Status::InvalidArgument("--db " + path + ": not a file path (unknown URL scheme)");
  }
  if (path.empty()) return Status::InvalidArgument("--db must not be empty");
  const std::filesystem::path db(path);
  std::error_code ec;
  const bool exists = std::filesystem::exists(db, ec);
  if (exists && std::filesystem::is_directory(db, ec)) {
    return Status::InvalidArgument("--db " + path + " is a directory, not a database file");
  }
  if (exists) return DbCheck{false};
  if (access == DbAccess::kExisting) {
    return Status::NotFound("no database at " + path +
                            " (check --db or SOUNDTREND_DB; `soundtrend ingest`, `keys create` "
                            "or `serve` create one)");
  }
  if (db.has_parent_path()) {
    std::filesystem::create_directories(db.parent_path(), ec);
    if (ec) {
      return Status::IoError("cannot create " + db.parent_path().string() + ": " + ec.message());
    }
  }
  return DbCheck{true};
}

void ReportCreated(std::string_view command, const std::string& path, const DbCheck& check) {
  if (!check.created) return;
  std::fprintf(stderr, "%.*s: created a new database at %s\n", static_cast<int>(command.size()),
               command.data(), path.c_str());
}

}  // namespace soundtrend::app
