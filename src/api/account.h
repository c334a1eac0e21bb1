// GET /v1/account: the calling key's balance, limits and usage. Free of charge; subject to
// the key's rate limit like every keyed request. Always allowed for a valid key, whatever
// its endpoint list.
//
// data: {"key_id","name","balance","rate_limit":{"qps","burst"},"endpoints":[...],
//        "created_at","expires_at"|null,
//        "usage":{"charged_requests","credits_used","last_charged_at"|null}}
// Times are RFC 3339 UTC. Headers as on every keyed response: RateLimit-Policy,
// RateLimit, X-Credits-Remaining (+ Retry-After on 429).
#pragma once

#include <memory>
#include <string_view>

#include "api/paid_endpoint.h"
#include "gateway/billing_gateway.h"
#include "http/handler.h"

namespace soundtrend::api {

inline constexpr std::string_view kAccountPath = "/v1/account";

// A free keyed endpoint through the paid-endpoint wrapper (cost 0). `outcomes` (optional)
// must outlive the handler.
http::Handler MakeAccountHandler(std::shared_ptr<gateway::BillingGateway> gateway,
                                 OutcomeListener* outcomes = nullptr);

}  // namespace soundtrend::api
