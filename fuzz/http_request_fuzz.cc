// The HTTP request path in-process: bytes in over a loopback connection, through the
// server's parsing, framing rules and limits, to the router and the real handlers (the
// whole `serve` wiring: SQLite, engine, gateway, charge lanes, admin API). "$KEY" and
// "$ADMIN" in the input are replaced by a valid customer key and the admin token, so that
// the fuzzer reaches the handlers behind authentication.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "app/serve_app.h"
#include "gateway/key_admin.h"

namespace {

constexpr char kAdminToken[] = "fuzz-admin-token";
soundtrend::app::ServeApp* app = nullptr;
uint16_t port = 0;
std::string key;

void Replace(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// A connection to the server. Each one ends in TIME_WAIT on this side (the input's end is
// sent first), so a long run at thousands of executions a second can use up the ephemeral
// ports towards 127.0.0.1:port (EADDRNOTAVAIL): then
// the connection is made from another loopback source address (127.0.0.2, ...), which
// gives fresh (source, destination) pairs. Any other failure is the server's: abort.
// A blocking connect interrupted by a signal (libFuzzer's timeout alarm, when the server is
// slow to accept on a loaded machine: the SYN is retried after 1 s) goes on in the
// background: waits for it and returns its outcome (0 or an errno).
int FinishInterruptedConnect(int fd) {
  pollfd p{fd, POLLOUT, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, 60000);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return ETIMEDOUT;
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return errno;
  return error;
}

int Connect() {
  for (uint32_t source = 1; source < 256; ++source) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) std::abort();
    if (source > 1) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      from.sin_addr.s_addr = htonl((127u << 24) | source);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
        ::close(fd);
        continue;
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    int error = errno;
    if (error == EINTR) error = FinishInterruptedConnect(fd);
    if (error == 0) return fd;
    ::close(fd);
    if (error != EADDRNOTAVAIL) {
      std::fprintf(stderr, "connect to the server failed: %s\n", std::strerror(error));
      std::abort();
    }
  }
  std::fprintf(stderr, "connect: no loopback source address has a free port\n");
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/soundtrend_http_fuzz_XXXXXX";
  if (mkdtemp(dir) == nullptr) std::abort();
  soundtrend::app::ServeConfig config;
  config.db_path = std::string(dir) + "/fuzz.db";
  config.port = 0;
  config.threads = 2;
  config.admin_token = kAdminToken;
  config.access_log =
      std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  spdlog::set_level(spdlog::level::off);
  auto opened = soundtrend::app::ServeApp::Open(config);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    std::abort();
  }
  app = opened->release();
  auto started = app->Start();
  if (!started.ok()) std::abort();
  port = *started;
  soundtrend::gateway::NewKeySpec spec;
  spec.name = "fuzz";
  spec.credits = int64_t{1} << 40;
  spec.qps_limit = 100000;
  auto created = app->billing_gateway().CreateKey(spec);
  if (!created.ok()) std::abort();
  key = created->api_key;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  Replace(input, "$KEY", key);
  Replace(input, "$ADMIN", kAdminToken);
  const int fd = Connect();
  std::string_view rest = input;
  while (!rest.empty()) {
    const ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed (e.g. after a refusal)
    rest.remove_prefix(static_cast<size_t>(n));
  }
  ::shutdown(fd, SHUT_WR);
  // Every request the bytes hold is answered, then the server closes: a connection it
  // never closes hangs here, and libFuzzer's -timeout reports it.
  char buf[65536];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
  ::close(fd);
  return 0;
}
