#include "dashboard/dashboard_api.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "common/json_writer.h"
#include "dashboard/session_crypto.h"
#include "dashboard/worker.h"
#include "http/error.h"

namespace soundtrend::dashboard {
namespace {

constexpr std::string_view kNotSignedIn = "not signed in";
constexpr std::string_view kCsrfRefused = "csrf token missing or invalid";
constexpr std::string_view kCrossOrigin = "cross-origin request refused";
constexpr std::string_view kBusy = "Service temporarily unavailable";

struct Api {
  Api(DashboardApiDeps d, DashboardApiOptions o, const http::Router& r)
      : deps(std::move(d)), options(o), router(r), limiter(*deps.clock, o.sign_in_limit) {}
  DashboardApiDeps deps;
  DashboardApiOptions options;
  const http::Router& router;
  SignInLimiter limiter;
  // Last: destroyed (drained and joined) first, while everything its tasks use is alive.
  // Tasks hold a plain Api*, never a share of it, so the last share always goes with the
  // router's handlers, never on the worker's own thread.
  Worker worker;
};

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void NoStore(http::Response& r) { r.headers.emplace_back("Cache-Control", "no-store"); }

http::Response Error(int status, std::string_view message, std::string_view request_id) {
  http::Response r = http::ErrorResponse(status, message, request_id);
  NoStore(r);
  return r;
}

http::Response Success(std::string_view data_json, std::string_view request_id) {
  http::Response r;
  r.body = R"({"code":0,"message":"success","data":)";
  r.body += data_json;
  r.body += ",\"requestId\":";
  json::AppendString(r.body, request_id);
  r.body += '}';
  NoStore(r);
  return r;
}

bool IsStateChanging(std::string_view method) { return method != "GET" && method != "HEAD"; }

bool SecureRequest(const Api& api, const http::Request& request) {
  return api.options.secure_cookies || IEquals(request.header("X-Forwarded-Proto"), "https");
}

// True unless the browser says the request comes from another origin: Origin, when sent,
// must be http(s)://<Host>.
bool SameOrigin(const http::Request& request) {
  std::string_view origin = request.header("Origin");
  if (origin.empty()) return true;
  if (origin.starts_with("https://")) {
    origin.remove_prefix(8);
  } else if (origin.starts_with("http://")) {
    origin.remove_prefix(7);
  } else {
    return false;  // "null" and other schemes
  }
  const std::string_view host = request.header("Host");
  return !host.empty() && IEquals(origin, host);
}

bool IsJson(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  return IEquals(Trim(content_type.substr(0, semi)), "application/json");
}

std::string SessionJson(store::SessionKind kind, std::string_view key_id, std::string_view name,
                        std::string_view csrf, int64_t expires_micros) {
  std::string out = "{\"kind\":";
  json::AppendString(out, store::SessionKindName(kind));
  out += ",\"key_id\":";
  if (kind == store::SessionKind::kCustomer) {
    json::AppendString(out, key_id);
  } else {
    out += "null";
  }
  out += ",\"name\":";
  if (kind == store::SessionKind::kCustomer) {
    json::AppendString(out, name);
  } else {
    out += "null";
  }
  out += ",\"csrf_token\":";
  json::AppendString(out, csrf);
  out += ",\"expires_at\":";
  json::AppendString(out, gateway::FormatTimeMicros(expires_micros));
  out += '}';
  return out;
}

void Wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

// A customer session lives only as long as its key.
bool KeyStillValid(Api& api, std::string_view key_id, std::string* name) {
  if (!api.deps.key_admin) return true;
  auto key = api.deps.key_admin->GetKey(key_id);
  if (!key.ok()) return false;
  if (key->revoked_micros) return false;
  if (key->expires_micros && api.deps.clock->NowMicros() >= *key->expires_micros) return false;
  if (name != nullptr) *name = key->name;
  return true;
}

void SignIn(const std::shared_ptr<Api>& api, const http::Request& request, http::Respond respond) {
  if (!IsJson(request.header("Content-Type"))) {
    return respond(Error(415, "Content-Type must be application/json", request.request_id));
  }
  if (!SameOrigin(request)) return respond(Error(403, kCrossOrigin, request.request_id));
  int64_t retry_after = 0;
  if (!api->limiter.TryAttempt(request.remote_address, &retry_after)) {
    http::Response r = Error(429, "too many sign-in attempts", request.request_id);
    r.headers.emplace_back("Retry-After", std::to_string(retry_after));
    return respond(std::move(r));
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(request.body);
  simdjson::dom::object body;
  if (parser.parse(padded).get(body) != simdjson::SUCCESS) {
    return respond(Error(400, "Invalid parameter: body must be a JSON object", request.request_id));
  }
  std::string kind_name;
  std::string secret;
  for (auto field : body) {
    std::string_view value;
    if (field.key == "kind" && field.value.get(value) == simdjson::SUCCESS) {
      kind_name = std::string(value);
    } else if (field.key == "secret" && field.value.get(value) == simdjson::SUCCESS) {
      secret = std::string(value);
    } else {
      std::string message = "Invalid parameter: ";
      message += field.key;
      message += (field.key == "kind" || field.key == "secret") ? " must be a string"
                                                                : " is not a field of a sign-in";
      return respond(Error(400, message, request.request_id));
    }
  }
  if (kind_name != "customer" && kind_name != "operator") {
    return respond(Error(400, "Invalid parameter: kind must be one of customer, operator",
                         request.request_id));
  }
  if (secret.empty()) {
    return respond(Error(400, "Invalid parameter: secret is required", request.request_id));
  }
  const store::SessionKind kind =
      kind_name == "operator" ? store::SessionKind::kOperator : store::SessionKind::kCustomer;
  const bool secure = SecureRequest(*api, request);
  auto task = [api = api.get(), kind, secret = std::move(secret), secure,
               request_id = std::string(request.request_id), respond]() mutable {
    std::string key_id;
    std::string name;
    const std::string authorization = "Bearer " + secret;
    if (kind == store::SessionKind::kCustomer) {
      const gateway::Admission admission = api->deps.gateway->Admit(authorization, "/v1/account");
      if (admission.outcome == gateway::AdmitOutcome::kMissingKey ||
          admission.outcome == gateway::AdmitOutcome::kInvalidKey ||
          !KeyStillValid(*api, admission.key_id, &name)) {
        Wipe(secret);
        return respond(Error(401, "apiKey is invalid", request_id));
      }
      key_id = admission.key_id;
    } else if (!api->deps.admin_auth.IsAuthorized(authorization)) {
      Wipe(secret);
      return respond(Error(401, "admin token is invalid", request_id));
    }
    auto created = api->deps.sessions->Create(kind, key_id, secret);
    Wipe(secret);
    if (!created.ok()) {
      spdlog::error("dashboard sign-in failed: {} request_id={}", created.status().ToString(),
                    request_id);
      return respond(Error(500, http::kInternalErrorMessage, request_id));
    }
    const int64_t max_age = api->deps.sessions->options().lifetime_seconds;
    http::Response r = Success(
        SessionJson(kind, key_id, name, created->csrf_token, created->expires_micros), request_id);
    r.headers.emplace_back("Set-Cookie", SessionCookie(created->token, max_age, secure));
    r.key_id = key_id;
    respond(std::move(r));
  };
  if (!api->worker.Post(std::move(task))) respond(Error(503, kBusy, request.request_id));
}

void WhoAmI(const std::shared_ptr<Api>& api, const http::Request& request, http::Respond respond) {
  const std::string token(CookieValue(request.header("Cookie"), kSessionCookie));
  if (token.empty()) return respond(Error(401, kNotSignedIn, request.request_id));
  const bool secure = SecureRequest(*api, request);
  auto task = [api = api.get(), token, secure, request_id = std::string(request.request_id),
               respond] {
    auto session = api->deps.sessions->Resolve(token);
    std::string name;
    if (session.ok() && session->kind == store::SessionKind::kCustomer &&
        !KeyStillValid(*api, session->key_id, &name)) {
      api->deps.sessions->End(token);
      session = Status::Unauthenticated("key revoked or expired");
    }
    if (!session.ok()) {
      if (session.status().code() != Status::Code::kUnauthenticated) {
        spdlog::error("dashboard session lookup failed: {}", session.status().ToString());
        return respond(Error(500, http::kInternalErrorMessage, request_id));
      }
      http::Response r = Error(401, kNotSignedIn, request_id);
      r.headers.emplace_back("Set-Cookie", ClearedSessionCookie(secure));
      return respond(std::move(r));
    }
    Wipe(session->secret);
    http::Response r = Success(SessionJson(session->kind, session->key_id, name,
                                           session->csrf_token, session->expires_micros),
                               request_id);
    r.key_id = session->key_id;
    respond(std::move(r));
  };
  if (!api->worker.Post(std::move(task))) respond(Error(503, kBusy, request.request_id));
}

void SignOut(const std::shared_ptr<Api>& api, const http::Request& request, http::Respond respond) {
  const std::string token(CookieValue(request.header("Cookie"), kSessionCookie));
  if (token.empty()) return respond(Error(401, kNotSignedIn, request.request_id));
  if (!SameOrigin(request)) return respond(Error(403, kCrossOrigin, request.request_id));
  const bool secure = SecureRequest(*api, request);
  auto task = [api = api.get(), token, secure, csrf = std::string(request.header("X-CSRF-Token")),
               request_id = std::string(request.request_id), respond] {
    auto session = api->deps.sessions->Resolve(token);
    if (!session.ok()) {
      http::Response r = Error(401, kNotSignedIn, request_id);
      r.headers.emplace_back("Set-Cookie", ClearedSessionCookie(secure));
      return respond(std::move(r));
    }
    Wipe(session->secret);
    if (!ConstantTimeEquals(csrf, session->csrf_token)) {
      return respond(Error(403, kCsrfRefused, request_id));
    }
    const Status ended = api->deps.sessions->End(token);
    if (!ended.ok()) {
      spdlog::error("dashboard sign-out failed: {}", ended.ToString());
      return respond(Error(500, http::kInternalErrorMessage, request_id));
    }
    http::Response r = Success("{\"signed_out\":true}", request_id);
    r.headers.emplace_back("Set-Cookie", ClearedSessionCookie(secure));
    r.key_id = session->key_id;
    respond(std::move(r));
  };
  if (!api->worker.Post(std::move(task))) respond(Error(503, kBusy, request.request_id));
}

// The session of `token` when it is live, of the `required` kind and, for a change,
// presented with its CSRF token; otherwise answers the refusal and returns nullopt.
std::optional<ActiveSession> CheckSession(Api& api, const std::string& token,
                                          store::SessionKind required, bool changes,
                                          std::string_view csrf, std::string_view request_id,
                                          const http::Respond& respond) {
  auto session = api.deps.sessions->Resolve(token);
  if (!session.ok()) {
    if (session.status().code() != Status::Code::kUnauthenticated) {
      spdlog::error("dashboard session lookup failed: {}", session.status().ToString());
      respond(Error(500, http::kInternalErrorMessage, request_id));
    } else {
      respond(Error(401, kNotSignedIn, request_id));
    }
    return std::nullopt;
  }
  if (session->kind != required) {
    Wipe(session->secret);
    respond(Error(403,
                  required == store::SessionKind::kOperator ? "operator session required"
                                                            : "customer session required",
                  request_id));
    return std::nullopt;
  }
  if (changes && !ConstantTimeEquals(csrf, session->csrf_token)) {
    Wipe(session->secret);
    respond(Error(403, kCsrfRefused, request_id));
    return std::nullopt;
  }
  return std::move(session).value();
}

// A read-only endpoint for sessions of kind `required` whose data `fn` computes on the
// worker: fn(api, session) -> JSON.
http::Handler MakeSessionRead(std::shared_ptr<Api> api, store::SessionKind required,
                              std::function<Result<std::string>(Api&, const ActiveSession&)> fn) {
  return [api, required, fn](const http::Request& request, http::Respond respond) {
    const std::string token(CookieValue(request.header("Cookie"), kSessionCookie));
    if (token.empty()) return respond(Error(401, kNotSignedIn, request.request_id));
    auto task = [api = api.get(), required, fn, token, request_id = std::string(request.request_id),
                 respond] {
      auto session = CheckSession(*api, token, required, false, {}, request_id, respond);
      if (!session) return;
      Wipe(session->secret);
      Result<std::string> data = fn(*api, *session);
      if (!data.ok()) {
        spdlog::error("dashboard: {}", data.status().ToString());
        return respond(Error(500, http::kInternalErrorMessage, request_id));
      }
      respond(Success(*data, request_id));
    };
    if (!api->worker.Post(std::move(task))) respond(Error(503, kBusy, request.request_id));
  };
}

http::Handler MakeOperatorRead(std::shared_ptr<Api> api,
                               std::function<Result<std::string>(Api&)> fn) {
  return MakeSessionRead(std::move(api), store::SessionKind::kOperator,
                         [fn](Api& a, const ActiveSession&) { return fn(a); });
}

void AppendCounts(std::string& out, const store::DailyUsage& d) {
  out += "{\"day\":";
  json::AppendString(out, FormatDay(d.day));
  out += fmt::format(
      ",\"ok\":{},\"payment_required\":{},\"rate_limited\":{},\"other_client_errors\":{},"
      "\"server_errors\":{},\"credits\":{}}}",
      d.ok, d.payment_required, d.rate_limited, d.other_client_errors, d.server_errors, d.credits);
}

constexpr int kUsageDays = 30;

Result<std::string> UsageJson(Api& api, const ActiveSession& session) {
  const Day today = DayOfUnixSeconds(api.deps.clock->NowMicros() / 1'000'000);
  const Day first = today - (kUsageDays - 1);
  auto view = api.deps.usage->Read(session.key_id, first, today);
  if (!view.ok()) return view.status();
  std::string out = "{\"today\":";
  json::AppendString(out, FormatDay(today));
  out += ",\"days\":[";
  int64_t credits_today = 0, credits_7 = 0, credits_30 = 0;
  size_t next = 0;
  for (Day day = first; day <= today; ++day) {
    store::DailyUsage d{session.key_id, day};
    if (next < view->days.size() && view->days[next].day == day) d = view->days[next++];
    if (day != first) out += ',';
    AppendCounts(out, d);
    credits_30 += d.credits;
    if (day > today - 7) credits_7 += d.credits;
    if (day == today) credits_today = d.credits;
  }
  out += fmt::format("],\"credits\":{{\"today\":{},\"last_7_days\":{},\"last_30_days\":{}}}",
                     credits_today, credits_7, credits_30);
  out += ",\"recent\":[";
  for (size_t i = 0; i < view->recent.size(); ++i) {
    const store::RequestRecord& r = view->recent[i];
    if (i) out += ',';
    out += "{\"time\":";
    json::AppendString(out, gateway::FormatTimeMicros(r.time_micros));
    out += ",\"endpoint\":";
    json::AppendString(out, r.endpoint);
    out += fmt::format(",\"status\":{},\"cost\":{},\"request_id\":", r.status, r.cost);
    json::AppendString(out, r.request_id);
    out += '}';
  }
  out += "]}";
  return out;
}

void AppendFigures(std::string& out, int window_seconds, const HealthFigures& f) {
  out += "{\"window_seconds\":";
  json::AppendInt(out, window_seconds);
  out += fmt::format(
      ",\"covered_seconds\":{:.3f},\"requests\":{},\"requests_per_second\":{:.3f},"
      "\"server_error_rate\":{:.6f},\"client_error_rate\":{:.6f},\"mean_latency_ms\":{:.3f},",
      f.window_seconds, f.requests, f.requests_per_second, f.server_error_rate, f.client_error_rate,
      f.mean_latency_seconds * 1e3);
  out += "\"p99_ms_at_most\":";
  if (f.p99_seconds) {
    out += fmt::format("{:g}", *f.p99_seconds * 1e3);
  } else {
    out += "null";
  }
  out += ",\"p99_above_histogram\":";
  json::AppendBool(out, f.p99_above_last_bound);
  out += '}';
}

void AppendOptionalDay(std::string& out, const std::optional<Day>& day) {
  if (day) {
    json::AppendString(out, FormatDay(*day));
  } else {
    out += "null";
  }
}

std::string IngestStatusJson(const IngestStatus& s, int64_t now_micros) {
  std::string out = "{\"latest_closed_day\":";
  json::AppendString(out, FormatDay(s.latest_closed_day));
  out += ",\"latest_usage_day\":";
  AppendOptionalDay(out, s.latest_usage_day);
  out += ",\"published_day\":";
  AppendOptionalDay(out, s.published_day);
  out += ",\"published_at\":";
  if (s.published_built_micros > 0) {
    json::AppendString(out, gateway::FormatTimeMicros(s.published_built_micros));
    out += ",\"published_age_seconds\":";
    json::AppendInt(out, std::max<int64_t>(0, (now_micros - s.published_built_micros) / 1'000'000));
  } else {
    out += "null,\"published_age_seconds\":null";
  }
  out += '}';
  return out;
}

// The state of one forwarded call, alive until the target route has answered.
struct Forwarded {
  http::Request request;  // the original's views, with the target path and our headers
  std::string path;
  std::string authorization;
  std::function<std::string_view(std::string_view)> original_header;
};

http::Handler MakeForward(std::shared_ptr<Api> api, store::SessionKind required,
                          std::string source_prefix, std::string target_prefix) {
  return [api, required, source_prefix, target_prefix](const http::Request& request,
                                                       http::Respond respond) {
    const std::string token(CookieValue(request.header("Cookie"), kSessionCookie));
    if (token.empty()) return respond(Error(401, kNotSignedIn, request.request_id));
    const bool changes = IsStateChanging(request.method);
    if (changes && !SameOrigin(request)) {
      return respond(Error(403, kCrossOrigin, request.request_id));
    }
    auto fwd = std::make_shared<Forwarded>();
    fwd->request = request;
    fwd->request.body_buffer = nullptr;
    fwd->path = target_prefix + std::string(request.path.substr(source_prefix.size()));
    fwd->original_header = request.header;
    auto task = [api = api.get(), required, token, changes, fwd, respond]() mutable {
      const http::Request& original = fwd->request;
      auto session =
          CheckSession(*api, token, required, changes, fwd->original_header("X-CSRF-Token"),
                       original.request_id, respond);
      if (!session) return;
      const http::Router::Match match = api->router.Find(original.method, fwd->path);
      if (match.kind == http::Router::MatchKind::kNotFound) {
        Wipe(session->secret);
        return respond(Error(404, http::DefaultMessage(404), original.request_id));
      }
      if (match.kind == http::Router::MatchKind::kMethodNotAllowed) {
        Wipe(session->secret);
        http::Response r = Error(405, http::DefaultMessage(405), original.request_id);
        r.headers.emplace_back("Allow", std::string(match.allow));
        return respond(std::move(r));
      }
      fwd->authorization = "Bearer " + session->secret;
      Wipe(session->secret);
      fwd->request.path = fwd->path;
      Forwarded* raw = fwd.get();
      fwd->request.header = [raw](std::string_view name) -> std::string_view {
        if (IEquals(name, "Authorization")) return raw->authorization;
        if (IEquals(name, "Cookie") || IEquals(name, "X-CSRF-Token")) return {};
        return raw->original_header(name);
      };
      auto answer = [fwd, respond](http::Response r) mutable {
        Wipe(fwd->authorization);
        NoStore(r);
        respond(std::move(r));
      };
      try {
        match.route->handler(fwd->request, std::move(answer));
      } catch (const std::exception& e) {
        spdlog::error("dashboard: forwarded {} threw: {}", fwd->path, e.what());
        respond(Error(500, http::kInternalErrorMessage, original.request_id));
      }
    };
    if (!api->worker.Post(std::move(task))) respond(Error(503, kBusy, request.request_id));
  };
}

}  // namespace

std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = Trim(header.substr(0, semi));
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
      std::string_view value = Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

std::string SessionCookie(std::string_view token, int64_t max_age_seconds, bool secure) {
  std::string c(kSessionCookie);
  c += '=';
  c += token;
  c += "; Path=/dashboard/; Max-Age=";
  c += std::to_string(max_age_seconds);
  c += "; HttpOnly; SameSite=Strict";
  if (secure) c += "; Secure";
  return c;
}

std::string ClearedSessionCookie(bool secure) { return SessionCookie("", 0, secure); }

void AddDashboardApiRoutes(http::Router& router, DashboardApiDeps deps,
                           DashboardApiOptions options) {
  auto api = std::make_shared<Api>(std::move(deps), options, router);
  const std::string session_path = std::string(kApiPrefix) + "session";
  router.Add("POST", session_path,
             [api](const http::Request& r, http::Respond respond) { SignIn(api, r, respond); });
  router.Add("GET", session_path,
             [api](const http::Request& r, http::Respond respond) { WhoAmI(api, r, respond); });
  router.Add("DELETE", session_path,
             [api](const http::Request& r, http::Respond respond) { SignOut(api, r, respond); });
  // Anything else under the API answers a JSON 404 (not the app's page).
  for (const char* method : {"GET", "POST", "PATCH", "PUT", "DELETE"}) {
    router.AddPrefix(method, std::string(kApiPrefix),
                     [](const http::Request& r, http::Respond respond) {
                       respond(Error(404, http::DefaultMessage(404), r.request_id));
                     });
  }
  if (api->deps.health != nullptr) {
    router.Add("GET", std::string(kApiPrefix) + "ops/health",
               MakeOperatorRead(api, [](Api& a) -> Result<std::string> {
                 std::string out = "{\"windows\":[";
                 AppendFigures(out, 10, a.deps.health->Over(10'000'000'000));
                 out += ',';
                 AppendFigures(out, 60, a.deps.health->Over(60'000'000'000));
                 out += "]}";
                 return out;
               }));
  }
  if (api->deps.ingest_status) {
    router.Add("GET", std::string(kApiPrefix) + "ops/ingest",
               MakeOperatorRead(api, [](Api& a) -> Result<std::string> {
                 Result<IngestStatus> st = a.deps.ingest_status();
                 if (!st.ok()) return st.status();
                 return IngestStatusJson(*st, a.deps.clock->NowMicros());
               }));
  }
  if (api->deps.usage) {
    router.Add("GET", std::string(kApiPrefix) + "usage",
               MakeSessionRead(api, store::SessionKind::kCustomer, UsageJson));
  }
  const std::string customer = std::string(kApiPrefix) + "v1/";
  router.AddPrefix("GET", customer,
                   MakeForward(api, store::SessionKind::kCustomer, customer, "/v1/"));
  const std::string admin = std::string(kApiPrefix) + "admin/";
  for (const char* method : {"GET", "POST", "PATCH", "PUT", "DELETE"}) {
    router.AddPrefix(method, admin,
                     MakeForward(api, store::SessionKind::kOperator, admin, "/admin/v1/"));
  }
}

}  // namespace soundtrend::dashboard
