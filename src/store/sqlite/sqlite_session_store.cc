#include "store/sqlite/sqlite_session_store.h"

#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_schema.h"

namespace soundtrend::store::sqlite {
namespace {

constexpr std::string_view kInsert =
    "INSERT INTO dash_sessions(id_hash, kind, key_id, sealed, created_micros, expires_micros,"
    " revoked_micros) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id_hash) DO NOTHING";
constexpr std::string_view kSelect =
    "SELECT kind, key_id, sealed, created_micros, expires_micros, revoked_micros"
    " FROM dash_sessions WHERE id_hash = ?1";
constexpr std::string_view kRevoke =
    "UPDATE dash_sessions SET revoked_micros = coalesce(revoked_micros, ?2) WHERE id_hash = ?1";
constexpr std::string_view kDeleteExpired =
    "DELETE FROM dash_sessions WHERE expires_micros <= ?1 OR revoked_micros <= ?1";

class SqliteSessionStore final : public SessionStore {
 public:
  explicit SqliteSessionStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  Status Init() {
    // The table: sqlite/migrations/0003_sessions.sql, applied by version (sqlite_schema.h).
    Result<SchemaChange> schema = EnsureSchema(*db_, /*migrate=*/false);
    if (!schema.ok()) return schema.status();
    auto insert = db_->Prepare(kInsert);
    if (!insert.ok()) return insert.status();
    insert_.emplace(std::move(insert).value());
    auto select = db_->Prepare(kSelect);
    if (!select.ok()) return select.status();
    select_.emplace(std::move(select).value());
    return Status::Ok();
  }

  Status Create(const SessionRecord& s) override {
    Statement& st = *insert_;
    st.Bind(1, s.id_hash)
        .Bind(2, SessionKindName(s.kind))
        .Bind(3, s.key_id)
        .BindBlob(4, s.sealed_secret)
        .Bind(5, s.created_micros)
        .Bind(6, s.expires_micros)
        .BindOptional(7, s.revoked_micros);
    ST_RETURN_IF_ERROR(st.Run());
    if (db_->Changes() == 0) return Status::AlreadyExists("session id taken");
    return Status::Ok();
  }

  Result<SessionRecord> Get(std::string_view id_hash) override {
    Statement& st = *select_;
    st.Bind(1, id_hash);
    auto row = st.Step();
    if (!row.ok()) {
      st.Reset();
      return row.status();
    }
    if (!*row) {
      st.Reset();
      return Status::NotFound("no such session");
    }
    SessionRecord r;
    r.id_hash = std::string(id_hash);
    r.kind = st.ColumnText(0) == "operator" ? SessionKind::kOperator : SessionKind::kCustomer;
    r.key_id = std::string(st.ColumnText(1));
    r.sealed_secret = std::string(st.ColumnBlob(2));
    r.created_micros = st.ColumnInt(3);
    r.expires_micros = st.ColumnInt(4);
    if (!st.ColumnIsNull(5)) r.revoked_micros = st.ColumnInt(5);
    st.Reset();
    return r;
  }

  Status Revoke(std::string_view id_hash, int64_t time_micros) override {
    auto st = db_->Prepare(kRevoke);
    if (!st.ok()) return st.status();
    st->Bind(1, id_hash).Bind(2, time_micros);
    ST_RETURN_IF_ERROR(st->Run());
    if (db_->Changes() == 0) return Status::NotFound("no such session");
    return Status::Ok();
  }

  Result<int64_t> DeleteExpired(int64_t now_micros) override {
    auto st = db_->Prepare(kDeleteExpired);
    if (!st.ok()) return st.status();
    st->Bind(1, now_micros);
    ST_RETURN_IF_ERROR(st->Run());
    return static_cast<int64_t>(db_->Changes());
  }

 private:
  std::unique_ptr<Database> db_;
  std::optional<Statement> insert_;
  std::optional<Statement> select_;
};

}  // namespace

Result<std::unique_ptr<SessionStore>> OpenSqliteSessionStore(const std::string& path) {
  OpenOptions options;
  options.synchronous_full = false;  // a lost session on power loss only means signing in again
  auto db = Database::Open(path, options);
  if (!db.ok()) return db.status();
  auto store = std::make_unique<SqliteSessionStore>(std::move(db).value());
  ST_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<SessionStore>(std::move(store));
}

}  // namespace soundtrend::store::sqlite
