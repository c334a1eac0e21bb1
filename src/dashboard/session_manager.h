// The dashboard's sessions over a SessionStore (store/session_store.h): creation at sign-in,
// resolution of the browser's token on every dashboard API call, revocation at sign-out.
// What is stored and what the browser holds: session_crypto.h.
//
// Rules: a session lasts options.lifetime_seconds from sign-in (no renewal); a token that
// is malformed, unknown, expired or revoked resolves to Unauthenticated; End revokes (in
// the store, so every node refuses it from its next lookup on). Expired and revoked rows
// are deleted at most once per options.purge_interval_seconds, during a Create.
//
// Time and randomness are injected. Thread-safe (one mutex serializes the store; callers
// run it off the event loops, on the dashboard's worker thread).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "store/session_store.h"

namespace soundtrend::dashboard {

struct SessionOptions {
  int64_t lifetime_seconds = 12 * 3600;
  int64_t purge_interval_seconds = 3600;
};

struct NewSession {
  std::string token;  // for the cookie; not kept anywhere by the server
  std::string csrf_token;
  int64_t expires_micros = 0;
};

struct ActiveSession {
  store::SessionKind kind = store::SessionKind::kCustomer;
  std::string key_id;  // customer sessions
  std::string secret;  // the API key or admin token the session was opened with
  std::string csrf_token;
  int64_t expires_micros = 0;
};

class SessionManager {
 public:
  SessionManager(std::unique_ptr<store::SessionStore> store, const Clock& clock,
                 RandomSource& random, SessionOptions options = {});

  Result<NewSession> Create(store::SessionKind kind, std::string_view key_id,
                            std::string_view secret);
  // Unauthenticated for a token that opens no live session; other codes: store failures.
  Result<ActiveSession> Resolve(std::string_view token);
  // Revokes the token's session; OK when there is none.
  Status End(std::string_view token);

  const SessionOptions& options() const { return options_; }

 private:
  std::mutex mutex_;
  std::unique_ptr<store::SessionStore> store_;
  const Clock& clock_;
  RandomSource& random_;
  SessionOptions options_;
  int64_t last_purge_micros_ = 0;
};

}  // namespace soundtrend::dashboard
