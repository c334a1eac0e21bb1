// The server over real loopback sockets, with raw bytes: framing (RFC 9112), the checks
// made before a body is read, the body budget, the limits at their boundaries, the
// accept back-off. Regression tests for issue 12 (defects 1, 2, 4).
#include "http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "http/error.h"
#include "http/metrics.h"
#include "http/router.h"

namespace soundtrend::http {
namespace {

namespace bhttp = boost::beast::http;

struct RawReply {
  int status = 0;  // 0: no response (closed or reset first)
  std::string body;
  std::string retry_after;
  bool keep_alive = false;
};

// One blocking client connection; a hung server fails the test through the receive
// timeout (20 s), never through a timed expectation.
class Conn {
 public:
  explicit Conn(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  // Made but not connected: Connect() later (needs no new descriptor).
  struct Deferred {};
  Conn(Deferred) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  bool Connect(uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    return connected_;
  }
  ~Conn() { ::close(fd_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (status 0 if the connection ends first).
  RawReply Read() {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      if (pending_.size() > 0) {
        const size_t used = parser.put(pending_.data(), ec);
        pending_.consume(used);
        if (ec == bhttp::error::need_more) {
          ec = {};
        } else if (ec) {
          return {};
        } else if (used > 0) {
          continue;
        }
      }
      char buf[16384];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (n == 0 && parser.is_header_done()) parser.put_eof(ec);
        if (!parser.is_done()) return {};
        break;
      }
      auto dst = pending_.prepare(static_cast<size_t>(n));
      std::memcpy(dst.data(), buf, static_cast<size_t>(n));
      pending_.commit(static_cast<size_t>(n));
    }
    RawReply r;
    r.status = static_cast<int>(parser.get().result_int());
    r.body = parser.get().body();
    r.retry_after = std::string(parser.get()[bhttp::field::retry_after]);
    r.keep_alive = parser.get().keep_alive();
    return r;
  }

  // True when nothing is there to read and the connection is still open (no wait).
  bool OpenAndQuiet() {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  // Reads until the connection ends; returns the bytes received.
  size_t Drain() {
    size_t total = pending_.size();
    pending_.clear();
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return total;
      total += static_cast<size_t>(n);
    }
  }
  void SetReceiveBuffer(int bytes) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }

  // True when the server has closed the connection (EOF or reset) before sending more.
  bool ServerClosed() {
    if (pending_.size() > 0) return false;
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_;
  bool connected_ = false;
  boost::beast::flat_buffer pending_;
};

// Keeps every log line; Count reads them under the sink's own lock.
class LineSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  size_t Count(std::string_view text) {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t n = 0;
    for (const std::string& line : lines_) n += line.find(text) != std::string::npos;
    return n;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

// A server with an echo route (counts its calls), a route whose before_body check wants
// "Authorization: Bearer good", and /healthz.
class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    router_.Add("POST", "/echo", [this](const Request& req, Respond respond) {
      calls_.fetch_add(1);
      Response r;
      r.content_type = "text/plain";
      r.body = std::string(req.body);
      respond(std::move(r));
    });
    router_.Add("GET", "/big", [](const Request&, Respond respond) {
      Response r;
      r.content_type = "text/plain";
      r.body.assign(32u << 20, 'b');
      respond(std::move(r));
    });
    router_.Add("GET", "/healthz", [this](const Request& req, Respond respond) {
      calls_.fetch_add(1);
      Response r;
      r.body = "{\"status\":\"ok\",\"auth\":\"" + std::string(req.header("Authorization")) + "\"}";
      respond(std::move(r));
    });
    RouteOptions guarded;
    guarded.body_limit = size_t{256} << 20;
    guarded.before_body = [](const Request& req) -> std::optional<Response> {
      if (req.header("Authorization") == "Bearer good") return std::nullopt;
      return ErrorResponse(401, "token is invalid", req.request_id);
    };
    router_.Add(
        "POST", "/guarded",
        [this](const Request& req, Respond respond) {
          calls_.fetch_add(1);
          Response r;
          r.body = std::to_string(req.body.size());
          respond(std::move(r));
        },
        guarded);
    log_ = std::make_shared<LineSink>();
    options.access_log = std::make_shared<spdlog::logger>("server_test", log_);
    server_ = std::make_unique<Server>(options, router_, &metrics_);
    auto port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
  }

  void TearDown() override {
    if (server_) {
      server_->Stop();
      server_->Wait();
    }
  }

  RawReply Exchange(std::string_view bytes) {
    Conn c(port_);
    EXPECT_TRUE(c.Send(bytes));
    return c.Read();
  }

  size_t LogLinesContaining(std::string_view text) { return log_->Count(text); }

  SystemClock clock_;
  Metrics metrics_{clock_};
  Router router_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::atomic<int> calls_{0};
  std::shared_ptr<LineSink> log_;
};

// Waits for a state the server reaches on its own (e.g. after writing an answer the client
// has already read), up to 20 s: a server that never reaches it fails the test.
template <typename Pred>
bool WaitUntil(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

constexpr std::string_view kHealthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

// --- RFC 9112 framing (defect 4) -----------------------------------------------------

TEST_F(ServerTest, ATransferEncodingOtherThanAFinalChunkedIsRefusedAndNothingIsSmuggled) {
  StartServer();
  for (std::string_view te : {"gzip", "identity", "chunked, gzip", "chunked,identity"}) {
    Conn c(port_);
    const std::string smuggled = std::string(kHealthz);
    ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + std::string(te) +
                       "\r\n\r\n" + smuggled));
    const RawReply r = c.Read();
    EXPECT_EQ(r.status, 400) << te;
    EXPECT_FALSE(r.keep_alive) << te;
    EXPECT_TRUE(c.ServerClosed()) << te;  // the smuggled GET is never answered
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(ServerTest, ChunkedAfterAnotherCodingIsNotImplemented) {
  StartServer();
  const RawReply r = Exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(ServerTest, TransferEncodingWithContentLengthIsRefusedInEitherOrder) {
  StartServer();
  EXPECT_EQ(Exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                     "Content-Length: 5\r\n\r\nhello")
                .status,
            400);
  EXPECT_EQ(Exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     "Transfer-Encoding: chunked\r\n\r\nhello")
                .status,
            400);
  EXPECT_EQ(Exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                .status,
            400);
  EXPECT_EQ(Exchange("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").status,
            400);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(ServerTest, AChunkedBodyIsRead) {
  StartServer();
  const RawReply r = Exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world");
}

TEST_F(ServerTest, HostMustBeGivenExactlyOnceInHttp11) {
  StartServer();
  EXPECT_EQ(Exchange("GET /healthz HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(Exchange("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, 400);
  EXPECT_EQ(Exchange("GET /healthz HTTP/1.0\r\n\r\n").status, 200);
  EXPECT_EQ(Exchange(kHealthz).status, 200);
  EXPECT_EQ(calls_.load(), 2);
}

TEST_F(ServerTest, AnAbsoluteFormTargetIsServedAsItsPath) {
  StartServer();
  EXPECT_EQ(Exchange("GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(Exchange("GET HTTP://other:99/healthz?a=1 HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(Exchange("GET healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 400);
  EXPECT_EQ(Exchange("GET * HTTP/1.1\r\nHost: x\r\n\r\n").status, 400);
}

TEST_F(ServerTest, TwoAuthorizationHeadersAreRefused) {
  StartServer();
  const RawReply r = Exchange(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
      "Authorization: Bearer b\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(ServerTest, TwoContentLengthHeadersAreRefused) {
  StartServer();
  EXPECT_EQ(Exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                     "Content-Length: 2\r\n\r\nhi")
                .status,
            400);
}

// --- Nothing of a body is read before the route and the credentials (defect 2) --------

TEST_F(ServerTest, AWrongTokenIsRefusedBeforeTheBodyIsSent) {
  StartServer();
  Conn c(port_);
  // 200 MiB announced, none of it sent: the answer cannot wait for the body.
  ASSERT_TRUE(
      c.Send("POST /guarded HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bad\r\n"
             "Content-Length: 209715200\r\n\r\n"));
  const RawReply r = c.Read();
  EXPECT_EQ(r.status, 401);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_EQ(metrics_.body_budget_refusals(), 0u);
  EXPECT_EQ(metrics_.buffered_body_bytes(), 0);  // nothing was reserved for it
}

TEST_F(ServerTest, ARefusedClientThatKeepsSendingItsBodyStillReadsTheAnswer) {
  StartServer();
  Conn c(port_);
  ASSERT_TRUE(c.Send("POST /guarded HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"));
  std::string chunk(65536, 'x');
  for (int i = 0; i < 16; ++i) c.Send(chunk);  // the server discards it (lingering close)
  const RawReply r = c.Read();
  EXPECT_EQ(r.status, 401);
}

TEST_F(ServerTest, TheRightTokenGetsItsBodyRead) {
  StartServer();
  const RawReply r = Exchange(
      "POST /guarded HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\nContent-Length: 3\r\n"
      "\r\nabc");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "3");
}

TEST_F(ServerTest, ExpectContinueIsNotAnsweredWhenTheTokenIsWrong) {
  StartServer();
  Conn c(port_);
  ASSERT_TRUE(
      c.Send("POST /guarded HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
             "Content-Length: 100\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 401);  // not 100
}

TEST_F(ServerTest, AnUnknownPathIsAnsweredBeforeItsBodyIsRead) {
  StartServer();
  Conn c(port_);
  ASSERT_TRUE(c.Send("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 209715200\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 404);
  Conn d(port_);
  ASSERT_TRUE(d.Send("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 209715200\r\n\r\n"));
  EXPECT_EQ(d.Read().status, 405);
}

TEST_F(ServerTest, BodiesPastTheProcessBudgetAreRefusedWith503) {
  ServerOptions options;
  options.max_buffered_body_bytes = 1000;
  StartServer(options);
  Conn first(port_);
  // 800 bytes announced and held (the body is still coming).
  ASSERT_TRUE(first.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 800\r\n\r\nab"));
  while (metrics_.buffered_body_bytes() != 800) std::this_thread::yield();
  // One byte past the budget: 503.
  const RawReply r = Exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 201\r\n\r\n" +
                              std::string(201, 'b'));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.retry_after, "1");
  // Exactly at the budget passes.
  EXPECT_EQ(Exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" +
                     std::string(200, 'c'))
                .status,
            200);
  // A chunked body draws on the budget as it arrives.
  EXPECT_EQ(Exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "c8\r\n" +
                     std::string(200, 'd') + "\r\n1\r\ne\r\n0\r\n\r\n")
                .status,
            503);
  // The first request completes and gives its share back.
  ASSERT_TRUE(first.Send(std::string(798, 'a')));
  EXPECT_EQ(first.Read().status, 200);
  // Its share comes back once the server has finished writing the answer.
  ASSERT_TRUE(WaitUntil([&] { return metrics_.buffered_body_bytes() == 0; }));
  EXPECT_EQ(Exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" +
                     std::string(1000, 'f'))
                .status,
            200);
  EXPECT_EQ(metrics_.body_budget_refusals(), 2u);
  EXPECT_TRUE(WaitUntil([&] { return metrics_.buffered_body_bytes() == 0; }));
}

// --- The limits at their boundaries ---------------------------------------------------

// A request whose header (request line to the blank line included) is `bytes` long.
std::string HeaderOfSize(size_t bytes) {
  std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  const size_t fixed = head.size() + 4;  // "\r\n\r\n"
  head += std::string(bytes - fixed, 'p');
  head += "\r\n\r\n";
  return head;
}

TEST_F(ServerTest, HeaderBytesExactlyAtTheLimitPassAndOneMoreIs431) {
  StartServer();
  ASSERT_EQ(HeaderOfSize(8192).size(), 8192u);
  EXPECT_EQ(Exchange(HeaderOfSize(8192)).status, 200);
  EXPECT_EQ(Exchange(HeaderOfSize(8193)).status, 431);
}

std::string RequestWithFields(size_t fields) {
  std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (size_t i = 1; i < fields; ++i) head += "X-F" + std::to_string(i) + ": v\r\n";
  return head + "\r\n";
}

TEST_F(ServerTest, HeaderFieldsExactlyAtTheLimitPassAndOneMoreIs431) {
  StartServer();
  EXPECT_EQ(Exchange(RequestWithFields(100)).status, 200);
  EXPECT_EQ(Exchange(RequestWithFields(101)).status, 431);
}

TEST_F(ServerTest, BodyExactlyAtTheLimitPassesAndOneMoreIs413) {
  StartServer();
  const size_t limit = kDefaultBodyLimit;
  auto with_length = [](size_t n) {
    return "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" +
           std::string(n, 'z');
  };
  RawReply r = Exchange(with_length(limit));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), limit);
  EXPECT_EQ(Exchange(with_length(limit + 1)).status, 413);
  auto chunked = [](size_t n) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx", n);
    return "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
           std::string(size) + "\r\n" + std::string(n, 'z') + "\r\n0\r\n\r\n";
  };
  EXPECT_EQ(Exchange(chunked(limit)).status, 200);
  EXPECT_EQ(Exchange(chunked(limit + 1)).status, 413);
}

// The timeouts at their boundary: the deadlines follow the injected clock, and
// CheckTimeoutsNow runs the check the loop's timer runs, so nothing here waits for time.
class TimeoutTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.clock = &fake_;
    StartServer(options);  // 30 s idle, read and write timeouts
  }
  void Advance(std::chrono::nanoseconds d) { fake_.AdvanceNanos(d.count()); }
  static constexpr std::chrono::nanoseconds kLimit = std::chrono::seconds(30);
  static constexpr std::chrono::nanoseconds kOne{1};
  FakeClock fake_{1'000'000'000'000};
};

TEST_F(TimeoutTest, IdleExactlyAtTheTimeoutIsClosedAndOneNanosecondBeforeIsNot) {
  Conn c(port_);
  // Accepted: waiting for its first header, its deadline set (Start does both at once).
  ASSERT_TRUE(WaitUntil([&] { return metrics_.open_connections() == 1; }));
  Advance(kLimit - kOne);
  server_->CheckTimeoutsNow();
  EXPECT_TRUE(c.OpenAndQuiet());
  Advance(kOne);
  server_->CheckTimeoutsNow();
  EXPECT_TRUE(c.ServerClosed());
}

TEST_F(TimeoutTest, ABodyThatStopsComingIsClosedExactlyAtTheReadTimeout) {
  Conn c(port_);
  ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello"));
  while (metrics_.buffered_body_bytes() != 10) std::this_thread::yield();  // header read
  Advance(kLimit - kOne);
  server_->CheckTimeoutsNow();
  EXPECT_TRUE(c.OpenAndQuiet());
  Advance(kOne);
  server_->CheckTimeoutsNow();
  EXPECT_TRUE(c.ServerClosed());
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_TRUE(WaitUntil([&] { return metrics_.open_connections() == 0; }));
}

TEST_F(TimeoutTest, AResponseTheClientDoesNotReadIsCutExactlyAtTheWriteTimeout) {
  const size_t whole = 32u << 20;
  {
    // One nanosecond before: the write goes on, and the whole response arrives.
    Conn c(Conn::Deferred{});
    c.SetReceiveBuffer(4096);
    ASSERT_TRUE(c.Connect(port_));
    ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    char first;
    ASSERT_EQ(::recv(c.fd(), &first, 1, 0), 1);  // the write has started: deadline set
    Advance(kLimit - kOne);
    server_->CheckTimeoutsNow();
    EXPECT_GT(c.Drain() + 1, whole);
  }
  {
    // At the timeout: the connection is closed with the response unfinished.
    Conn c(Conn::Deferred{});
    c.SetReceiveBuffer(4096);
    ASSERT_TRUE(c.Connect(port_));
    ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    char first;
    ASSERT_EQ(::recv(c.fd(), &first, 1, 0), 1);
    Advance(kLimit);
    server_->CheckTimeoutsNow();
    EXPECT_LT(c.Drain() + 1, whole);
  }
}

// --- Accept back-off (defect 1) -------------------------------------------------------

// The descriptor number the next open would get (the lowest free one).
rlim_t LowestFreeDescriptor() {
  const int fd = ::open("/dev/null", O_RDONLY);
  ::close(fd);
  return static_cast<rlim_t>(fd);
}

// Lowers this process's descriptor limit so that no new descriptor can be made; restores
// it on scope exit.
class NoMoreDescriptors {
 public:
  NoMoreDescriptors() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit tight = saved_;
    tight.rlim_cur = LowestFreeDescriptor();
    ::setrlimit(RLIMIT_NOFILE, &tight);
  }
  ~NoMoreDescriptors() { Restore(); }
  void Restore() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

TEST_F(ServerTest, OutOfDescriptorsTheLoopPausesAcceptingAndLogsOncePerPause) {
  ServerOptions options;
  options.accept_backoff = std::chrono::hours(1);  // one pause spans the whole test
  StartServer(options);
  Conn idle(port_);  // a connection accepted (and served) before the exhaustion
  ASSERT_TRUE(idle.Send(kHealthz));
  ASSERT_EQ(idle.Read().status, 200);
  std::vector<std::unique_ptr<Conn>> waiting;
  for (int i = 0; i < 20; ++i) waiting.push_back(std::make_unique<Conn>(Conn::Deferred{}));
  {
    NoMoreDescriptors limit;
    for (auto& c : waiting) ASSERT_TRUE(c->Connect(port_));  // queued; accept() gets EMFILE
    while (metrics_.accept_errors() == 0) std::this_thread::yield();
    // While paused, the connection already accepted is served as before...
    ASSERT_TRUE(idle.Send(kHealthz));
    EXPECT_EQ(idle.Read().status, 200);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(idle.Send(kHealthz));
      ASSERT_EQ(idle.Read().status, 200);
    }
  }
  // ...and in all that time accept() was tried once, and logged once (before the fix it
  // was retried and logged in a busy loop: millions of lines).
  EXPECT_EQ(metrics_.accept_errors(), 1u);
  EXPECT_EQ(LogLinesContaining("accept failed"), 1u);
  EXPECT_NE(metrics_.Render().find("soundtrend_accept_errors_total 1\n"), std::string::npos);
}

TEST_F(ServerTest, AcceptingResumesAfterThePauseWhenDescriptorsAreBack) {
  ServerOptions options;
  options.accept_backoff = std::chrono::milliseconds(20);
  StartServer(options);
  Conn waiting(Conn::Deferred{});
  {
    NoMoreDescriptors limit;
    ASSERT_TRUE(waiting.Connect(port_));
    while (metrics_.accept_errors() == 0) std::this_thread::yield();
  }
  ASSERT_TRUE(waiting.Send(kHealthz));
  EXPECT_EQ(waiting.Read().status, 200);
}

}  // namespace
}  // namespace soundtrend::http
