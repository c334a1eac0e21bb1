// The keyed-endpoint wrapper: everything a keyed endpoint does besides its own answer, in
// the order the README documents (docs/api.md §2, §6, §10), with errors turned into responses in
// this one place:
//
//   Admit (401 / 403 / 429) -> the handler (200 with a body, or 400 / 404 with a message;
//   an exception is a 500) -> Reserve (402; 503 when it cannot be decided now) -> Commit
//   (the charge durable in the ledger before the answer; 500 if it cannot be stored) ->
//   gateway headers (RateLimit-Policy, RateLimit, X-Credits-Remaining, Retry-After on 429
//   and 503) -> the outcome hook -> respond.
//
// A handler is a plain function from the request to a result: it knows nothing of keys,
// credits or headers. A request that fails costs nothing; a free endpoint (cost 0, e.g.
// GET /v1/account) skips Reserve and Commit.
//
// Fast path: when the gateway decides at once (local rate limit, credit in memory, a charge
// lane on this loop) everything runs on the calling event loop, with no allocation beyond
// the response itself. Slow path: when the gateway needs a round trip (a shared rate
// limit, a new credit lease, a ledger thread), the request's state moves to the heap and
// the wrapper continues when the answer arrives, on the request's event loop (the
// LoopExecutor current when the request started; common/loop_executor.h), never blocking
// the loop meanwhile.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "gateway/gateway.h"
#include "http/handler.h"

namespace soundtrend::api {

// What a keyed request came to, reported once per request that presented a known key (a
// key id is known: also 401 for a revoked or expired key), right before the response
// leaves. Views are valid during the call only.
struct KeyedOutcome {
  std::string_view key_id;
  std::string_view endpoint;    // the endpoint's path
  std::string_view request_id;  // as in X-Request-Id
  int status = 0;               // the HTTP status answered
  int64_t cost = 0;             // credits charged: the endpoint's cost on a 200, else 0
  int64_t time_micros = 0;      // wall clock when the outcome was decided
};

// The hook for per-key counters and recent-request lists. Called on the event loop that
// answers the request (the loop it arrived on; off a loop, e.g. in unit tests, on the
// calling thread), so an implementation can keep one state per loop
// (http::CurrentLoopIndex) and take no lock. It must be cheap and must not throw.
class OutcomeListener {
 public:
  virtual ~OutcomeListener() = default;
  virtual void OnOutcome(const KeyedOutcome& outcome) noexcept = 0;
};

// A handler's answer. 200: the handler wrote the response's body (and any header of its
// own, e.g. Content-Encoding) into its `ok` argument; 400 / 404 (or any other error
// status): `message` is the error envelope's, and `ok` is dropped.
struct HandlerResult {
  int status = 200;
  std::string message;

  static HandlerResult Ok() { return {}; }
  static HandlerResult Error(int status, std::string message) {
    return {status, std::move(message)};
  }
};

// The request as a handler sees it: the HTTP request and the key that passed admission.
struct PaidRequest {
  const http::Request& http;
  const gateway::KeyAccount& account;
};

// Writes the 200's body (the whole JSON envelope) into `ok.body` (empty, possibly with
// capacity), and may add headers or set the content type, or returns the error. May
// throw: the wrapper answers 500 then. The gateway's headers are the wrapper's.
using PaidHandler = std::function<HandlerResult(const PaidRequest& request, http::Response& ok)>;

struct PaidEndpoint {
  std::string path;  // as keys' endpoint lists name it, e.g. "/v1/tiktok/trending/music"
  int64_t cost = 0;  // credits per 200; 0: a free keyed endpoint
  PaidHandler handler;
};

struct PaidEndpointDeps {
  std::shared_ptr<gateway::Gateway> gateway;  // required
  OutcomeListener* outcomes = nullptr;        // optional; must outlive the handler
  const Clock* clock = &SystemClock::Instance();
};

// Retry-After of a 503 (the gateway could not decide without a part that is unreachable).
inline constexpr int64_t kUnavailableRetryAfterSeconds = 1;
inline constexpr std::string_view kMsgUnavailable = "Service temporarily unavailable";

// The http::Handler of `endpoint`. `deps.gateway` is kept alive by the handler.
http::Handler MakePaidHandler(PaidEndpoint endpoint, PaidEndpointDeps deps);

}  // namespace soundtrend::api
