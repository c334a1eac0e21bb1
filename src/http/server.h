// The HTTP/1.1 server: accepts connections, reads and bounds requests, routes them to
// handlers, writes responses, logs and counts them. It knows nothing of the domain.
//
// Design: one event loop per thread. Each of the N threads runs its own io_context with
// its own SO_REUSEPORT acceptor on the same port, so the kernel spreads connections across
// loops and a connection lives on one loop for its whole life: no locks on the request
// path, no cross-thread handoff except when a handler answers from another thread (the
// write is then posted back to the connection's loop).
//
// Limits: header bytes (431), header count (431), body bytes per route (413), idle time
// between requests and read/write time per request (the connection is closed). Keep-alive
// follows HTTP/1.1 rules. A body announced (Content-Length) above the route's limit is
// refused with 413 before it is read; `Expect: 100-continue` is answered with
// "100 Continue" otherwise.
//
// Shutdown (Stop): every loop stops accepting, closes connections that are waiting for a
// new request, lets in-flight requests finish (their responses carry Connection: close),
// and its thread returns once its last connection is gone. Wait() joins the threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "http/metrics.h"
#include "http/router.h"

namespace spdlog {
class logger;
}

namespace soundtrend::http {

struct ServerOptions {
  std::string host = "127.0.0.1";                  // numeric IPv4 or IPv6 address
  uint16_t port = 0;                               // 0: an ephemeral port (see Server::port())
  int threads = 1;                                 // event loops
  std::chrono::milliseconds idle_timeout{30000};   // waiting for the next request's header
  std::chrono::milliseconds read_timeout{30000};   // reading a request body
  std::chrono::milliseconds write_timeout{30000};  // writing a response
  size_t max_header_bytes = 8 * 1024;
  size_t max_header_count = 100;
  // Where the per-request line goes (info level); null: spdlog's default logger.
  std::shared_ptr<spdlog::logger> access_log;
  const Clock* clock = &SystemClock::Instance();  // latency and Date; not owned
};

// On a thread running one of the event loops of a Server: that loop's number, unique in
// the process (0, 1, ... over every Server's loops, in creation order), which only that
// thread ever gets. nullopt on any other thread. Lets a handler's dependency keep state per
// loop that one thread alone writes (e.g. a charge lane).
std::optional<uint32_t> CurrentLoopIndex();

class Server {
 public:
  // `router` and `metrics` must outlive the server; `router` must not change after Start.
  // `metrics` may be null (nothing is counted).
  Server(ServerOptions options, const Router& router, Metrics* metrics);
  ~Server();  // stops and joins if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every loop's acceptor and starts the threads. Returns the bound port, or an
  // IoError when the address cannot be bound. Call once.
  Result<uint16_t> Start();
  // Graceful shutdown (see above). Thread-safe, idempotent, returns at once.
  void Stop();
  // Blocks until every loop has finished. Call after Start.
  void Wait();

  uint16_t port() const;

 private:
  friend class Session;  // a connection (server.cc)
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soundtrend::http
