// Routing: path -> (method -> handler), by exact path or by path prefix. Built before the
// server starts and immutable afterwards, so lookups from every event loop need no lock.
//
// A path is matched by its exact route first; when it has none, by the longest prefix
// route it starts with (AddPrefix), e.g. "/dashboard/" for "/dashboard/assets/app.js".
//
// HEAD: a path with a GET route and no HEAD route of its own answers HEAD with the GET
// handler (the server sends the headers and no body, RFC 9110 9.3.2); Allow lists HEAD
// beside GET.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/handler.h"

namespace soundtrend::http {

inline constexpr size_t kDefaultBodyLimit = 1 << 20;  // 1 MiB

struct RouteOptions {
  // Largest request body accepted on this route (413 above it).
  size_t body_limit = kDefaultBodyLimit;
  // Optional. Called on the event loop once the header is read and the route matched, and
  // before any byte of the body is read or buffered (e.g. a credentials check, so that a
  // refused request never costs its body's memory). The Request has every field but `body`
  // (empty) and `body_buffer` (null). Returns the response to send instead of calling the
  // handler (the connection is closed after it when a body was announced), or nullopt to
  // go on. Must not block.
  std::function<std::optional<Response>(const Request&)> before_body;
};

class Router {
 public:
  struct Route {
    std::string path;
    std::string method;
    Handler handler;
    RouteOptions options;
    size_t index = 0;     // dense index of the path, for per-route metrics
    bool prefix = false;  // a prefix route (AddPrefix): `path` is the prefix
  };

  enum class MatchKind { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Route* route = nullptr;    // kFound
    std::string_view allow;          // kMethodNotAllowed: the Allow header value
    size_t path_index = kUnmatched;  // index of the path when it exists
  };
  static constexpr size_t kUnmatched = static_cast<size_t>(-1);

  // Registers `handler` for `method` on the exact `path`. Registering the same method and
  // path twice replaces the handler. Not thread-safe: call before the server starts.
  void Add(std::string method, std::string path, Handler handler, RouteOptions options = {});
  // Registers `handler` for `method` on every path that starts with `prefix` and has no
  // exact route (the longest matching prefix wins). `prefix` must start and end with '/'
  // ("/dashboard/"); the handler sees the whole path. Its metrics label is `prefix` + "*".
  // Same replacement rule and thread-safety as Add.
  void AddPrefix(std::string method, std::string prefix, Handler handler,
                 RouteOptions options = {});

  // Thread-safe (const).
  Match Find(std::string_view method, std::string_view path) const;
  // The largest body limit of any method on `path` (kDefaultBodyLimit if unknown path);
  // used before the method is known to be routable.
  size_t BodyLimit(std::string_view method, std::string_view path) const;

  // The largest body limit of any route (at least kDefaultBodyLimit): the limit the server
  // applies while it reads a header, before the route is known.
  size_t max_body_limit() const { return max_body_limit_; }

  // Distinct registered paths (prefixes as "PREFIX*"), in registration order;
  // index = path_index.
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  struct PathEntry {
    std::string path;
    bool prefix = false;
    std::vector<Route> routes;
    std::string allow;  // "GET, POST"
  };
  void AddRoute(std::string method, std::string path, bool prefix, Handler handler,
                RouteOptions options);
  const PathEntry* FindPath(std::string_view path) const;
  std::vector<PathEntry> entries_;
  std::vector<std::string> paths_;
  size_t max_body_limit_ = kDefaultBodyLimit;
};

}  // namespace soundtrend::http
