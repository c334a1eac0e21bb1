// `soundtrend serve` without the command line: opens the database, loads the chart engine,
// publishes the charts, opens the gateway and runs the HTTP server with every route.
// serve_command.cc parses options and handles signals; tests drive a ServeApp directly.
//
// One SQLite file holds the chart store and the key/ledger store (two connections).
// Ownership and order: chart store -> engine -> publisher -> publish loop (first
// publication before the server starts, so the first request already sees the charts) ->
// key store + BillingGateway -> router (serving, gateway and ingest routes) -> server. Stop/Wait
// shut the server down gracefully (in-flight requests finish, their charges included), then the
// publish loop; the gateway drains its ledger queue when destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/snapshot.h"
#include "common/clock.h"
#include "common/records.h"
#include "common/status.h"
#include "dashboard/usage_recorder.h"
#include "engine/chart_engine.h"
#include "engine/publisher.h"
#include "gateway/billing_gateway.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "store/chart_store.h"

namespace spdlog {
class logger;
}
namespace soundtrend::store::redis {
class RedisRateStore;
}

namespace soundtrend::app {

class PublishLoop;
class ReadinessMonitor;

struct ServeConfig {
  std::string db_path = "data/soundtrend.db";  // parent directory created if missing
  std::string host = "127.0.0.1";
  uint16_t port = 8080;     // 0: an ephemeral port (ServeApp::Start returns it)
  int threads = 0;          // event loops; 0: the number of hardware threads
  std::string admin_token;  // empty: the admin API refuses every request
  int64_t lateness_seconds = 7200;
  int64_t publish_interval_seconds = 60;  // > 0
  // false: keys, permissions and rate limits stay on, successful requests cost 0.
  bool charging = true;
  // `serve --ledger-sync`: false (normal, default): a committed charge is in the OS (WAL
  // written) before its response is sent, so it survives a process crash (kill -9, docs/api.md §6);
  // true (full): the WAL is also fsynced per group commit, so it survives power loss too
  // (~one fdatasync, a few ms, per group commit).
  bool ledger_sync_full = false;
  // The dashboard's web build (web/dist: index.html, docs.html, assets/), loaded once at
  // start; empty or without index.html: /dashboard/ answers 503 saying how to build it.
  std::string web_dir;
  // Mark the dashboard's session cookie Secure (set when the service is reached over TLS).
  bool secure_cookies = false;
  // The per-request log line's logger; null: spdlog's default logger. access_log_json:
  // the line is a JSON object (http::ServerOptions::access_log_json).
  std::shared_ptr<spdlog::logger> access_log;
  bool access_log_json = false;
  // Browser origins allowed by CORS (docs/api.md §13); empty: none.
  std::vector<std::string> cors_origins;
  // This node's name (--node-id): its ledger markers and, with PostgreSQL, its log files.
  std::string node_id = "localhost:8080";
  // With a PostgreSQL db_path: where this node's ledger logs live (app/stores.h).
  std::string state_dir = "data";
  // --redis redis://...: rate limits shared with the other nodes through Redis
  // (empty: this node's own, as on one machine).
  std::string redis_url;
  // Server limits and timeouts (host, port, threads and access_log above override).
  http::ServerOptions server;
  const Clock* clock = &SystemClock::Instance();  // not owned
};

class ServeApp {
 public:
  // Opens everything and publishes the latest closed day's charts; does not listen yet.
  static Result<std::unique_ptr<ServeApp>> Open(const ServeConfig& config);
  ~ServeApp();  // Stop() + Wait()

  // Binds and starts the server and the periodic publication. Returns the bound port.
  Result<uint16_t> Start();
  // Graceful shutdown: stop accepting, finish in-flight requests. Thread-safe, returns at
  // once (async-signal-unsafe: call it from a normal thread).
  void Stop();
  // Blocks until the server has finished, then stops the publication thread.
  void Wait();

  // Runs `ingest` against the chart store, holding the store mutex (the publication waits
  // meanwhile), then wakes the publication, whose poll reads the stored batches back (as it
  // does for batches any other process stores). Thread-safe; this is what POST
  // /admin/v1/ingest runs.
  using IngestFn = std::function<Status(store::ChartStore& store)>;
  Status RunIngest(const IngestFn& ingest);

  // Reloads the chart data from the store into a fresh engine and publishes from it (data
  // written by other processes is published without it, at the next poll; this starts
  // over). Ingest and publication wait meanwhile; requests do not (they keep the current
  // snapshot until the new one is swapped in). Thread-safe. serve runs it on SIGHUP.
  Status ReloadCharts();

  gateway::BillingGateway& billing_gateway() { return *gateway_; }
  api::SnapshotHolder& snapshots() { return snapshots_; }
  PublishLoop& publish_loop() { return *publish_loop_; }
  const http::Metrics& metrics() const { return *metrics_; }
  const http::Router& router() const { return router_; }
  ReadinessMonitor& readiness() { return *readiness_; }

 private:
  explicit ServeApp(const ServeConfig& config);
  Status Init();
  // ReloadCharts without the publication: a fresh engine and publisher loaded from the
  // store (the publisher's takeover runs it too).
  Status ReplaceEngine();

  ServeConfig config_;
  std::mutex store_mutex_;  // every use of chart_store_ (ingest, SaveEditions)
  std::unique_ptr<store::ChartStore> chart_store_;
  // A second connection, for the dashboard's ingest page (its worker thread only): reads
  // without waiting for store_mutex_ (an ingest may hold it for minutes).
  std::unique_ptr<store::ChartStore> status_store_;
  std::unique_ptr<engine::ChartEngine> engine_;
  std::unique_ptr<engine::Publisher> publisher_;
  api::SnapshotHolder snapshots_;
  std::unique_ptr<http::Metrics> metrics_;
  std::unique_ptr<PublishLoop> publish_loop_;
  // --redis: the shared rate limits' connections (one per loop; closed by Stop).
  std::shared_ptr<store::redis::RedisRateStore> rate_store_;
  std::shared_ptr<gateway::BillingGateway> gateway_;
  std::unique_ptr<ReadinessMonitor> readiness_;  // /readyz: the stores answer
  // Hears every keyed request's outcome (the routes hold a pointer): outlives the router.
  std::shared_ptr<dashboard::UsageRecorder> usage_;
  http::Router router_;  // holds the dashboard's worker: destroyed before the gateway
  std::unique_ptr<http::Server> server_;  // last: destroyed first
  bool started_ = false;
};

}  // namespace soundtrend::app
