// The dashboard's JSON API under /dashboard/api/ (issue 14). The browser signs in once with a
// secret (a customer's API key or the operator's admin token) and from then on presents
// only a session cookie; the server uses the secret on its behalf, so the pages call the
// very same API as any client (a chart page is a paid request: 2 credits, the key's rate
// limit, the ledger), and the secret never reaches the page's storage or a URL.
//
//   POST   /dashboard/api/session  {"kind":"customer"|"operator","secret":"..."}
//            -> 200 data {"kind","key_id"|null,"csrf_token","expires_at"} + Set-Cookie
//            401 wrong secret, 400 bad body, 403 cross-origin, 429 too many attempts from
//            this address (Retry-After), 415 not application/json
//   GET    /dashboard/api/session  -> 200 the same data; 401 when not signed in
//   DELETE /dashboard/api/session  (X-CSRF-Token) -> 200 data {"signed_out":true}; the
//            session is revoked in the store and the cookie cleared
//   *      /dashboard/api/v1/REST      customer sessions: GET /v1/REST with the key
//   *      /dashboard/api/admin/REST   operator sessions: METHOD /admin/v1/REST with the
//            admin token (every admin route: keys, grants, ledger, CSV, ingest)
//   GET    /dashboard/api/ops/health   operator sessions: data {"windows":[{window_seconds
//            (10, 60), covered_seconds, requests, requests_per_second, server_error_rate,
//            client_error_rate, mean_latency_ms, p99_ms_at_most (the histogram bucket's
//            bound, null without requests), p99_above_histogram}]} (health.h)
//   GET    /dashboard/api/usage        customer sessions: data {"today", "days": the last 30
//            UTC days, oldest first, [{"day","ok","payment_required","rate_limited",
//            "other_client_errors","server_errors","credits"}], "credits":{"today",
//            "last_7_days","last_30_days"}, "recent": the key's latest requests, newest
//            first, [{"time","endpoint","status","cost","request_id"}]} (usage_recorder.h)
//   GET    /dashboard/api/ops/ingest   operator sessions: data {"latest_closed_day",
//            "latest_usage_day"|null, "published_day"|null, "published_at"|null,
//            "published_age_seconds"|null}
//
// The forwarded call is answered by the route itself (its status, headers and body,
// X-Credits-Remaining included). Dashboard API errors use the SPEC §2 envelope:
// 401 "not signed in", 403 "operator session required" / "customer session required" /
// "csrf token missing or invalid" / "cross-origin request refused", 503 when busy.
//
// Session cookie: `st_session`, HttpOnly, SameSite=Strict, Path=/dashboard/, Max-Age = the
// session's lifetime; Secure when options.secure_cookies or the request came through a
// TLS-terminating proxy (X-Forwarded-Proto: https). CSRF: every POST, PATCH, PUT and
// DELETE with a session must carry X-CSRF-Token (session_crypto.h) and, when the browser
// sends Origin, the same origin as Host; sign-in must be application/json (a cross-site
// form cannot send it without a CORS preflight, which the dashboard never grants).
// Every answer carries Cache-Control: no-store.
//
// Threads: session work runs on the dashboard's worker (worker.h), never on an event loop;
// forwarded routes run there too (they may answer from any thread).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/day.h"
#include "dashboard/health.h"
#include "dashboard/session_manager.h"
#include "dashboard/sign_in_limiter.h"
#include "dashboard/usage_recorder.h"
#include "gateway/admin_auth.h"
#include "gateway/gateway.h"
#include "gateway/key_admin.h"
#include "http/router.h"

namespace soundtrend::dashboard {

inline constexpr std::string_view kSessionCookie = "st_session";
inline constexpr std::string_view kApiPrefix = "/dashboard/api/";

struct DashboardApiOptions {
  bool secure_cookies = false;  // always mark the cookie Secure (the service is behind TLS)
  SignInLimit sign_in_limit;
};

// What the operator's ingest page shows (GET /dashboard/api/ops/ingest).
struct IngestStatus {
  Day latest_closed_day = 0;            // by the clock and the lateness
  std::optional<Day> latest_usage_day;  // the stored data's latest day
  std::optional<Day> published_day;     // the day of the charts being served
  int64_t published_built_micros = 0;   // when they were built (0: none)
};

struct DashboardApiDeps {
  std::shared_ptr<gateway::Gateway> gateway;     // validates customer keys at sign-in
  std::shared_ptr<gateway::KeyAdmin> key_admin;  // a customer session ends with its key
  gateway::AdminAuth admin_auth{""};
  std::shared_ptr<SessionManager> sessions;
  const Clock* clock = &SystemClock::Instance();
  // The operator's health page (GET /dashboard/api/ops/health); absent when null.
  std::shared_ptr<HealthSampler> health;
  // The operator's ingest page; called on the dashboard's worker thread (it may read the
  // store); absent when empty.
  std::function<Result<IngestStatus>()> ingest_status;
  // The customer's usage (GET /dashboard/api/usage), fed by the paid-endpoint wrapper's
  // outcome hook; absent when null.
  std::shared_ptr<UsageRecorder> usage;
};

// Adds the routes above to `router`. Forwarded calls are looked up in `router` itself when
// they arrive, so register the API's own routes first or last: it does not matter, as long
// as the router is complete before the server starts.
void AddDashboardApiRoutes(http::Router& router, DashboardApiDeps deps,
                           DashboardApiOptions options = {});

// The value of cookie `name` in a Cookie header ("a=1; st_session=T"), or empty.
std::string_view CookieValue(std::string_view cookie_header, std::string_view name);

// The Set-Cookie value for a new session token / for clearing it.
std::string SessionCookie(std::string_view token, int64_t max_age_seconds, bool secure);
std::string ClearedSessionCookie(bool secure);

}  // namespace soundtrend::dashboard
