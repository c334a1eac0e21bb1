#include "api/account.h"

#include <algorithm>

#include "api/admin_keys.h"
#include "api/keyed_response.h"
#include "common/json_writer.h"
#include "gateway/key_admin.h"
#include "http/error.h"

namespace soundtrend::api {
namespace {

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
      AdmissionRejection r = RejectionOf(admission.outcome);
      response = http::ErrorResponse(r.status, r.message, request.request_id);
    } else {
      response = GatewaySuccessResponse(AccountJson(gateway->Describe(*admission.account)),
                                        request.request_id);
    }
    response.key_id = admission.key_id;
    AddGatewayHeaders(admission, *gateway, response);
    respond(std::move(response));
  };
}

}  // namespace soundtrend::api
