// CORS (Fetch standard) for browser clients on other origins, with an explicit list of
// allowed origins (none by default: no CORS header is ever sent). Pure functions; the
// server calls them for every request that carries an Origin header.
//
// - A request from an allowed origin gets Access-Control-Allow-Origin: <that origin>,
//   Access-Control-Expose-Headers (the rate-limit, credit and request-id headers) and
//   Vary: Origin. "*" in the list allows every origin (still echoed, never "*", and without
//   credentials).
// - A preflight (OPTIONS with Access-Control-Request-Method) is answered by the server
//   itself: 204 with Access-Control-Allow-Methods (the path's methods),
//   Access-Control-Allow-Headers (Authorization, Content-Type, Idempotency-Key,
//   Content-Encoding) and Access-Control-Max-Age from an allowed origin; 403 (error
//   envelope) from any other; 404 for an unknown path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/handler.h"

namespace soundtrend::http {

class CorsPolicy {
 public:
  CorsPolicy() = default;
  explicit CorsPolicy(std::vector<std::string> allowed_origins);

  bool enabled() const { return !origins_.empty(); }
  // Whether `origin` (an Origin header value) may read responses.
  bool Allows(std::string_view origin) const;
  // Adds the headers of an actual (non-preflight) response for an allowed origin.
  void AddResponseHeaders(std::string_view origin, Response& response) const;
  // The preflight answer: `allow_methods` is the path's Allow list ("GET, HEAD").
  Response Preflight(std::string_view origin, std::string_view allow_methods,
                     std::string_view request_id) const;

  static bool IsPreflight(std::string_view method, std::string_view request_method_header) {
    return method == "OPTIONS" && !request_method_header.empty();
  }

 private:
  std::vector<std::string> origins_;
  bool any_ = false;
};

}  // namespace soundtrend::http
