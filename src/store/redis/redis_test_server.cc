#include "store/redis/redis_test_server.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace soundtrend::store::redis {
namespace {

// A port nobody listens on now: the kernel's pick for port 0 (another process may take it
// before redis-server binds it: Start then tries another).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string ReplyText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "ERR: " + std::string(r->str, r->len);
    case REDIS_REPLY_NIL:
      return "nil";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out += " ";
        out += ReplyText(r->element[i]);
      }
      return out;
    }
    default:
      return "?";
  }
}

}  // namespace

Result<std::unique_ptr<RedisTestServer>> RedisTestServer::Start(RedisTestServerOptions options) {
  char templ[] = "/tmp/st_redis_XXXXXX";
  if (mkdtemp(templ) == nullptr) return Status::IoError("mkdtemp failed");
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = FreeLoopbackPort();
    if (port == 0) return Status::IoError("no free loopback port");
    std::unique_ptr<RedisTestServer> server(new RedisTestServer(templ, port, options));
    last = server->Launch();
    if (last.ok()) return server;
    // Taken meanwhile (or another failure): try another port.
  }
  std::filesystem::remove_all(templ);
  return last;
}

Status RedisTestServer::Launch() {
  const std::string port = std::to_string(port_);
  const std::string log = dir_ + "/redis.log";
  std::vector<std::string> argv = {"redis-server",
                                   "--port",
                                   port,
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--logfile",
                                   log,
                                   "--daemonize",
                                   "no",
                                   "--databases",
                                   std::to_string(options_.databases)};
  if (!options_.password.empty() && options_.user.empty()) {
    argv.insert(argv.end(), {"--requirepass", options_.password});
  } else if (!options_.password.empty()) {
    argv.insert(argv.end(), {"--user", "default", "off", "--user", options_.user, "on",
                             ">" + options_.password, "~*", "&*", "+@all"});
  }
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, "redis-server", nullptr, nullptr, args.data(), environ) != 0) {
    return Status::IoError("cannot run redis-server (is it installed? scripts/install-deps.sh)");
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(log);
      const std::string text{std::istreambuf_iterator<char>(in), {}};
      return Status::IoError("redis-server on port " + port + " exited: " + text);
    }
    Result<std::string> pong = Command({"PING"});
    if (pong.ok() && *pong == "PONG") return Status();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling, with a deadline
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return Status::IoError("redis-server on port " + port + " did not answer within 10 s");
}

Status RedisTestServer::Stop() {
  if (pid_ <= 0) return Status();
  kill(pid_, SIGCONT);  // a frozen one too
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling, with a deadline
  }
  pid_ = -1;
  return Status();
}

void RedisTestServer::Freeze() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void RedisTestServer::Thaw() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

Status RedisTestServer::Restart() {
  ST_RETURN_IF_ERROR(Stop());
  return Launch();
}

Result<std::string> RedisTestServer::Command(const std::vector<std::string>& argv) const {
  timeval timeout{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (c == nullptr || c->err != 0) {
    const std::string why = c != nullptr ? c->errstr : "out of memory";
    if (c != nullptr) redisFree(c);
    return Status::Unavailable("redis at port " + std::to_string(port_) + ": " + why);
  }
  if (!options_.password.empty()) {
    auto* auth = static_cast<redisReply*>(
        options_.user.empty()
            ? redisCommand(c, "AUTH %b", options_.password.data(), options_.password.size())
            : redisCommand(c, "AUTH %b %b", options_.user.data(), options_.user.size(),
                           options_.password.data(), options_.password.size()));
    const bool ok = auth != nullptr && auth->type != REDIS_REPLY_ERROR;
    if (auth != nullptr) freeReplyObject(auth);
    if (!ok) {
      redisFree(c);
      return Status::Unavailable("redis at port " + std::to_string(port_) + ": AUTH failed");
    }
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
  if (reply == nullptr) {
    const std::string why = c->errstr;
    redisFree(c);
    return Status::Unavailable("redis: " + why);
  }
  std::string text = ReplyText(reply);
  freeReplyObject(reply);
  redisFree(c);
  return text;
}

RedisTestServer::~RedisTestServer() {
  (void)Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace soundtrend::store::redis
