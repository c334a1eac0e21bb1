// The gateway seen from the request path: authentication, permission, rate limit and
// credits (docs/api.md §2, §6, §10). No call here blocks. A decision is made at once when this
// node can make it alone (the fast path: in memory, on the calling thread); when it needs a
// round trip (a shared rate limit, a credit lease from the database, a ledger thread), the
// call says so (kPending / nullopt) and the Finish* / Commit variant completes it later
// through a callback, on any thread. api/paid_endpoint.h drives this for every keyed
// endpoint.
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
#include <optional>
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
  // The key is known and may call the endpoint, the rate limit's answer comes later: pass
  // the admission to FinishAdmit. Never returned by FinishAdmit.
  kPending,
};

enum class ReserveOutcome {
  kReserved,     // the credits are held for this request
  kNoCredit,     // 402: the key's balance is below the cost
  kUnavailable,  // 503 with Retry-After: this node cannot decide alone now (docs/api.md §10)
  kPending,      // the answer needs a round trip: call FinishReserve. Never given to it.
};

struct Admission {
  AdmitOutcome outcome = AdmitOutcome::kMissingKey;
  std::shared_ptr<KeyAccount> account;  // set for kOk, kForbidden, kRateLimited, kPending
  std::string key_id;                   // public key id for logs; never the key
  // Header values for authenticated responses (empty when not authenticated).
  std::string ratelimit_policy;     // RateLimit-Policy
  std::string ratelimit;            // RateLimit
  int64_t retry_after_seconds = 0;  // for kRateLimited
};

// A charge as the request path has it (views of the request, valid during the call).
struct ChargeRef {
  std::string_view request_id;
  std::string_view endpoint;
  int64_t cost = 2;
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
  // does not consume the rate limit. kPending: the rate limit decides later (FinishAdmit).
  virtual Admission Admit(std::string_view authorization, std::string_view endpoint) = 0;
  // Completes a kPending admission: `done` is called once, on any thread, with kOk or
  // kRateLimited and the headers. Only a gateway that returns kPending must override it.
  virtual void FinishAdmit(Admission pending, std::function<void(Admission)> done) {
    pending.outcome = AdmitOutcome::kRateLimited;  // never pending: unreachable
    done(std::move(pending));
  }
  // Reserves `cost` credits. Never lets the balance go negative, whatever the concurrency.
  virtual ReserveOutcome Reserve(KeyAccount& account, int64_t cost) = 0;
  // Completes a kPending reservation: `done` is called once, on any thread, with anything
  // but kPending. `account` stays alive until `done` has returned.
  // Only a gateway whose Reserve returns kPending must override it.
  virtual void FinishReserve(std::shared_ptr<KeyAccount> /*account*/, int64_t /*cost*/,
                             std::function<void(ReserveOutcome)> done) {
    done(ReserveOutcome::kUnavailable);  // never pending: unreachable
  }
  // Returns a reservation that will not be charged (the request failed after Reserve).
  virtual void Release(KeyAccount& account, int64_t cost) = 0;
  // Records the reserved charge durably on the calling thread when it can (an event loop's
  // own charge lane: no lock, no system call) and returns the result: OK, or an error
  // after which the reservation has been released and the request must fail with 500.
  // nullopt: not possible on this thread; call Commit.
  virtual std::optional<Status> CommitNow(KeyAccount& /*account*/, const ChargeRef& /*charge*/) {
    return std::nullopt;
  }
  // Called on the same thread after the response of a request whose CommitNow gave a value
  // has been handed to the server: work the gateway keeps out of the request's way.
  virtual void AfterAnswer() {}
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
