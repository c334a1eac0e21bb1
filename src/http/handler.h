// The contract between the HTTP server and the code that answers requests. The server
// (http/server.h) owns sockets, parsing, limits and timeouts; handlers see only this.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soundtrend::http {

// A request as the handler sees it. Every view stays valid until the handler's Respond
// has been called.
struct Request {
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // raw path, without the query ("/v1/tiktok/trending/music")
  std::string_view query;   // raw query string without '?', still percent-encoded
  std::string_view body;
  std::string_view request_id;  // uuid, also sent back as X-Request-Id
  // The TCP peer's address ("127.0.0.1", "::1"); empty when unknown.
  std::string_view remote_address;
  int64_t received_nanos = 0;  // monotonic time the request was read
  // Header value by case-insensitive name; empty when absent.
  std::function<std::string_view(std::string_view)> header;
  // Optional (may be null): an empty string that keeps the capacity of the connection's
  // previous response body. During the handler call (not later), a handler may swap it
  // into its Response's body before writing the body, so that a large body is not
  // allocated anew for every request.
  std::string* body_buffer = nullptr;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Logged with the request line (the key's public id, never the key).
  std::string key_id;
};

// Called exactly once, from any thread; the server writes the response on the
// connection's own executor.
using Respond = std::function<void(Response)>;
using Handler = std::function<void(const Request&, Respond)>;

}  // namespace soundtrend::http
