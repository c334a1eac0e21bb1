#include "dashboard/session_manager.h"

#include <spdlog/spdlog.h>

#include "dashboard/session_crypto.h"

namespace soundtrend::dashboard {

SessionManager::SessionManager(std::unique_ptr<store::SessionStore> store, const Clock& clock,
                               RandomSource& random, SessionOptions options)
    : store_(std::move(store)), clock_(clock), random_(random), options_(options) {}

Result<NewSession> SessionManager::Create(store::SessionKind kind, std::string_view key_id,
                                          std::string_view secret) {
  std::lock_guard lock(mutex_);
  const int64_t now = clock_.NowMicros();
  if (now - last_purge_micros_ >= options_.purge_interval_seconds * 1'000'000) {
    last_purge_micros_ = now;
    auto purged = store_->DeleteExpired(now);
    if (!purged.ok())
      spdlog::warn("dashboard sessions: purge failed: {}", purged.status().ToString());
  }
  NewSession created;
  created.token = NewSessionToken(random_);
  created.csrf_token = CsrfTokenFor(created.token);
  created.expires_micros = now + options_.lifetime_seconds * 1'000'000;
  store::SessionRecord record;
  record.id_hash = SessionIdHash(created.token);
  record.kind = kind;
  record.key_id = std::string(key_id);
  record.sealed_secret = SealSecret(created.token, secret, random_);
  record.created_micros = now;
  record.expires_micros = created.expires_micros;
  ST_RETURN_IF_ERROR(store_->Create(record));
  return created;
}

Result<ActiveSession> SessionManager::Resolve(std::string_view token) {
  if (!IsWellFormedToken(token)) return Status::Unauthenticated("no session");
  std::lock_guard lock(mutex_);
  auto record = store_->Get(SessionIdHash(token));
  if (!record.ok()) {
    if (record.status().code() == Status::Code::kNotFound) {
      return Status::Unauthenticated("no session");
    }
    return record.status();
  }
  if (record->revoked_micros) return Status::Unauthenticated("session ended");
  if (clock_.NowMicros() >= record->expires_micros) {
    return Status::Unauthenticated("session expired");
  }
  auto secret = OpenSecret(token, record->sealed_secret);
  if (!secret.ok()) return secret.status();
  ActiveSession session;
  session.kind = record->kind;
  session.key_id = std::move(record->key_id);
  session.secret = std::move(secret).value();
  session.csrf_token = CsrfTokenFor(token);
  session.expires_micros = record->expires_micros;
  return session;
}

Status SessionManager::End(std::string_view token) {
  if (!IsWellFormedToken(token)) return Status::Ok();
  std::lock_guard lock(mutex_);
  Status s = store_->Revoke(SessionIdHash(token), clock_.NowMicros());
  if (s.code() == Status::Code::kNotFound) return Status::Ok();
  return s;
}

}  // namespace soundtrend::dashboard
