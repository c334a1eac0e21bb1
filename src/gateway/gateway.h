// The gateway seen from the request path: authentication, permission, rate limit and
// credits (docs/api.md §2, §6). Every call here is in-memory and non-blocking except Commit,
// which completes asynchronously once the charge is durable.
//
// Order of checks on a paid endpoint (documented in the README):
//   Admit: 401 (missing / invalid key) -> 403 (endpoint not allowed) -> 429 (rate limit)
//   then the handler validates parameters (400)
//   Reserve: 402 when the balance is below the cost
//   Commit: the charge is in the ledger before the response is sent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace soundtrend::gateway {

class KeyAccount;  // opaque to callers; owned by the gateway

enum class AdmitOutcome {
  kOk,
  kMissingKey,   // 401 "apiKey is null": no or malformed Authorization header
  kInvalidKey,   // 401 "apiKey is invalid": unknown, revoked or expired
  kForbidden,    // 403 "apiKey is not allowed to access this endpoint"
  kRateLimited,  // 429 "qps limit exceeded"
};

struct Admission {
  AdmitOutcome outcome = AdmitOutcome::kMissingKey;
  std::shared_ptr<KeyAccount> account;  // set for kOk, kForbidden, kRateLimited
  std::string key_id;                   // public key id for logs; never the key
  // Header values for authenticated responses (empty when not authenticated).
  std::string ratelimit_policy;     // RateLimit-Policy
  std::string ratelimit;            // RateLimit
  int64_t retry_after_seconds = 0;  // for kRateLimited
};

struct ChargeInfo {
  std::string request_id;
  std::string endpoint;  // e.g. "/v1/tiktok/trending/music"
  int64_t cost = 2;
};

class Gateway {
 public:
  virtual ~Gateway() = default;
  // Authenticates `authorization` (the raw header value, "Bearer sk_live_..."), checks
  // that the key may call `endpoint`, and applies its rate limit. A request rejected here
  // does not consume the rate limit.
  virtual Admission Admit(std::string_view authorization, std::string_view endpoint) = 0;
  // Reserves `cost` credits; false when the balance is below it (402). Never lets the
  // balance go negative, whatever the concurrency.
  virtual bool Reserve(KeyAccount& account, int64_t cost) = 0;
  // Returns a reservation that will not be charged (the request failed after Reserve).
  virtual void Release(KeyAccount& account, int64_t cost) = 0;
  // Records the reserved charge in the ledger durably, then calls `done` (on any thread)
  // with OK, or with an error when the charge could not be stored (the reservation is
  // then released and the request must fail with 500). `account` stays alive until `done`
  // has returned.
  virtual void Commit(std::shared_ptr<KeyAccount> account, ChargeInfo charge,
                      std::function<void(Status)> done) = 0;
  // The balance after reservations, for X-Credits-Remaining.
  virtual int64_t Balance(const KeyAccount& account) const = 0;
};

}  // namespace soundtrend::gateway
