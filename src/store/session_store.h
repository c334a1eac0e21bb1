// SessionStore: the web dashboard's server-side sessions (issue 14), kept in the database so
// that every node serving the same database knows every session.
//
// A session is created when a customer signs in with an API key or an operator with the
// admin token. The store never sees the browser's session token nor the secret in clear:
// `id_hash` is a digest of the token and `sealed_secret` the secret encrypted under a key
// derived from the token (dashboard/session_crypto.h), so a copy of the database opens no
// session and reveals no key.
//
// Contracts:
// - Create stores a new record; AlreadyExists when its id_hash is taken (nothing changes).
// - Get returns the record as created, with revoked_micros once revoked; NotFound when
//   unknown (or deleted). Expiry is the caller's rule: Get returns expired records too.
// - Revoke sets revoked_micros once: revoking again keeps the first time and is OK;
//   NotFound when unknown.
// - DeleteExpired removes every record whose expires_micros <= `now_micros` or that was
//   revoked at or before `now_micros`, and returns how many it removed.
// - What one store object wrote is seen by another opened on the same location at once
//   (several nodes, one database).
// Implementations are safe to call from one thread at a time unless they say otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace soundtrend::store {

enum class SessionKind { kCustomer, kOperator };

inline std::string_view SessionKindName(SessionKind kind) {
  return kind == SessionKind::kOperator ? "operator" : "customer";
}

struct SessionRecord {
  std::string id_hash;  // lowercase hex SHA-256 (64 characters) of the token's session id
  SessionKind kind = SessionKind::kCustomer;
  std::string key_id;         // customer: the key's public id; operator: empty
  std::string sealed_secret;  // bytes: nonce, ciphertext and tag of the secret
  int64_t created_micros = 0;
  int64_t expires_micros = 0;  // refused from this instant on
  std::optional<int64_t> revoked_micros;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual Status Create(const SessionRecord& session) = 0;
  virtual Result<SessionRecord> Get(std::string_view id_hash) = 0;
  virtual Status Revoke(std::string_view id_hash, int64_t time_micros) = 0;
  virtual Result<int64_t> DeleteExpired(int64_t now_micros) = 0;
};

}  // namespace soundtrend::store
