#include "store/postgres/pg_session_store.h"

#include <mutex>

#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"

namespace soundtrend::store::postgres {
namespace {

class PgSessionStore final : public SessionStore {
 public:
  explicit PgSessionStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

  Status Create(const SessionRecord& s) override {
    std::lock_guard lock(mu_);
    Result<PgResult> r = db_->Exec(
        "INSERT INTO dash_sessions(id_hash, kind, key_id, sealed, created_micros, "
        "expires_micros, revoked_micros) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (id_hash) DO NOTHING RETURNING id_hash",
        {s.id_hash, SessionKindName(s.kind), s.key_id, PgParam::Bytes(s.sealed_secret),
         s.created_micros, s.expires_micros, s.revoked_micros});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return Status::AlreadyExists("session id taken");
    return Status::Ok();
  }

  Result<SessionRecord> Get(std::string_view id_hash) override {
    std::lock_guard lock(mu_);
    Result<PgResult> r = db_->Exec(
        "SELECT kind, key_id, sealed, created_micros, expires_micros, revoked_micros "
        "FROM dash_sessions WHERE id_hash = $1",
        {id_hash});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return Status::NotFound("no such session");
    SessionRecord s;
    s.id_hash = std::string(id_hash);
    s.kind = r->text(0, 0) == "operator" ? SessionKind::kOperator : SessionKind::kCustomer;
    s.key_id = std::string(r->text(0, 1));
    s.sealed_secret = r->bytes(0, 2);
    s.created_micros = r->integer(0, 3);
    s.expires_micros = r->integer(0, 4);
    s.revoked_micros = r->optional_integer(0, 5);
    return s;
  }

  Status Revoke(std::string_view id_hash, int64_t time_micros) override {
    std::lock_guard lock(mu_);
    Result<PgResult> r = db_->Exec(
        "UPDATE dash_sessions SET revoked_micros = coalesce(revoked_micros, $2) "
        "WHERE id_hash = $1 RETURNING id_hash",
        {id_hash, time_micros});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return Status::NotFound("no such session");
    return Status::Ok();
  }

  Result<int64_t> DeleteExpired(int64_t now_micros) override {
    std::lock_guard lock(mu_);
    Result<PgResult> r = db_->Exec(
        "DELETE FROM dash_sessions WHERE expires_micros <= $1 OR revoked_micros <= $1 "
        "RETURNING 1",
        {now_micros});
    if (!r.ok()) return r.status();
    return static_cast<int64_t>(r->rows());
  }

 private:
  std::mutex mu_;
  std::unique_ptr<PgConnection> db_;
};

}  // namespace

Result<std::unique_ptr<SessionStore>> OpenPgSessionStore(const std::string& url,
                                                         PgOpenOptions options) {
  Result<std::unique_ptr<PgConnection>> db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  ST_RETURN_IF_ERROR(EnsureSchema(**db, options.migrate));
  return std::unique_ptr<SessionStore>(new PgSessionStore(std::move(db).value()));
}

}  // namespace soundtrend::store::postgres
