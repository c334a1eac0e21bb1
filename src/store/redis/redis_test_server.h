// A private Redis for tests: `redis-server` on a free loopback port (bound to port 0 first
// to find one; started again on another when that one was taken meanwhile), in a temporary
// directory, nothing saved to disk; stopped and deleted when the object goes. Test-only
// (target st_redis_test_server).
//
//   auto server = RedisTestServer::Start();   // Result<unique_ptr<RedisTestServer>>
//   (*server)->url();                          // redis://127.0.0.1:PORT
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace soundtrend::store::redis {

struct RedisTestServerOptions {
  // Clients must AUTH: with `user` empty, the default user's password (--requirepass);
  // else only the ACL user `user` with it (the default user is off).
  std::string password;
  std::string user;
  int databases = 1;
};

class RedisTestServer {
 public:
  // Starts a server and waits (up to 10 s) until it answers PING.
  static Result<std::unique_ptr<RedisTestServer>> Start(RedisTestServerOptions options = {});
  ~RedisTestServer();  // stops it (SIGKILL if it does not stop) and removes its directory

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  // Stops the server (SIGTERM, then waits for it): "Redis unreachable".
  Status Stop();
  // SIGSTOP / SIGCONT: a server that takes connections and commands but never answers.
  void Freeze();
  void Thaw();
  // Starts it again on the same port (empty: nothing was saved) and waits until it answers.
  Status Restart();
  // Runs one command over a plain connection (authenticated first when the server wants a
  // password); returns the reply as text (an integer's digits, a string, "nil", or
  // "ERR: ..." for an error), or an error when unreachable.
  Result<std::string> Command(const std::vector<std::string>& argv) const;

 private:
  RedisTestServer(std::string dir, int port, RedisTestServerOptions options)
      : dir_(std::move(dir)), port_(port), options_(std::move(options)) {}
  Status Launch();  // starts redis-server on port_ and waits for PING

  std::string dir_;
  int port_ = 0;
  RedisTestServerOptions options_;
  pid_t pid_ = -1;
};

}  // namespace soundtrend::store::redis
