#include "http/cors.h"

#include "http/error.h"

namespace soundtrend::http {

namespace {
constexpr std::string_view kExposed =
    "X-Request-Id, X-Credits-Remaining, RateLimit, RateLimit-Policy, Retry-After";
constexpr std::string_view kAllowedHeaders =
    "Authorization, Content-Type, Idempotency-Key, Content-Encoding";
}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins)
    : origins_(std::move(allowed_origins)) {
  for (const auto& o : origins_) any_ |= o == "*";
}

bool CorsPolicy::Allows(std::string_view origin) const {
  if (origin.empty() || origin == "null") return false;
  if (any_) return true;
  for (const auto& o : origins_)
    if (o == origin) return true;
  return false;
}

void CorsPolicy::AddResponseHeaders(std::string_view origin, Response& response) const {
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  response.headers.emplace_back("Access-Control-Expose-Headers", std::string(kExposed));
  response.headers.emplace_back("Vary", "Origin");
}

Response CorsPolicy::Preflight(std::string_view origin, std::string_view allow_methods,
                               std::string_view request_id) const {
  if (!Allows(origin)) {
    Response r = ErrorResponse(403, "CORS origin not allowed", request_id);
    r.headers.emplace_back("Vary", "Origin");
    return r;
  }
  Response r;
  r.status = 204;
  r.content_type.clear();  // no body: no Content-Type (RFC 9110 8.3)
  r.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  r.headers.emplace_back("Access-Control-Allow-Methods", std::string(allow_methods));
  r.headers.emplace_back("Access-Control-Allow-Headers", std::string(kAllowedHeaders));
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  r.headers.emplace_back("Vary", "Origin");
  return r;
}

}  // namespace soundtrend::http
