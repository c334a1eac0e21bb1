#include "http/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <ctime>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/json_writer.h"
#include "common/loop_executor.h"
#include "common/random.h"
#include "http/error.h"
#include "http/framing.h"
#include "http/response_head.h"

namespace soundtrend::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
// Sockets bound to the loop's own executor type: no type-erased executor to copy and
// destroy at every operation (beast::tcp_stream's cost on this path).
using Socket = net::basic_stream_socket<tcp, net::io_context::executor_type>;
using Acceptor = net::basic_socket_acceptor<tcp, net::io_context::executor_type>;
// Deadlines are in the injected clock's monotonic nanoseconds (0: none).
using Deadline = int64_t;

namespace {

using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

std::string_view ToView(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

class Session;
struct Loop;

namespace {
thread_local Loop* current_loop = nullptr;  // the loop this thread runs, if any
}  // namespace

// One event loop: an io_context run by one thread, its acceptor and its connections.
// Everything in a Loop is touched only from its own thread (Stop posts to it).
struct Loop {
  explicit Loop(uint64_t seed) : ioc(1), sweep(ioc), accept_pause(ioc), random(seed) {}
  // What code above the server posts to this loop through (common/loop_executor.h).
  struct Executor final : LoopExecutor {
    explicit Executor(net::io_context& c) : ioc(c) {}
    void Post(std::function<void()> task) override { net::post(ioc, std::move(task)); }
    net::io_context& ioc;
  };
  // CurrentLoopIndex(): unique in the process.
  const uint32_t number = next_number.fetch_add(1, std::memory_order_relaxed);
  static inline std::atomic<uint32_t> next_number{0};
  net::io_context ioc;
  Executor executor{ioc};
  std::optional<Acceptor> acceptor;
  std::unordered_set<Session*> sessions;
  bool draining = false;
  // Timeouts: each connection keeps the deadline of the operation it waits for (a plain
  // store, no timer per operation); this timer checks them every sweep_interval and closes
  // the connections past theirs. It stops once the loop drains its last connection.
  net::steady_timer sweep;
  std::chrono::milliseconds sweep_interval{1000};
  void Sweep();
  void CloseExpired(Deadline now);
  void StopSweepIfDrained() {
    if (draining && sessions.empty()) sweep.cancel();
  }
  // Accept back-off (see server.h): armed while accepting is paused.
  net::steady_timer accept_pause;
  int64_t accept_error_logged_nanos = 0;  // other accept errors: one line a second
  uint64_t accept_errors_unlogged = 0;
  // Lingering closes read into this and throw it away.
  std::array<char, 4096> discard{};
  const Clock* clock = nullptr;  // the server's (deadlines)
  SeededRandom random;           // request ids (seeded from the OS CSPRNG)
  std::thread thread;
  // Responses delivered from other threads (e.g. a ledger writer completing a batch of
  // charges) wait here; one posted handler sends all that arrived meanwhile, so a batch
  // costs the loop one wake-up, not one per response. inbox and inbox_posted are guarded
  // by inbox_mutex; inbox_spare is the loop thread's own.
  std::mutex inbox_mutex;
  std::vector<std::pair<std::shared_ptr<Session>, Response>> inbox;
  bool inbox_posted = false;
  std::vector<std::pair<std::shared_ptr<Session>, Response>> inbox_spare;
  // Cached Date header value, refreshed when the second changes.
  std::time_t date_second = 0;
  std::string date;
  const std::string& Date() {
    const std::time_t now = std::time(nullptr);
    if (now != date_second) {
      date_second = now;
      std::tm tm{};
      gmtime_r(&now, &tm);
      char buf[64];
      const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
      date.assign(buf, n);
    }
    return date;
  }
};

struct Server::Impl {
  Impl(ServerOptions o, const Router& r, Metrics* m)
      : options(std::move(o)), router(r), metrics(m) {}
  ServerOptions options;
  const Router& router;
  Metrics* metrics;
  std::vector<std::unique_ptr<Loop>> loops;
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
  bool started = false;
  bool joined = false;
  std::mutex join_mutex;

  void Accept(Loop& loop);
  int64_t accept_backoff_ms() const { return options.accept_backoff.count(); }
  void OnAcceptError(Loop& loop, beast::error_code ec);

  // The process-wide budget for buffered request bodies (ServerOptions). Lock-free; only
  // requests with a body touch it.
  std::atomic<size_t> buffered_body_bytes{0};
  bool ReserveBody(size_t n) {
    size_t current = buffered_body_bytes.load(std::memory_order_relaxed);
    do {
      if (n > options.max_buffered_body_bytes || current > options.max_buffered_body_bytes - n)
        return false;
    } while (!buffered_body_bytes.compare_exchange_weak(current, current + n,
                                                        std::memory_order_relaxed));
    if (metrics != nullptr) metrics->AddBufferedBodyBytes(static_cast<int64_t>(n));
    return true;
  }
  void ReleaseBody(size_t n) {
    if (n == 0) return;
    buffered_body_bytes.fetch_sub(n, std::memory_order_relaxed);
    if (metrics != nullptr) metrics->AddBufferedBodyBytes(-static_cast<int64_t>(n));
  }

  spdlog::logger& Log() const {
    return options.access_log ? *options.access_log : *spdlog::default_logger_raw();
  }
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket&& socket, Server::Impl& server, Loop& loop)
      : socket_(std::move(socket)), server_(server), loop_(loop) {}
  ~Session() { ReleaseBody(); }

  void Start() {
    loop_.sessions.insert(this);
    beast::error_code ec;
    const tcp::endpoint peer = socket_.remote_endpoint(ec);
    if (!ec) {
      remote_address_ = peer.address().to_string();
      client_ = peer.address().is_v6() ? "[" + remote_address_ + "]" : remote_address_;
      client_ += ':';
      client_ += std::to_string(peer.port());
    } else {
      client_ = "-";
    }
    ReadHeader();
    // Counted once its first deadline is set (a test waits for the count, then moves a
    // fake clock).
    if (server_.metrics != nullptr) server_.metrics->AddOpenConnections(1);
  }

  // Called on shutdown: closes the connection when it is waiting for a new request with
  // no byte of it received; otherwise the request finishes first.
  void CloseIfIdle() {
    if ((state_ == State::kIdle && buffer_.size() == 0) || state_ == State::kLingering) Close();
  }

  // Called by the loop's sweep: closes the connection when the operation it waits for has
  // passed its deadline (the pending read or write then completes with an error).
  void CloseIfPastDeadline(Deadline now) {
    if (deadline_ != 0 && now >= deadline_) Close();
  }

 private:
  enum class State { kIdle, kReadingBody, kHandling, kWriting, kLingering, kClosed };

  // Shared by the handler's Respond copies: delivers the first response to the loop, and a
  // 500 if the handler dropped every copy without answering. Once it has delivered, it
  // holds neither the session nor the loop's work guard: a caller may keep a Respond copy
  // long after answering (a ledger writer that frees its callbacks late) without keeping
  // the loop alive at shutdown or the session past its io_context.
  struct Responder {
    Responder(std::shared_ptr<Session> s)
        : session(std::move(s)), work(net::make_work_guard(session->loop_.ioc)) {}
    ~Responder() {
      if (!done.load(std::memory_order_acquire)) {
        session->server_.Log().error("handler for {} returned without responding",
                                     session->request_.path);
        Deliver(ErrorResponse(500, kInternalErrorMessage, session->request_id_));
      }
    }
    void Deliver(Response r) {
      if (done.exchange(true, std::memory_order_acq_rel)) return;
      Loop& loop = session->loop_;
      if (loop.ioc.get_executor().running_in_this_thread()) {
        std::shared_ptr<Session> s = std::move(session);
        s->Send(std::move(r));
        work.reset();
        return;
      }
      // From another thread: queue it in the loop's inbox; the first response of a batch
      // posts the handler that drains it (which is work of its own: the guard can go).
      bool post = false;
      {
        std::lock_guard<std::mutex> lock(loop.inbox_mutex);
        loop.inbox.emplace_back(std::move(session), std::move(r));
        post = !loop.inbox_posted;
        loop.inbox_posted = true;
      }
      if (post) {
        net::post(loop.ioc, [&loop] {
          {
            std::lock_guard<std::mutex> lock(loop.inbox_mutex);
            loop.inbox.swap(loop.inbox_spare);
            loop.inbox_posted = false;
          }
          for (auto& [s, response] : loop.inbox_spare) s->Send(std::move(response));
          loop.inbox_spare.clear();
        });
      }
      work.reset();
    }
    std::shared_ptr<Session> session;
    net::executor_work_guard<net::io_context::executor_type> work;
    std::atomic<bool> done{false};
  };

  void ReadHeader() {
    state_ = State::kIdle;
    parser_.emplace();
    // Beast's own bound keeps the buffer small; the exact limit is checked on the bytes the
    // header took (OnHeader), since Beast's count differs from it by a few bytes.
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes + 64));
    // Beast checks Content-Length against this while it parses the header, before the
    // route is known: use the largest limit of any route here, the route's own after.
    parser_->body_limit(server_.router.max_body_limit());
    // A chunked body is stored here rather than by the parser, so that it draws on the
    // body budget as it arrives (its length is not known in advance).
    parser_->on_chunk_body(on_chunk_body_);
    SetDeadline(server_.options.idle_timeout);
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t header_bytes) {
          self->OnHeader(ec, header_bytes);
        });
  }

  void OnHeader(beast::error_code ec, std::size_t header_bytes) {
    if (ec) return OnReadError(ec);
    received_nanos_ = server_.options.clock->MonotonicNanos();
    request_id_ = loop_.random.UuidV4();
    auto& msg = parser_->get();
    HeaderSummary summary;
    summary.version = msg.version();
    size_t count = 0;
    for (const auto& field : msg) {
      ++count;
      switch (field.name()) {
        case bhttp::field::host:
          ++summary.host_lines;
          break;
        case bhttp::field::authorization:
          ++summary.authorization_lines;
          break;
        case bhttp::field::content_length:
          ++summary.content_length_lines;
          break;
        case bhttp::field::transfer_encoding:
          ++summary.transfer_encoding_lines;
          summary.transfer_encoding = ToView(field.value());
          break;
        default:
          break;
      }
    }
    if (header_bytes > server_.options.max_header_bytes ||
        count > server_.options.max_header_count) {
      return SendAndClose(431, DefaultMessage(431));
    }
    const FramingVerdict framing = CheckFraming(summary);
    if (!framing.ok()) return SendAndClose(framing.status, framing.message);
    const RequestTarget target =
        ParseRequestTarget(ToView(msg.method_string()), ToView(msg.target()));
    if (!target.ok) {
      return SendAndClose(400,
                          "Bad request: the request target must be a path (or an absolute URI)");
    }
    path_ = target.path;
    query_ = target.query;
    match_ = server_.router.Find(ToView(msg.method_string()), path_);
    const bool has_body = !parser_->is_done();
    // From here on a refusal is decided before any byte of the body is read (Refuse).
    if (server_.options.cors.enabled()) origin_ = ToView(msg[bhttp::field::origin]);
    if (match_.kind == Router::MatchKind::kMethodNotAllowed &&
        CorsPolicy::IsPreflight(ToView(msg.method_string()),
                                ToView(msg[bhttp::field::access_control_request_method]))) {
      Response r = server_.options.cors.Preflight(ToView(msg[bhttp::field::origin]), match_.allow,
                                                  request_id_);
      origin_ = {};  // the preflight carries its own CORS headers
      return Refuse(std::move(r), has_body);
    }
    if (match_.kind != Router::MatchKind::kFound) {
      Response r = ErrorResponse(
          match_.kind == Router::MatchKind::kNotFound ? 404 : 405,
          DefaultMessage(match_.kind == Router::MatchKind::kNotFound ? 404 : 405), request_id_);
      if (match_.kind == Router::MatchKind::kMethodNotAllowed) {
        r.headers.emplace_back("Allow", std::string(match_.allow));
      }
      return Refuse(std::move(r), has_body);
    }
    FillRequest();
    if (match_.route->options.before_body) {
      std::optional<Response> early;
      try {
        early = match_.route->options.before_body(request_);
      } catch (const std::exception& e) {
        server_.Log().error("before_body for {} threw: {} request_id={}", path_, e.what(),
                            request_id_);
        early = ErrorResponse(500, kInternalErrorMessage, request_id_);
      }
      if (early) return Refuse(std::move(*early), has_body);
    }
    if (!has_body) return Dispatch();
    state_ = State::kReadingBody;
    SetDeadline(server_.options.read_timeout);
    // A body announced above the limit is refused before it is read (and before a client
    // waiting for "100 Continue" sends it).
    const size_t limit = match_.route->options.body_limit;
    if (const auto length = parser_->content_length()) {
      if (*length > limit) return SendAndClose(413, DefaultMessage(413));
      if (!server_.ReserveBody(static_cast<size_t>(*length))) return RefuseOverBudget();
      body_reserved_ = static_cast<size_t>(*length);
    }
    parser_->body_limit(limit);  // bounds a chunked body too
    if (beast::iequals(msg[bhttp::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->Close();
                                self->ReadBody();
                              });
    }
    ReadBody();
  }

  // Sends a refusal decided from the header. Without a body, or with a small one of known
  // length (at most kDiscardBodyBytes, within the budget), the connection stays usable: the
  // body is read first and dropped (nginx discards it the same way). Otherwise the
  // refusal is sent at once and the connection closes after it (a lingering close), since
  // the unread body would be taken for the next request.
  static constexpr size_t kDiscardBodyBytes = 64 * 1024;
  void Refuse(Response response, bool has_body) {
    state_ = State::kHandling;
    deadline_ = 0;
    if (!has_body) return Send(std::move(response));
    const auto length = parser_->content_length();
    // A client that waits for "100 Continue" sends no body: answer it at once.
    const bool waits = beast::iequals(parser_->get()[bhttp::field::expect], "100-continue");
    if (length && *length <= kDiscardBodyBytes && !waits &&
        server_.ReserveBody(static_cast<size_t>(*length))) {
      body_reserved_ = static_cast<size_t>(*length);
      parser_->body_limit(*length);
      state_ = State::kReadingBody;
      SetDeadline(server_.options.read_timeout);
      refusal_ = std::move(response);
      return bhttp::async_read(socket_, buffer_, *parser_,
                               [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (ec) return self->Close();
                                 self->state_ = State::kHandling;
                                 self->deadline_ = 0;
                                 self->Send(std::move(*self->refusal_));
                               });
    }
    force_close_ = true;
    Send(std::move(response));
  }

  // A chunk of a chunked body: counted against the budget, then stored.
  std::size_t OnChunkBody(beast::string_view chunk, beast::error_code& ec) {
    if (!server_.ReserveBody(chunk.size())) {
      over_budget_ = true;
      ec = bhttp::error::body_limit;
      return 0;
    }
    body_reserved_ += chunk.size();
    parser_->get().body().append(chunk.data(), chunk.size());
    return chunk.size();
  }

  void RefuseOverBudget() {
    if (server_.metrics != nullptr) server_.metrics->CountBodyBudgetRefusal();
    force_close_ = true;
    Response r = ErrorResponse(503, DefaultMessage(503), request_id_);
    r.headers.emplace_back("Retry-After", "1");
    Send(std::move(r));
  }

  void ReleaseBody() {
    server_.ReleaseBody(body_reserved_);
    body_reserved_ = 0;
  }

  void ReadBody() {
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->OnReadError(ec);
                        self->Dispatch();
                      });
  }

  void OnReadError(beast::error_code ec) {
    if (over_budget_) return RefuseOverBudget();
    if (ec == bhttp::error::header_limit) return SendAndClose(431, DefaultMessage(431));
    if (ec == bhttp::error::body_limit) return SendAndClose(413, DefaultMessage(413));
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::bad_descriptor ||
        ec == net::error::connection_reset || ec == bhttp::error::partial_message) {
      return Close();
    }
    // Any other parse error: the request is malformed.
    SendAndClose(400, DefaultMessage(400));
  }

  void SendAndClose(int status, std::string_view message) {
    if (request_id_.empty()) request_id_ = loop_.random.UuidV4();
    if (received_nanos_ == 0) received_nanos_ = server_.options.clock->MonotonicNanos();
    force_close_ = true;
    Send(ErrorResponse(status, message, request_id_));
  }

  // The request as handlers see it, all but the body.
  void FillRequest() {
    auto& msg = parser_->get();
    request_.method = ToView(msg.method_string());
    request_.path = path_;
    request_.query = query_;
    request_.body = {};
    request_.body_buffer = nullptr;
    request_.request_id = request_id_;
    request_.remote_address = remote_address_;
    request_.received_nanos = received_nanos_;
    request_.header = [m = &msg](std::string_view name) -> std::string_view {
      auto it = m->find(boost::beast::string_view(name.data(), name.size()));
      return it == m->end() ? std::string_view{} : ToView(it->value());
    };
  }

  void Dispatch() {
    state_ = State::kHandling;
    deadline_ = 0;
    auto& msg = parser_->get();
    request_.body = msg.body();
    body_.clear();  // the previous response's, written: its capacity is the handler's to reuse
    request_.body_buffer = &body_;
    auto responder = std::make_shared<Responder>(shared_from_this());
    try {
      match_.route->handler(request_,
                            [responder](Response r) { responder->Deliver(std::move(r)); });
    } catch (const std::exception& e) {
      server_.Log().error("handler for {} threw: {} request_id={}", path_, e.what(), request_id_);
      responder->Deliver(ErrorResponse(500, kInternalErrorMessage, request_id_));
    }
  }

  void Send(Response r) {
    if (state_ == State::kClosed) return;
    state_ = State::kWriting;
    if (!origin_.empty() && server_.options.cors.Allows(origin_)) {
      server_.options.cors.AddResponseHeaders(origin_, r);
    }
    status_ = r.status;
    key_id_ = std::move(r.key_id);
    keep_alive_ = !force_close_ && !loop_.draining && parser_ && parser_->is_done() &&
                  parser_->get().keep_alive();
    const bool head_request = parser_ && parser_->get().method() == bhttp::verb::head;
    // A response to HEAD has the headers a GET would have and no body (RFC 9110 9.3.2).
    AppendResponseHead(
        r, {loop_.Date(), request_id_, keep_alive_, r.body.size(), server_.options.server_name},
        head_);
    body_ = std::move(r.body);
    if (head_request) body_.clear();
    SetDeadline(server_.options.write_timeout);
    const std::array<net::const_buffer, 2> buffers = {net::buffer(head_), net::buffer(body_)};
    net::async_write(socket_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnWritten(ec);
    });
  }

  void OnWritten(beast::error_code ec) {
    deadline_ = 0;
    const int64_t latency = server_.options.clock->MonotonicNanos() - received_nanos_;
    const size_t route_index =
        match_.path_index == Router::kUnmatched ? static_cast<size_t>(-1) : match_.path_index;
    if (server_.metrics != nullptr) server_.metrics->Record(route_index, status_, latency);
    std::string_view method = parser_ ? ToView(parser_->get().method_string()) : "-";
    spdlog::logger& log = server_.Log();
    if (log.should_log(spdlog::level::info)) {
      if (method.empty()) method = "-";
      if (server_.options.access_log_json) {
        std::string line;
        line.reserve(256 + query_.size());
        line += "{\"event\":\"request\",\"method\":";
        json::AppendString(line, json::IsValidUtf8(method) ? method : "-");
        line += ",\"path\":";
        json::AppendString(line, json::IsValidUtf8(path_) ? path_ : "<not UTF-8>");
        line += ",\"query\":";
        json::AppendString(line, json::IsValidUtf8(query_) ? query_ : "<not UTF-8>");
        line += ",\"status\":";
        json::AppendInt(line, status_);
        line += ",\"latency_us\":";
        json::AppendInt(line, latency / 1000);
        line += ",\"request_id\":";
        json::AppendString(line, request_id_);
        line += ",\"key_id\":";
        if (key_id_.empty()) {
          line += "null";
        } else {
          json::AppendString(line, key_id_);
        }
        line += ",\"client\":";
        json::AppendString(line, client_);
        if (ec) {
          line += ",\"write_error\":";
          json::AppendString(line, ec.message());
        }
        line += '}';
        log.info("{}", line);
      } else {
        log.info(
            "request method={} path={} query={} status={} latency_us={} request_id={} key_id={} "
            "client={}{}",
            method, path_.empty() ? "-" : path_, query_.empty() ? "-" : query_, status_,
            latency / 1000, request_id_, key_id_.empty() ? "-" : key_id_, client_,
            ec ? " write_error=" + ec.message() : "");
      }
    }
    // The request's body (and its share of the budget) is no longer needed.
    ReleaseBody();
    if (ec || !keep_alive_) {
      beast::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      if (!ec && force_close_) return Linger();
      return Close();
    }
    parser_.reset();
    // Next request on the same connection.
    request_id_.clear();
    key_id_.clear();
    received_nanos_ = 0;
    path_ = {};
    query_ = {};
    origin_ = {};
    match_ = {};
    request_ = {};
    if (loop_.draining) return Close();
    ReadHeader();
  }

  // After a refusal, what the client still sends (an unread body) is read and thrown away
  // until it closes its side or linger_timeout passes, so that its reading the response is
  // not cut short by a reset (closing a socket with unread bytes sends RST).
  void Linger() {
    state_ = State::kLingering;
    parser_.reset();
    buffer_.clear();
    SetDeadline(server_.options.linger_timeout);
    LingerRead();
  }
  void LingerRead() {
    socket_.async_read_some(net::buffer(loop_.discard),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->state_ != State::kLingering) return self->Close();
                              self->LingerRead();
                            });
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    deadline_ = 0;
    loop_.sessions.erase(this);
    if (server_.metrics != nullptr) server_.metrics->AddOpenConnections(-1);
    beast::error_code ignored;
    socket_.close(ignored);
    loop_.StopSweepIfDrained();
  }

  void SetDeadline(std::chrono::milliseconds timeout) {
    deadline_ = server_.options.clock->MonotonicNanos() +
                std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  }

  Socket socket_;
  beast::flat_buffer buffer_;
  Server::Impl& server_;
  Loop& loop_;
  State state_ = State::kIdle;
  Deadline deadline_ = 0;  // of the pending read or write; zero while handling
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;  // status line and headers of the response being written
  std::string body_;
  bool keep_alive_ = false;
  std::string request_id_;
  std::string remote_address_;  // the peer's, read once per connection
  std::string key_id_;
  std::string client_;  // "address:port" of the peer, for the access log
  int64_t received_nanos_ = 0;
  int status_ = 0;
  bool force_close_ = false;
  bool over_budget_ = false;         // a chunk found the body budget spent
  std::optional<Response> refusal_;  // sent once the small body it refuses is read
  size_t body_reserved_ = 0;         // this request's share of the body budget
  std::function<std::size_t(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk_body_ =
      [this](std::uint64_t, beast::string_view chunk, beast::error_code& ec) {
        return OnChunkBody(chunk, ec);
      };
  std::string_view path_;
  std::string_view query_;
  std::string_view origin_;  // the request's Origin when CORS is on (views the parser's header)
  Router::Match match_;
  Request request_;
};

void Loop::Sweep() {
  sweep.expires_after(sweep_interval);
  sweep.async_wait([this](beast::error_code ec) {
    if (ec) return;  // cancelled: the loop has drained
    CloseExpired(clock->MonotonicNanos());
    if (draining && sessions.empty()) return;
    Sweep();
  });
}

void Loop::CloseExpired(Deadline now) {
  std::vector<Session*> all(sessions.begin(), sessions.end());  // Close erases
  for (Session* session : all) session->CloseIfPastDeadline(now);
}

void Server::Impl::Accept(Loop& loop) {
  loop.acceptor->async_accept([this, &loop](beast::error_code ec, Socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !loop.acceptor->is_open()) return;
      return OnAcceptError(loop, ec);
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), *this, loop)->Start();
    if (!loop.draining && loop.acceptor->is_open()) Accept(loop);
  });
}

void Server::Impl::OnAcceptError(Loop& loop, beast::error_code ec) {
  if (metrics != nullptr) metrics->CountAcceptError();
  const int e = ec.value();
  const bool exhausted = ec.category() == boost::system::system_category() &&
                         (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
  if (exhausted) {
    // Retrying at once would fail again at once (the pending connection stays queued):
    // pause this loop's accepting, as nginx does, and say so once per pause.
    Log().warn("accept failed: {}; not accepting new connections for {} ms", ec.message(),
               accept_backoff_ms());
    loop.accept_pause.expires_after(options.accept_backoff);
    loop.accept_pause.async_wait([this, &loop](beast::error_code wait_ec) {
      if (wait_ec || loop.draining || !loop.acceptor->is_open()) return;
      Accept(loop);
    });
    return;
  }
  // Anything else (e.g. a connection reset before it was accepted) concerns one
  // connection: go on at once, and log at most one line a second.
  ++loop.accept_errors_unlogged;
  const int64_t now = options.clock->MonotonicNanos();
  if (loop.accept_error_logged_nanos == 0 || now - loop.accept_error_logged_nanos >= 1000000000) {
    Log().warn("accept failed: {} ({} since the last such line)", ec.message(),
               loop.accept_errors_unlogged);
    loop.accept_errors_unlogged = 0;
    loop.accept_error_logged_nanos = now;
  }
  if (!loop.draining && loop.acceptor->is_open()) Accept(loop);
}

Server::Server(ServerOptions options, const Router& router, Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() {
  if (impl_->started) {
    Stop();
    Wait();
  }
}

Result<uint16_t> Server::Start() {
  Impl& s = *impl_;
  if (s.started) return Status::FailedPrecondition("server already started");
  if (s.metrics != nullptr) s.metrics->SetRoutes(s.router.paths());
  beast::error_code ec;
  const auto address = net::ip::make_address(s.options.host, ec);
  if (ec) return Status::InvalidArgument("not a numeric address: " + s.options.host);
  uint16_t port = s.options.port;
  const int threads = std::max(1, s.options.threads);
  for (int i = 0; i < threads; ++i) {
    auto loop = std::make_unique<Loop>(SecureRandom::Instance().NextU64());
    loop->clock = s.options.clock;
    tcp::endpoint endpoint(address, port);
    Acceptor& a = loop->acceptor.emplace(loop->ioc);
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) a.set_option(ReusePort(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::IoError("cannot listen on " + s.options.host + ":" + std::to_string(port) +
                             ": " + ec.message());
    }
    port = a.local_endpoint().port();
    s.loops.push_back(std::move(loop));
  }
  s.port = port;
  s.started = true;
  // Every timeout is checked at least four times over its length (5 ms to 1 s apart).
  const auto shortest =
      std::min({s.options.idle_timeout, s.options.read_timeout, s.options.write_timeout});
  const auto interval =
      std::clamp(shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
  for (auto& loop : s.loops) {
    loop->sweep_interval = interval;
    loop->Sweep();
    s.Accept(*loop);
    Loop* l = loop.get();
    l->thread = std::thread([l] {
      current_loop = l;
      SetCurrentLoopExecutor(&l->executor);
      l->ioc.run();
      SetCurrentLoopExecutor(nullptr);
    });
  }
  return port;
}

void Server::Stop() {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  for (auto& loop : s.loops) {
    Loop* l = loop.get();
    net::post(l->ioc, [l] {
      l->draining = true;
      beast::error_code ignored;
      if (l->acceptor) l->acceptor->close(ignored);
      l->accept_pause.cancel();
      std::vector<Session*> sessions(l->sessions.begin(), l->sessions.end());
      for (Session* session : sessions) session->CloseIfIdle();
      l->StopSweepIfDrained();
    });
  }
}

void Server::Wait() {
  std::lock_guard<std::mutex> lock(impl_->join_mutex);
  if (impl_->joined) return;
  for (auto& loop : impl_->loops)
    if (loop->thread.joinable()) loop->thread.join();
  impl_->joined = true;
}

uint16_t Server::port() const { return impl_->port; }

void Server::CheckTimeoutsNow() {
  for (auto& loop : impl_->loops) {
    std::promise<void> done;
    Loop* l = loop.get();
    net::post(l->ioc, [l, &done] {
      l->CloseExpired(l->clock->MonotonicNanos());
      done.set_value();
    });
    done.get_future().wait();
  }
}

std::optional<uint32_t> CurrentLoopIndex() {
  if (current_loop == nullptr) return std::nullopt;
  return current_loop->number;
}

net::io_context* CurrentLoopIoContext() {
  return current_loop == nullptr ? nullptr : &current_loop->ioc;
}

void Server::RunOnEveryLoop(const std::function<void()>& task) {
  for (auto& loop : impl_->loops) net::post(loop->ioc, task);
}

}  // namespace soundtrend::http
