// `soundtrend backup --out FILE [--json]`: a consistent copy of the database, taken with
// SQLite's online backup API while it is in use (a running `serve`, an `ingest`): the copy
// is one read transaction's view (WAL: writers go on meanwhile), so charts, keys, balances
// and ledger in it are consistent with one another. Charges a running server has answered
// but not yet moved into SQLite (its charge lanes, moved within a second) are not in it.
//
// The copy is written to FILE.tmp, checked (PRAGMA integrity_check), synced and renamed to
// FILE, so FILE is either absent or a whole backup. An existing FILE is refused.
// Restore: README "Operations" (stop serve, move the database and its -wal, -shm and
// -charges* files aside, copy the backup in its place, start serve).
// Exit codes: 0 done, 1 failed (nothing left at FILE), 2 bad arguments or no database.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/database.h"
#include "app/stores.h"
#include "common/json_writer.h"

namespace soundtrend::app {
namespace {

struct BackupOptions {
  std::string out;
  bool json = false;
};

[[noreturn]] void Fail(const std::string& message, int code) {
  std::fprintf(stderr, "backup: %s\n", message.c_str());
  throw CLI::RuntimeError(code);
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

Db OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    Fail("cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)), 1);
  }
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

bool SyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

void RunBackup(const GlobalOptions& global, const BackupOptions& o) {
  if (BackendOf(global.db_path) == Backend::kPostgres) {
    Fail(
        "--db is PostgreSQL: back it up with its own tools (pg_dump, or a base backup with "
        "WAL archiving; README \"Run as a cluster\")",
        2);
  }
  const Result<DbCheck> check = CheckDatabase(global.db_path, DbAccess::kExisting);
  if (!check.ok()) Fail(check.status().message(), 2);
  std::error_code ec;
  if (std::filesystem::exists(o.out, ec)) Fail("--out " + o.out + " exists; give a new file", 2);
  const std::filesystem::path out_path(o.out);
  if (out_path.has_parent_path() && !std::filesystem::is_directory(out_path.parent_path(), ec)) {
    Fail("--out " + o.out + ": no directory " + out_path.parent_path().string(), 2);
  }
  const std::string tmp = o.out + ".tmp";
  std::filesystem::remove(tmp, ec);
  const auto start = std::chrono::steady_clock::now();
  int pages = 0;
  {
    Db source = OpenDb(global.db_path, SQLITE_OPEN_READONLY);
    Db dest = OpenDb(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", source.get(), "main");
    if (backup == nullptr) {
      const std::string message = sqlite3_errmsg(dest.get());
      dest.reset();
      std::filesystem::remove(tmp, ec);
      Fail("cannot start the backup: " + message, 1);
    }
    // All pages in one step: one read transaction on the source, hence one consistent view
    // (an incremental copy restarts whenever another process writes meanwhile).
    int rc;
    do {
      rc = sqlite3_backup_step(backup, -1);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    pages = sqlite3_backup_pagecount(backup);
    sqlite3_backup_finish(backup);
    std::string error;
    if (rc != SQLITE_DONE) error = std::string("backup failed: ") + sqlite3_errstr(rc);
    if (error.empty()) {
      sqlite3_stmt* stmt = nullptr;
      std::string verdict = "no answer";
      if (sqlite3_prepare_v2(dest.get(), "PRAGMA integrity_check", -1, &stmt, nullptr) ==
              SQLITE_OK &&
          sqlite3_step(stmt) == SQLITE_ROW) {
        verdict = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      }
      sqlite3_finalize(stmt);
      if (verdict != "ok") error = "the copy fails its integrity check: " + verdict;
    }
    if (error.empty() && sqlite3_exec(dest.get(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr,
                                      nullptr, nullptr) != SQLITE_OK) {
      error = std::string("cannot checkpoint the copy: ") + sqlite3_errmsg(dest.get());
    }
    if (!error.empty()) {
      dest.reset();
      std::filesystem::remove(tmp, ec);
      std::filesystem::remove(tmp + "-wal", ec);
      std::filesystem::remove(tmp + "-shm", ec);
      Fail(error, 1);
    }
  }
  if (!SyncPath(tmp, false)) Fail("cannot sync " + tmp, 1);
  std::filesystem::rename(tmp, o.out, ec);
  if (ec) Fail("cannot rename " + tmp + " to " + o.out + ": " + ec.message(), 1);
  std::filesystem::remove(tmp + "-wal", ec);
  std::filesystem::remove(tmp + "-shm", ec);
  SyncPath(out_path.has_parent_path() ? out_path.parent_path().string() : ".", true);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto bytes = static_cast<int64_t>(std::filesystem::file_size(o.out, ec));
  if (o.json) {
    std::string out = "{\"database\":";
    json::AppendString(out, global.db_path);
    out += ",\"out\":";
    json::AppendString(out, o.out);
    out += ",\"pages\":";
    json::AppendInt(out, pages);
    out += ",\"bytes\":";
    json::AppendInt(out, bytes);
    char buf[48];
    std::snprintf(buf, sizeof buf, ",\"seconds\":%.3f}", seconds);
    out += buf;
    std::puts(out.c_str());
  } else {
    std::printf("backed up %s to %s: %d pages, %lld bytes, %.2f s\n", global.db_path.c_str(),
                o.out.c_str(), pages, static_cast<long long>(bytes), seconds);
  }
  std::fflush(stdout);
}

}  // namespace

void AddBackupCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<BackupOptions>();
  auto* cmd = app.add_subcommand(
      "backup", "Copy the database consistently while it is in use (SQLite online backup)");
  cmd->add_option("--out", options->out, "The backup file to write (must not exist)")->required();
  cmd->add_flag("--json", options->json, "Print the summary as one JSON object");
  cmd->callback([&global, options] { RunBackup(global, *options); });
}

}  // namespace soundtrend::app
