// A private PostgreSQL for tests: initdb + pg_ctl in a temporary directory, on a free
// loopback port, run as the `postgres` user when the test runs as root; stopped and
// deleted when the object goes (the shell side: bench/postgres_cluster.sh, which scripts and
// benchmarks use the same way). Test-only (target st_pg_test_server).
//
//   auto& pg = PgTestServer::Shared();            // one server per test process
//   std::string url = pg.CreateDatabase();        // a fresh empty database's URL
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace soundtrend::store::postgres {

class PgTestServer {
 public:
  // Starts a server (a few seconds). Fails with the script's output when it cannot.
  static Result<std::unique_ptr<PgTestServer>> Start();
  // The process's shared server, started at the first call, stopped at exit. Aborts the
  // test binary with a message when PostgreSQL cannot start (CI installs it).
  static PgTestServer& Shared();
  ~PgTestServer();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // postgresql://postgres@127.0.0.1:PORT/NAME
  std::string Url(const std::string& database) const;
  // Creates a new empty database (st_test_<n>) and returns its URL.
  std::string CreateDatabase();
  // The database of `location` (a conformance suite's store location): created empty at
  // the first call for it, the same URL afterwards (reopening reaches the same data).
  std::string DatabaseFor(const std::string& location);
  // Stops the server keeping its data (the "database unreachable" of SPEC §10), and starts
  // it again on the same port.
  Status Pause();
  Status Resume();

 private:
  PgTestServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
  std::string dir_;
  int port_ = 0;
  int databases_ = 0;
  std::mutex locations_mutex_;
  std::map<std::string, std::string> location_urls_;
};

}  // namespace soundtrend::store::postgres
