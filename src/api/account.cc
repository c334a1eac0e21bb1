#include "api/account.h"

#include <algorithm>

#include "api/admin_keys.h"
#include "common/json_writer.h"
#include "gateway/key_admin.h"

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

http::Handler MakeAccountHandler(std::shared_ptr<gateway::BillingGateway> gateway,
                                 OutcomeListener* outcomes) {
  PaidEndpoint endpoint{std::string(kAccountPath), 0,
                        // The wrapper holds the gateway as long as the handler lives.
                        [gw = gateway.get()](const PaidRequest& request, http::Response& ok) {
                          ok.body =
                              GatewaySuccessResponse(AccountJson(gw->Describe(request.account)),
                                                     request.http.request_id)
                                  .body;
                          return HandlerResult::Ok();
                        }};
  PaidEndpointDeps deps;
  deps.gateway = std::move(gateway);
  deps.outcomes = outcomes;
  return MakePaidHandler(std::move(endpoint), std::move(deps));
}

}  // namespace soundtrend::api
