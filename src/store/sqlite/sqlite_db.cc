#include "store/sqlite/sqlite_db.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <string>

namespace soundtrend::store::sqlite {

Status SqliteError(sqlite3* db, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : "out of memory";
  return Status::IoError(std::move(msg));
}

namespace {

// SQLite's memory statistics take a process-wide mutex on every allocation; nothing here
// reads them. Must run before the library initializes, hence before the first open.
void DisableMemoryStatistics() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

// Creates the database file, when absent, readable by its owner alone (0600 whatever the
// umask): it holds key names, key hashes and the ledger. SQLite gives the files it makes
// beside it (-wal, -shm, -journal) the database file's mode.
Status CreatePrivateFile(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return Status::Ok();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();  // an existing file keeps its mode
    return Status::IoError("create " + path + ": " + std::strerror(errno));
  }
  const int rc = ::fchmod(fd, 0600);  // a umask cannot widen it, but keep it exact
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IoError("chmod " + path + ": " + std::strerror(err));
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, OpenOptions options) {
  DisableMemoryStatistics();
  if (!options.read_only) ST_RETURN_IF_ERROR(CreatePrivateFile(path));
  sqlite3* db = nullptr;
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status st = SqliteError(db, "open " + path);
    sqlite3_close(db);
    return st;
  }
  std::unique_ptr<Database> out(new Database(db, path));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  if (!options.read_only) {
    // Turning a new file to WAL takes an exclusive lock. Two connections doing it at once
    // (two processes opening one fresh file) can get SQLITE_BUSY at once: SQLite calls no
    // busy handler where waiting could deadlock. Retried until the busy timeout.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
    for (;;) {
      Status st = out->Exec("PRAGMA journal_mode=WAL");
      if (st.ok()) break;
      if ((sqlite3_errcode(db) & 0xff) != SQLITE_BUSY ||
          std::chrono::steady_clock::now() >= deadline) {
        return st;
      }
      sqlite3_sleep(1);
    }
  }
  ST_RETURN_IF_ERROR(out->Exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                        : "PRAGMA synchronous=NORMAL"));
  ST_RETURN_IF_ERROR(out->Exec("PRAGMA foreign_keys=ON"));
  return out;
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = "exec: ";
    msg += err ? err : "unknown error";
    sqlite3_free(err);
    return Status::IoError(std::move(msg));
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db_, "prepare");
  }
  return Statement(db_, stmt);
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }

Statement::Statement(Statement&& o) noexcept
    : db_(o.db_), stmt_(o.stmt_), bind_error_(o.bind_error_) {
  o.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    bind_error_ = o.bind_error_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, index, v);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::Bind(int index, double v) {
  int rc = sqlite3_bind_double(stmt_, index, v);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::Bind(int index, std::string_view v) {
  int rc = sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::BindBlobNoCopy(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindOptional(int index, const std::optional<int64_t>& v) {
  return v ? Bind(index, *v) : BindNull(index);
}

Statement& Statement::BindOptional(int index, const std::optional<std::string>& v) {
  return v ? Bind(index, std::string_view(*v)) : BindNull(index);
}

Result<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) {
    return Status::InvalidArgument(std::string("bind: ") + sqlite3_errstr(bind_error_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, "step");
}

Status Statement::Run() {
  for (;;) {
    Result<bool> r = Step();
    if (!r.ok()) {
      Reset();
      return r.status();
    }
    if (!*r) break;
  }
  Reset();
  return Status::Ok();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = SQLITE_OK;
}

int64_t Statement::ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
double Statement::ColumnDouble(int i) const { return sqlite3_column_double(stmt_, i); }
std::string_view Statement::ColumnText(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
           : std::string_view();
}
std::string_view Statement::ColumnBlob(int i) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
           : std::string_view();
}
bool Statement::ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

Transaction::Transaction(Database& db) : db_(db), begin_(db.Exec("BEGIN IMMEDIATE")) {}

Transaction::~Transaction() {
  if (!done_ && begin_.ok()) db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  ST_RETURN_IF_ERROR(begin_);
  Status st = db_.Exec("COMMIT");
  if (st.ok()) done_ = true;
  return st;
}

}  // namespace soundtrend::store::sqlite
