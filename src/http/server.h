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
// follows HTTP/1.1 rules. Framing follows RFC 9112 (http/framing.h: Transfer-Encoding,
// Content-Length, Host, duplicate Authorization, absolute-form targets).
//
// Nothing is read of a body before the request is known to be wanted: once the header is
// read, an unknown path or method (404/405), a framing error (400/501), the route's
// before_body check (e.g. credentials: RouteOptions), a body announced above the route's
// limit (413) and a body that would pass the process-wide budget for buffered bodies (503,
// Retry-After) are answered at once; `Expect: 100-continue` is answered with
// "100 Continue" only after all of these. A chunked body draws on the budget as it arrives
// (503 once spent). A refused request's body of known length up to 64 KiB is read and
// dropped, and the connection stays usable (nginx discards it alike); a larger or chunked
// one is never read: the connection is closed after the response, the server first
// reading and discarding what the client still sends for up to linger_timeout (nginx's
// lingering close), so the client reads the answer, not a reset.
//
// Accept: when accept() fails for want of file descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM), the loop stops accepting for accept_backoff and logs one line per
// pause; connections it serves already go on. Every failure is counted
// (soundtrend_accept_errors_total). Other accept errors are retried at once and logged at
// most once a second.
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
#include "http/cors.h"
#include "http/metrics.h"
#include "http/router.h"

namespace spdlog {
class logger;
}
namespace boost::asio {
class io_context;
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
  // Request bodies held in memory, all connections together (see above).
  size_t max_buffered_body_bytes = size_t{512} << 20;
  std::chrono::milliseconds accept_backoff{500};   // pause after EMFILE/ENFILE (nginx: 500 ms)
  std::chrono::milliseconds linger_timeout{2000};  // discard what follows a refused request
  // The Server header every response carries (e.g. "soundtrend/0.1.0"); empty: none.
  std::string server_name;
  // Browser origins allowed to read responses (http/cors.h); none by default. The server
  // answers their preflights itself and adds the CORS headers to their responses.
  CorsPolicy cors;
  // Where the per-request line goes (info level); null: spdlog's default logger. The line
  // has the method, path, raw query string, status, latency, request id, key id (never the
  // key) and the client's address: as text ("request method=GET path=/x query=a=1 ...
  // client=127.0.0.1:5000"), or with access_log_json as one JSON object
  // ({"event":"request","method":...,"client":"127.0.0.1:5000"}) for a JSON formatter to
  // merge into its line (app/logging.h).
  std::shared_ptr<spdlog::logger> access_log;
  bool access_log_json = false;
  // Latency and the timeouts' deadlines (a FakeClock makes them exact in tests; see
  // Server::CheckTimeoutsNow); not owned.
  const Clock* clock = &SystemClock::Instance();
};

// On a thread running one of the event loops of a Server: that loop's number, unique in
// the process (0, 1, ... over every Server's loops, in creation order), which only that
// thread ever gets. nullopt on any other thread. Lets a handler's dependency keep state per
// loop that one thread alone writes (e.g. a charge lane).
std::optional<uint32_t> CurrentLoopIndex();
// On a loop's thread: that loop's io_context (for a client driven by the loop, e.g. the
// shared rate limit's Redis connection); null on any other thread.
boost::asio::io_context* CurrentLoopIoContext();

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

  // Runs `task` once on every loop, on its thread (posted; returns at once). Call after
  // Start, before Stop.
  void RunOnEveryLoop(const std::function<void()>& task);

  // Closes now, on every loop, the connections past their deadline (what each loop's timer
  // does every sweep interval), and returns when done. Lets a test with a FakeClock check
  // a timeout at its boundary without waiting for the timer. Call while running.
  void CheckTimeoutsNow();

 private:
  friend class Session;  // a connection (server.cc)
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soundtrend::http
