#include "api/account.h"

#include <algorithm>

#include "api/admin_keys.h"
#include "common/json_writer.h"
#include "gateway/key_admin.h"
#include "http/error.h"

namespace soundtrend::api {
namespace {

struct Rejection {
  int status;
  std::string_view message;
};

Rejection RejectionOf(gateway::AdmitOutcome outcome) {
  switch (outcome) {
    case gateway::AdmitOutcome::kMissingKey:
      return {401, "apiKey is null"};
    case gateway::AdmitOutcome::kInvalidKey:
      return {401, "apiKey is invalid"};
    case gateway::AdmitOutcome::kForbidden:
      return {403, "apiKey is not allowed to access this endpoint"};
    case gateway::AdmitOutcome::kRateLimited:
      return {429, "qps limit exceeded"};
    case gateway::AdmitOutcome::kOk:
      break;
  }
  return {500, http::kInternalErrorMessage};
}

void AddHeaders(const gateway::Admission& admission, const gateway::BillingGateway& gateway,
                http::Response& response) {
  response.key_id = admission.key_id;
  if (!admission.ratelimit_policy.empty()) {
    response.headers.emplace_back("RateLimit-Policy", admission.ratelimit_policy);
  }
  if (!admission.ratelimit.empty()) response.headers.emplace_back("RateLimit", admission.ratelimit);
  if (admission.account) {
    response.headers.emplace_back("X-Credits-Remaining",
                                  std::to_string(gateway.Balance(*admission.account)));
  }
  if (admission.outcome == gateway::AdmitOutcome::kRateLimited) {
    response.headers.emplace_back(
        "Retry-After", std::to_string(std::max<int64_t>(1, admission.retry_after_seconds)));
  }
}

std::string AccountJson(const gateway::AccountView& v) {
  std::string out = "{\"key_id\":";
  json::AppendString(out, v.key_id);
  out += ",\"name\":";
  json::AppendString(out, v.name);
  out += ",\"balance\":";
  json::AppendInt(out, v.balance);
  out += ",\"rate_limit\":{\"qps\":";
  json::AppendInt(out, v.rate_limit.qps);
  out += ",\"burst\":";
  json::AppendInt(out, v.rate_limit.burst);
  out += "},\"endpoints\":[";
  bool first = true;
  auto add = [&](std::string_view e) {
    if (!first) out += ',';
    first = false;
    json::AppendString(out, e);
  };
  if (v.endpoints.empty()) {
    for (std::string_view e : gateway::kCustomerEndpoints) add(e);
  } else {
    for (const auto& e : v.endpoints) add(e);
  }
  out += "],\"created_at\":";
  json::AppendString(out, gateway::FormatTimeMicros(v.created_micros));
  out += ",\"expires_at\":";
  if (v.expires_micros) {
    json::AppendString(out, gateway::FormatTimeMicros(*v.expires_micros));
  } else {
    out += "null";
  }
  out += ",\"usage\":{\"charged_requests\":";
  json::AppendInt(out, v.charged_requests);
  out += ",\"credits_used\":";
  json::AppendInt(out, v.charged_credits);
  out += ",\"last_charged_at\":";
  if (v.last_charge_micros > 0) {
    json::AppendString(out, gateway::FormatTimeMicros(v.last_charge_micros));
  } else {
    out += "null";
  }
  out += "}}";
  return out;
}

}  // namespace

http::Handler MakeAccountHandler(std::shared_ptr<gateway::BillingGateway> gateway) {
  return [gateway](const http::Request& request, http::Respond respond) {
    gateway::Admission admission = gateway->Admit(request.header("Authorization"), kAccountPath);
    http::Response response;
    if (admission.outcome != gateway::AdmitOutcome::kOk) {
      Rejection r = RejectionOf(admission.outcome);
      response = http::ErrorResponse(r.status, r.message, request.request_id);
    } else {
      response = GatewaySuccessResponse(AccountJson(gateway->Describe(*admission.account)),
                                        request.request_id);
    }
    AddHeaders(admission, *gateway, response);
    respond(std::move(response));
  };
}

}  // namespace soundtrend::api
