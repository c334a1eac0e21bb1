// Thin RAII wrapper over the SQLite C API, shared by the SQLite stores.
//
// Contracts: every SQL text is a constant; values go through Bind (bound parameters
// only, never string concatenation). Errors are Status values. A Database is used by one
// thread at a time (SQLite "multi-thread" mode); open one per thread that needs it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace soundtrend::store::sqlite {

class Statement;

struct OpenOptions {
  bool read_only = false;
  // PRAGMA synchronous: FULL makes each commit durable (fsync of the WAL) before it
  // returns; NORMAL may lose the last commits on power loss but never corrupts.
  bool synchronous_full = true;
  int busy_timeout_ms = 5000;
};

class Database {
 public:
  // Opens (creating if needed) `path` in WAL mode with foreign keys on. A file it creates is
  // 0600 whatever the umask, and so are its -wal and -shm files (SQLite copies the mode).
  static Result<std::unique_ptr<Database>> Open(const std::string& path, OpenOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without parameters (schema, pragmas, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  // Compiles one statement.
  Result<Statement> Prepare(std::string_view sql);
  int64_t LastInsertRowId() const;
  int Changes() const;
  sqlite3* handle() { return db_; }
  // The path it was opened with (for messages).
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// A prepared statement. Bind indexes are 1-based, column indexes 0-based.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& Bind(int index, int64_t v);
  Statement& Bind(int index, double v);
  Statement& Bind(int index, std::string_view v);  // copied (SQLITE_TRANSIENT)
  Statement& BindNull(int index);
  // The value, or NULL when there is none.
  Statement& BindOptional(int index, const std::optional<int64_t>& v);
  Statement& BindOptional(int index, const std::optional<std::string>& v);
  Statement& BindBlob(int index, std::string_view bytes);  // copied (SQLITE_TRANSIENT)
  // Not copied (SQLITE_STATIC): `bytes` must stay valid until the statement is reset or
  // the parameter bound again. For large blobs written once.
  Statement& BindBlobNoCopy(int index, std::string_view bytes);
  // Bind errors are reported by the next Step.

  // Advances: true with a row ready, false when done, or an error.
  Result<bool> Step();
  // Steps to completion, ignoring rows; then resets for reuse.
  Status Run();
  // Resets for re-execution and clears bindings.
  void Reset();

  int64_t ColumnInt(int i) const;
  double ColumnDouble(int i) const;
  std::string_view ColumnText(int i) const;
  // Valid until the next Step, Reset or column access of another type on this column.
  std::string_view ColumnBlob(int i) const;
  bool ColumnIsNull(int i) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_error_ = SQLITE_OK;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Status status() const { return begin_; }
  Status Commit();

 private:
  Database& db_;
  Status begin_;
  bool done_ = false;
};

// Status for a failed SQLite call, naming the operation and SQLite's message.
Status SqliteError(sqlite3* db, std::string_view what);

}  // namespace soundtrend::store::sqlite
