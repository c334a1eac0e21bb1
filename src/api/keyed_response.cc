#include "api/keyed_response.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "http/error.h"

namespace soundtrend::api {

AdmissionRejection RejectionOf(gateway::AdmitOutcome outcome) {
  switch (outcome) {
    case gateway::AdmitOutcome::kMissingKey:
      return {401, kMsgKeyNull};
    case gateway::AdmitOutcome::kInvalidKey:
      return {401, kMsgKeyInvalid};
    case gateway::AdmitOutcome::kForbidden:
      return {403, kMsgForbidden};
    case gateway::AdmitOutcome::kRateLimited:
      return {429, kMsgQps};
    case gateway::AdmitOutcome::kOk:
    case gateway::AdmitOutcome::kPending:  // not a rejection (api/paid_endpoint.cc waits)
      break;
  }
  return {500, http::kInternalErrorMessage};
}

void AddGatewayHeaders(const gateway::Admission& admission, const gateway::Gateway& gateway,
                       http::Response& response) {
  if (!admission.ratelimit_policy.empty()) {
    response.headers.emplace_back("RateLimit-Policy", admission.ratelimit_policy);
  }
  if (!admission.ratelimit.empty()) response.headers.emplace_back("RateLimit", admission.ratelimit);
  if (admission.account) {
    response.headers.emplace_back(std::string(kCreditsRemainingHeader),
                                  std::to_string(gateway.Balance(*admission.account)));
  }
  if (admission.outcome == gateway::AdmitOutcome::kRateLimited) {
    response.headers.emplace_back(
        "Retry-After", std::to_string(std::max<int64_t>(1, admission.retry_after_seconds)));
  }
}

}  // namespace soundtrend::api
