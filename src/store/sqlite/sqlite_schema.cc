#include "store/sqlite/sqlite_schema.h"

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "embedded/sqlite_migrations.h"
#include "store/chart_segments.h"

namespace soundtrend::store::sqlite {
namespace {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = [] {
    Result<std::vector<Migration>> parsed = ParseMigrations(embedded::sqlite_migrations::Files());
    return parsed.ok() ? std::move(parsed).value() : std::vector<Migration>{};
  }();
  return migrations;
}

// The tables soundtrend has or had (a database made before versioning has some of them).
constexpr std::string_view kOwnTables[] = {
    "gw_keys",       "gw_ledger",      "gw_charge_blocks", "gw_charge_log_applied", "sounds",
    "cell_segments", "video_segments", "batches",          "chart_editions",        "editions",
    "daily_uses",    "videos",         "dash_sessions",    "usage_daily",           "usage_recent"};

// Columns that layouts before the baseline lack, added by the stores on open until versions
// existed (key rotation; batch seqs and music URLs), with their defaults.
constexpr std::string_view kAddedColumns[][3] = {
    {"gw_keys", "previous_key_hash", "TEXT NOT NULL DEFAULT ''"},
    {"gw_keys", "previous_hash_expires_micros", "INTEGER"},
    {"sounds", "music_url", "TEXT NOT NULL DEFAULT ''"},
    {"sounds", "seq", "INTEGER NOT NULL DEFAULT 0"},
    {"cell_segments", "seq", "INTEGER NOT NULL DEFAULT 0"},
    {"video_segments", "seq", "INTEGER NOT NULL DEFAULT 0"},
};

Result<int64_t> CountOf(Database& db, std::string_view sql, std::string_view a,
                        std::string_view b = {}) {
  Result<Statement> st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  st->Bind(1, a);
  if (!b.empty()) st->Bind(2, b);
  Result<bool> row = st->Step();
  if (!row.ok()) return row.status();
  return *row ? st->ColumnInt(0) : 0;
}

Result<bool> TableExists(Database& db, std::string_view table) {
  Result<int64_t> n =
      CountOf(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", table);
  if (!n.ok()) return n.status();
  return *n > 0;
}

Result<bool> HasColumn(Database& db, std::string_view table, std::string_view column) {
  Result<int64_t> n =
      CountOf(db, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2", table, column);
  if (!n.ok()) return n.status();
  return *n > 0;
}

struct Tables {
  bool any = false;  // any table of any application
  bool own = false;  // one of kOwnTables
};

Result<Tables> FindTables(Database& db) {
  Result<Statement> st = db.Prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  if (!st.ok()) return st.status();
  Tables found;
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    found.any = true;
    for (std::string_view t : kOwnTables) found.own |= st->ColumnText(0) == t;
  }
  return found;
}

// PRAGMA takes no bound parameter: the text carries the integer (ours, not input).
Status SetSchemaVersion(Database& db, int64_t version) {
  return db.Exec("PRAGMA user_version = " + std::to_string(version));
}

// The first half of adopting a database made before versioning: the layout upgrades the
// stores made when they opened one (before the baseline migrations run over it): the
// columns of kAddedColumns on the tables that exist, and `editions` (the popular history as
// first published, never corrected by late data: a stale cache the engine computes again)
// dropped.
Status UpgradeLegacyLayout(Database& db) {
  for (const auto& [table, column, type] : kAddedColumns) {
    Result<bool> exists = TableExists(db, table);
    if (!exists.ok()) return exists.status();
    if (!*exists) continue;
    Result<bool> has = HasColumn(db, table, column);
    if (!has.ok()) return has.status();
    if (*has) continue;
    ST_RETURN_IF_ERROR(db.Exec("ALTER TABLE " + std::string(table) + " ADD COLUMN " +
                               std::string(column) + " " + std::string(type)));
  }
  return db.Exec("DROP TABLE IF EXISTS editions");
}

// Reads rows ordered by (day, region): row(stmt) for each, end(day, region) after a group.
Status ForEachGroup(Statement& stmt, const std::function<void(const Statement&)>& row,
                    const std::function<Status(int64_t, const std::string&)>& end) {
  std::optional<std::pair<int64_t, std::string>> group;
  for (;;) {
    Result<bool> more = stmt.Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
    std::pair<int64_t, std::string> g{stmt.ColumnInt(0), std::string(stmt.ColumnText(1))};
    if (group && *group != g) ST_RETURN_IF_ERROR(end(group->first, group->second));
    group = std::move(g);
    row(stmt);
  }
  return group ? end(group->first, group->second) : Status::Ok();
}

// The second half of adopting (after the baseline made the segment tables): stores written
// before segments kept one row per cell (`daily_uses`) and per video (`videos`); each
// (day, region) becomes one segment (seq 0: older than any batch) and both tables go. As
// the chart store did on open until versions existed (converting only when both are there).
Status ConvertRowTables(Database& db) {
  Result<bool> uses = TableExists(db, "daily_uses");
  if (!uses.ok()) return uses.status();
  Result<bool> videos = TableExists(db, "videos");
  if (!videos.ok()) return videos.status();
  if (!*uses || !*videos) return Status::Ok();
  std::string buffer;
  {
    Result<Statement> rows =
        db.Prepare("SELECT day, region, clip_id, uses FROM daily_uses ORDER BY day, region");
    if (!rows.ok()) return rows.status();
    Result<Statement> insert = db.Prepare(
        "INSERT INTO cell_segments(day, region, cells, data, seq) VALUES(?1, ?2, ?3, ?4, 0)");
    if (!insert.ok()) return insert.status();
    std::vector<segments::Cell> cells;
    ST_RETURN_IF_ERROR(ForEachGroup(
        *rows,
        [&](const Statement& r) {
          cells.push_back({static_cast<uint64_t>(r.ColumnInt(2)), r.ColumnInt(3)});
        },
        [&](int64_t day, const std::string& region) {
          segments::SumCells(cells);
          segments::EncodeCells(cells, buffer);
          insert->Bind(1, day).Bind(2, std::string_view(region));
          insert->Bind(3, static_cast<int64_t>(cells.size())).BindBlob(4, buffer);
          cells.clear();
          return insert->Run();
        }));
  }
  {
    Result<Statement> rows = db.Prepare(
        "SELECT day, region, clip_id, video_id, cover, views FROM videos ORDER BY day, region");
    if (!rows.ok()) return rows.status();
    Result<Statement> insert = db.Prepare(
        "INSERT INTO video_segments(day, region, videos, data, seq) VALUES(?1, ?2, ?3, ?4, 0)");
    if (!insert.ok()) return insert.status();
    std::vector<segments::Video> group;
    std::deque<std::string> covers;  // the group's covers (Video::cover points into them)
    ST_RETURN_IF_ERROR(ForEachGroup(
        *rows,
        [&](const Statement& r) {
          covers.emplace_back(r.ColumnText(4));
          group.push_back({static_cast<uint64_t>(r.ColumnInt(2)),
                           static_cast<uint64_t>(r.ColumnInt(3)), r.ColumnInt(5), covers.back()});
        },
        [&](int64_t day, const std::string& region) {
          segments::KeepTopVideos(group);
          segments::EncodeVideos(group, buffer);
          insert->Bind(1, day).Bind(2, std::string_view(region));
          insert->Bind(3, static_cast<int64_t>(group.size())).BindBlob(4, buffer);
          group.clear();
          covers.clear();
          return insert->Run();
        }));
  }
  return db.Exec("DROP TABLE daily_uses; DROP TABLE videos;");
}

}  // namespace

std::span<const Migration> SchemaMigrations() { return Migrations(); }

int64_t LatestSchemaVersion() { return Migrations().empty() ? 0 : Migrations().back().version; }

Result<int64_t> SchemaVersion(Database& db) {
  Result<Statement> st = db.Prepare("PRAGMA user_version");
  if (!st.ok()) return st.status();
  Result<bool> row = st->Step();
  if (!row.ok()) return row.status();
  return *row ? st->ColumnInt(0) : 0;
}

Result<SchemaChange> EnsureSchema(Database& db, bool migrate) {
  if (Migrations().empty()) return Status::Internal("no SQLite migrations embedded");
  return EnsureSchema(db, Migrations(), kBaselineSchemaVersion, migrate);
}

Result<SchemaChange> EnsureSchema(Database& db, std::span<const Migration> migrations,
                                  int64_t baseline, bool migrate) {
  if (migrations.empty()) return Status::Internal("no migrations");
  const int64_t latest = migrations.back().version;
  SchemaChange change;
  // Cheap path first: an up-to-date (or newer) database needs no lock and no write.
  Result<int64_t> current = SchemaVersion(db);
  if (!current.ok()) return current.status();
  change.from_version = change.to_version = *current;
  if (*current >= latest) {
    ST_RETURN_IF_ERROR(CheckSchemaVersion(*current, latest, migrate, db.path()));
    return change;
  }

  Transaction tx(db);  // BEGIN IMMEDIATE: one writer at a time, across processes
  ST_RETURN_IF_ERROR(tx.status());
  current = SchemaVersion(db);  // again, under the write lock: another may have migrated
  if (!current.ok()) return current.status();
  change.from_version = change.to_version = *current;
  if (*current >= latest) {
    ST_RETURN_IF_ERROR(CheckSchemaVersion(*current, latest, migrate, db.path()));
    return change;  // rolls back: nothing was written
  }
  bool adopt = false;
  if (*current == 0) {
    Result<Tables> tables = FindTables(db);
    if (!tables.ok()) return tables.status();
    if (tables->any && !tables->own) {
      return Status::FailedPrecondition("the database " + db.path() +
                                        " has tables, none of them soundtrend's: not a soundtrend "
                                        "database (check --db)");
    }
    adopt = tables->any;
  }
  if (adopt) {
    if (baseline < latest && !migrate) {
      return Status::FailedPrecondition(
          "the database " + db.path() + " was made before schema versions (its layout is version " +
          std::to_string(baseline) + "'s), older than this soundtrend's (" +
          std::to_string(latest) + "): run `soundtrend migrate` first");
    }
    ST_RETURN_IF_ERROR(UpgradeLegacyLayout(db));
  } else {
    ST_RETURN_IF_ERROR(CheckSchemaVersion(*current, latest, migrate || *current == 0, db.path()));
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    Status st = db.Exec(m.sql);
    if (!st.ok()) {
      return Status::Internal("migration " + std::string(m.name) + " of " + db.path() +
                              " failed: " + st.message());
    }
    ++change.applied;
    if (adopt && m.version == baseline) ST_RETURN_IF_ERROR(ConvertRowTables(db));
  }
  ST_RETURN_IF_ERROR(SetSchemaVersion(db, latest));
  ST_RETURN_IF_ERROR(tx.Commit());
  change.to_version = latest;
  change.adopted = adopt;
  return change;
}

Status CheckReadOnlySchema(Database& db) {
  Result<int64_t> current = SchemaVersion(db);
  if (!current.ok()) return current.status();
  return CheckSchemaVersion(*current, LatestSchemaVersion(), /*migrating=*/false, db.path());
}

}  // namespace soundtrend::store::sqlite
