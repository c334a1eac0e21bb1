// What every keyed endpoint answers for the gateway's part of a request (docs/api.md §2, §6): the
// messages of refused admissions and the headers of authenticated responses.
#pragma once

#include <string_view>

#include "gateway/gateway.h"
#include "http/handler.h"

namespace soundtrend::api {

// The docs/api.md §2 messages.
inline constexpr std::string_view kMsgKeyNull = "apiKey is null";
inline constexpr std::string_view kMsgKeyInvalid = "apiKey is invalid";
inline constexpr std::string_view kMsgQuota = "apiKey quota is not enough";
inline constexpr std::string_view kMsgForbidden = "apiKey is not allowed to access this endpoint";
inline constexpr std::string_view kMsgQps = "qps limit exceeded";

struct AdmissionRejection {
  int status;
  std::string_view message;
};

// The status and message of a refused admission: 401 / 403 / 429; 500 for kOk (a caller
// bug: kOk is not a refusal).
AdmissionRejection RejectionOf(gateway::AdmitOutcome outcome);

inline constexpr std::string_view kCreditsRemainingHeader = "X-Credits-Remaining";

// Adds the headers an authenticated response carries: RateLimit-Policy and RateLimit when
// the gateway set them, X-Credits-Remaining when there is an account, Retry-After (>= 1 s)
// for kRateLimited.
void AddGatewayHeaders(const gateway::Admission& admission, const gateway::Gateway& gateway,
                       http::Response& response);

}  // namespace soundtrend::api
