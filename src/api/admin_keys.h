// The admin HTTP API for keys, credits and the ledger (docs/api.md §6), over gateway::KeyAdmin.
// Every route requires the admin token (gateway::AdminAuth); a customer key is refused.
//
//   POST /admin/v1/keys            {"name","qps"?,"burst"?,"credits"?,"expires"?,"endpoints"?}
//                                  -> data {"key": "sk_live_..." (shown once), "key_id", ...}
//   GET  /admin/v1/keys            -> data {"keys": [...]}
//   POST /admin/v1/keys/revoke     {"key_id"} -> data {"key_id","revoked":true}
//   GET  /admin/v1/keys/ID         -> data: the key (KeyRecord)
//   PATCH /admin/v1/keys/ID        {"name"?,"qps"?,"burst"?,"expires"? (null: never),
//                                  "endpoints"? ([]: all)} -> data: the key after
//   POST /admin/v1/keys/ID/rotate  {"grace_seconds"?} (or no body: 0, the old secret is
//                                  refused at once) -> data {"key" (shown once),"key_id",
//                                  "details"}
//   POST /admin/v1/credits/grant   {"key_id","amount","grant_id"}
//                                  -> data {"key_id","grant_id","applied","balance"}
//   GET  /admin/v1/ledger?key_id=K[&limit=N] -> data {"key_id","total","entries":[...]}
//                                  (the latest N entries, oldest first; N default 100)
//   GET  /admin/v1/ledger.csv[?key_id=K]     -> text/csv, every entry (all keys when no K)
//
// `expires` is "YYYY-MM-DD" (the key is refused from 00:00 UTC that day) or unix seconds.
// Responses use the docs/api.md §2 envelope; errors: 401 wrong/missing admin token, 400 bad
// input ("Invalid parameter: <name> <rule>"), 404 unknown key, 409 grant id reused with
// another key or amount, 500 storage failure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/paid_endpoint.h"
#include "gateway/admin_auth.h"
#include "gateway/billing_gateway.h"
#include "gateway/key_admin.h"
#include "http/handler.h"
#include "http/router.h"

namespace soundtrend::api {

struct GatewayRoute {
  std::string method;
  std::string path;
  http::Handler handler;
  http::RouteOptions options;  // admin routes: AdminRouteOptions
  bool prefix = false;         // `path` is a prefix (http::Router::AddPrefix)
};

// Route options that check the admin token once the header is read, before any byte of
// the body is (401 "admin token is invalid"): a refused request costs no body memory.
http::RouteOptions AdminRouteOptions(const gateway::AdminAuth& auth, size_t body_limit);

// The admin routes above. `admin` is shared by the handlers (thread-safe implementations
// only, e.g. gateway::BillingGateway).
std::vector<GatewayRoute> AdminKeyRoutes(std::shared_ptr<gateway::KeyAdmin> admin,
                                         gateway::AdminAuth auth);

// Registers GET /v1/account (account.h) and every admin route above on `router`.
// `outcomes` (optional) hears GET /v1/account's outcomes; it must outlive the router.
void AddGatewayRoutes(http::Router& router, std::shared_ptr<gateway::BillingGateway> gateway,
                      gateway::AdminAuth auth, OutcomeListener* outcomes = nullptr);

// A key as the admin API and `soundtrend keys ... --json` show it (never the key, never its
// hash): {"key_id","name","qps","burst","endpoints","balance","created_at","expires_at",
// "revoked_at","charged_requests","credits_used","previous_key_expires_at"} (OpenAPI schema
// KeyRecord; the last is when a rotated key's previous secret stops working, or null).
void AppendKeyJson(std::string& out, const store::KeyRecord& key);
// A ledger entry: {"seq","time","key_id","kind","reference","endpoint","amount",
// "balance_after"} (OpenAPI schema LedgerEntry).
void AppendLedgerJson(std::string& out, const store::LedgerEntry& entry);

// A success envelope: {"code":0,"message":"success","data":<data_json>,"requestId":...}.
http::Response GatewaySuccessResponse(std::string data_json, std::string_view request_id);

// The value of query parameter `name` in a raw query string, percent-decoded ('+' is a
// space); nullopt when absent.
std::optional<std::string> FindQueryValue(std::string_view query, std::string_view name);

}  // namespace soundtrend::api
