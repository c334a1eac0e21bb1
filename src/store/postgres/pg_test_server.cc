#include "store/postgres/pg_test_server.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <sstream>

#include "store/postgres/pg_db.h"

#ifndef ST_PG_CLUSTER_SCRIPT
#error "ST_PG_CLUSTER_SCRIPT (the path of bench/postgres_cluster.sh) must be defined"
#endif

namespace soundtrend::store::postgres {
namespace {

// Runs `command`, returns its stdout; nullopt-like empty + status on failure.
Result<std::string> Run(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return Status::IoError("cannot run: " + command);
  std::string out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  if (rc != 0) return Status::IoError("`" + command + "` failed (" + std::to_string(rc) + ")");
  return out;
}

std::string Script() { return std::string("bash ") + ST_PG_CLUSTER_SCRIPT; }

}  // namespace

Result<std::unique_ptr<PgTestServer>> PgTestServer::Start() {
  // Small settings: tests share a 2-core machine with other builds.
  Result<std::string> out = Run("PG_SHARED_BUFFERS=64MB PG_WORK_MEM=16MB " + Script() + " start");
  if (!out.ok()) return out.status();
  std::istringstream in(*out);
  std::string dir;
  int port = 0;
  in >> dir >> port;
  if (dir.empty() || port <= 0) return Status::IoError("postgres_cluster.sh said: " + *out);
  return std::unique_ptr<PgTestServer>(new PgTestServer(dir, port));
}

PgTestServer& PgTestServer::Shared() {
  static std::unique_ptr<PgTestServer> server = [] {
    Result<std::unique_ptr<PgTestServer>> started = Start();
    if (!started.ok()) {
      std::cerr << "cannot start a private PostgreSQL for the tests: "
                << started.status().ToString() << "\n";
      std::abort();
    }
    return std::move(started).value();
  }();
  return *server;
}

PgTestServer::~PgTestServer() { (void)Run(Script() + " stop " + dir_ + " >/dev/null 2>&1"); }

std::string PgTestServer::Url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PgTestServer::CreateDatabase() {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const std::string name = "st_test_" + std::to_string(++databases_);
  Result<std::unique_ptr<PgConnection>> admin = PgConnection::Open(Url("postgres"));
  if (admin.ok()) {
    // An identifier cannot be a bound parameter; `name` is ours, not input.
    Status st = (*admin)->ExecScript("CREATE DATABASE " + name);
    if (!st.ok()) std::cerr << "CREATE DATABASE " << name << ": " << st.ToString() << "\n";
  } else {
    std::cerr << "PgTestServer: " << admin.status().ToString() << "\n";
  }
  return Url(name);
}

Status PgTestServer::Pause() { return Run(Script() + " pause " + dir_ + " >/dev/null").status(); }

Status PgTestServer::Resume() {
  return Run(Script() + " resume " + dir_ + " " + std::to_string(port_) + " >/dev/null").status();
}

std::string PgTestServer::DatabaseFor(const std::string& location) {
  std::lock_guard lock(locations_mutex_);
  auto [it, added] = location_urls_.try_emplace(location);
  if (added) it->second = CreateDatabase();
  return it->second;
}

}  // namespace soundtrend::store::postgres
