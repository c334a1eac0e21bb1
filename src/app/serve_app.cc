#include "app/serve_app.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "api/admin_ingest.h"
#include "api/admin_keys.h"
#include "api/endpoints.h"
#include "app/readiness.h"
#include "app/serve_publish.h"
#include "app/stores.h"
#include "common/random.h"
#include "common/version.h"
#include "dashboard/dashboard_api.h"
#include "dashboard/site.h"
#include "engine/store_sync.h"
#include "gateway/admin_auth.h"
#include "gateway/shared_rate_limiter.h"
#include "ledger/ledger.h"
#include "store/redis/redis_rate_store.h"

namespace soundtrend::app {

ServeApp::ServeApp(const ServeConfig& config) : config_(config) {}

ServeApp::~ServeApp() {
  if (started_) {
    Stop();
    Wait();
  }
}

Result<std::unique_ptr<ServeApp>> ServeApp::Open(const ServeConfig& config) {
  if (config.publish_interval_seconds <= 0) {
    return Status::InvalidArgument("--publish-interval-seconds must be > 0");
  }
  if (config.lateness_seconds < 0)
    return Status::InvalidArgument("--lateness-seconds must be >= 0");
  std::unique_ptr<ServeApp> app(new ServeApp(config));
  Status s = app->Init();
  if (!s.ok()) return s;
  return app;
}

Status ServeApp::Init() {
  const Clock& clock = *config_.clock;
  const bool postgres = BackendOf(config_.db_path) == Backend::kPostgres;
  const std::filesystem::path db(postgres ? config_.state_dir + "/x" : config_.db_path);
  if (db.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(db.parent_path(), ec);
    if (ec) {
      return Status::IoError("cannot create " + db.parent_path().string() + ": " + ec.message());
    }
  }

  // The key store first: on PostgreSQL a charging node's key store holds its node id (one
  // live process per id on a database, store/postgres/pg_key_store.h); a second one with the
  // same id stops here, before it has done anything.
  StoreOptions key_store_options;
  key_store_options.sync_full = config_.ledger_sync_full;  // --ledger-sync
  // PostgreSQL: credits come from this node's leases (README "Run as a cluster").
  if (postgres && config_.charging) key_store_options.node_id = config_.node_id;
  auto key_store = OpenKeyStore(config_.db_path, key_store_options);
  if (key_store.status().code() == Status::Code::kAlreadyExists && postgres) {
    return Status::AlreadyExists(
        "another `soundtrend serve` is running as this node: " + key_store.status().message() +
        "; give this node its own --node-id (or stop the other)");
  }
  if (!key_store.ok()) return key_store.status();

  // Charts: store -> engine -> publisher -> first publication.
  auto chart_store = OpenChartStore(config_.db_path);
  if (!chart_store.ok()) return chart_store.status();
  chart_store_ = std::move(chart_store).value();
  engine_ = std::make_unique<engine::ChartEngine>();
  const int64_t load_start = clock.MonotonicNanos();
  Result<engine::LoadSummary> loaded = engine::LoadEngine(*chart_store_, *engine_);
  if (!loaded.ok()) return loaded.status();
  const engine::EngineStats stats = engine_->Stats();
  spdlog::info(
      "loaded {} sounds, {} daily cells, {} videos, {} saved editions (batches through {}; {} "
      "to recompute after late data) in {:.2f}s",
      stats.sounds, stats.cells, stats.videos, loaded->editions_loaded, loaded->seq,
      loaded->stale.editions, (clock.MonotonicNanos() - load_start) / 1e9);
  publisher_ = std::make_unique<engine::Publisher>(
      engine_.get(), &clock, engine::PublisherOptions{config_.lateness_seconds}, chart_store_.get(),
      loaded->seq);
  metrics_ = std::make_unique<http::Metrics>(clock);
  snapshots_.SetOnPublish([metrics = metrics_.get()](const api::ServingSnapshot& snapshot) {
    metrics->SetSnapshotBuiltMicros(snapshot.built_micros());
  });
  publish_loop_ =
      std::make_unique<PublishLoop>(*publisher_, *chart_store_, store_mutex_, snapshots_, clock);
  if (postgres) {
    // Several nodes: every one computes the charts, one at a time saves the editions
    // (README "Run as a cluster").
    PublishLoop::Cluster cluster;
    cluster.chart_changes = OpenChangeFeed(config_.db_path, ChangeKind::kCharts);
    cluster.publisher_lock = OpenPublisherLock(config_.db_path);
    cluster.on_takeover = [this] { return ReplaceEngine(); };
    publish_loop_->SetCluster(std::move(cluster));
  }
  Result<bool> first = publish_loop_->PublishOnce();
  if (!first.ok()) return first.status();

  // Keys and ledger.
  store::CreditLeases* leases = LeasesOf(**key_store);
  // A charging server makes each charge durable in the ledger's logs beside the database,
  // which one process at a time may hold (a second charging server on the same file fails
  // here). With --ledger-sync normal (durable against kill -9) each event loop appends its
  // charges to its own charge lane and answers at once; with --ledger-sync full the ledger
  // thread appends them to the journal in groups, one fdatasync each. A server that does not
  // charge only moves what a killed one left, when no process holds the logs.
  ledger::LedgerOptions ledger_options;
  // With PostgreSQL, several nodes share the database: each one's logs are its own files
  // and its markers carry its name.
  ledger_options.log_path = LedgerLogPath(config_.db_path, config_.node_id, config_.state_dir);
  if (postgres) ledger_options.marker_prefix = config_.node_id + "/";
  ledger_options.sync = config_.ledger_sync_full;
  ledger_options.lanes = !config_.ledger_sync_full;
  std::unique_ptr<ledger::Ledger> ledger;
  if (config_.charging) {
    auto opened = ledger::Ledger::Open(**key_store, ledger_options);
    if (!opened.ok()) return opened.status();
    ledger = std::move(opened).value();
  } else {
    ST_RETURN_IF_ERROR(ledger::Ledger::RecoverIfUnowned(**key_store, ledger_options));
  }
  gateway::BillingGatewayOptions gateway_options;
  gateway_options.charging = config_.charging;  // --no-charging
  if (const char* kill_after = std::getenv("SOUNDTREND_TEST_KILL_AFTER_CHARGES")) {
    gateway_options.kill_after_charges = std::atoll(kill_after);  // tests/hardening only
  }
  // A loop never waits on a network round trip: with PostgreSQL only the reload thread moves
  // the lanes (every reload interval).
  if (postgres) gateway_options.lane_move_after_charges = 0;
  if (!config_.redis_url.empty()) {
    // Rate limits shared by every node: GCRA in Redis, one connection per event loop (each
    // loop connects at Start), local decisions while Redis is unreachable (README "Run as a
    // cluster").
    Result<store::redis::RedisAddress> address = store::redis::ParseRedisUrl(config_.redis_url);
    if (!address.ok()) return address.status();
    store::redis::RedisRateStoreOptions redis_options;
    redis_options.address = *address;
    redis_options.current_loop = http::CurrentLoopIoContext;
    rate_store_ = std::make_shared<store::redis::RedisRateStore>(std::move(redis_options));
    auto limiter = std::make_shared<gateway::SharedRateLimiter>(rate_store_);
    metrics_->AddExposition([limiter](std::string& out) { limiter->AppendMetrics(out); });
    gateway_options.rate_limiter = std::move(limiter);
  }
  if (config_.charging && ledger_options.lanes) {
    gateway_options.current_lane = http::CurrentLoopIndex;
  }
  gateway_options.leases = leases;
  // PostgreSQL: other nodes' key changes and grants wake the reload thread (LISTEN).
  gateway_options.key_changes = OpenChangeFeed(config_.db_path, ChangeKind::kKeys);
  auto gw = gateway::BillingGateway::Open(std::move(key_store).value(), std::move(ledger), clock,
                                          SecureRandom::Instance(), gateway_options);
  if (!gw.ok()) return gw.status();
  gateway_ = std::shared_ptr<gateway::BillingGateway>(std::move(gw).value());
  if (!config_.charging) spdlog::warn("charging is off: successful requests cost 0 credits");

  // Readiness (/readyz): each store answers a cheap read, checked once a second off the
  // request path. The chart store is busy (not down) while an ingest holds it.
  std::vector<ReadinessMonitor::Probe> probes;
  probes.push_back({"chart store", [this]() -> Status {
                      std::unique_lock lock(store_mutex_, std::try_to_lock);
                      if (!lock.owns_lock()) return Status();
                      Result<bool> has = chart_store_->HasBatch("readyz-probe");
                      return has.ok() ? Status() : has.status();
                    }});
  probes.push_back({"key store", [this] { return gateway_->ReloadIfChanged(); }});
  readiness_ = std::make_unique<ReadinessMonitor>(std::move(probes));
  readiness_->CheckOnce();

  // Routes.
  // Per-key usage for the customer's overview: every keyed request's outcome (the
  // paid-endpoint wrapper's hook, on the answering loop), counted in memory and added to
  // the database every second (every node adds its own).
  auto usage_store = OpenUsageStore(config_.db_path);
  if (!usage_store.ok()) return usage_store.status();
  usage_ = std::make_shared<dashboard::UsageRecorder>(std::move(usage_store).value());
  api::ServingDependencies serving;
  serving.outcomes = usage_.get();
  serving.gateway = gateway_;
  serving.snapshots = &snapshots_;
  serving.metrics = metrics_.get();
  serving.stores_ready = [monitor = readiness_.get()] { return monitor->stores_ok(); };
  api::AddServingRoutes(router_, serving);
  gateway::AdminAuth admin_auth(config_.admin_token);
  if (!admin_auth.enabled()) spdlog::info("admin API disabled (no admin token)");
  api::AddGatewayRoutes(router_, gateway_, admin_auth, usage_.get());
  // POST /admin/v1/ingest: runs on the route's own worker thread, under the store mutex
  // (RunIngest), then wakes the publication (which reads the stored batches back).
  api::AdminIngestDeps ingest_deps;
  ingest_deps.auth = admin_auth;
  ingest_deps.run_ingest =
      [this](std::string_view name, std::string_view body,
             const ingest::IngestOptions& options) -> Result<ingest::IngestReport> {
    std::optional<Result<ingest::IngestReport>> report;
    RunIngest([&](store::ChartStore& store) {
      report.emplace(api::IngestBody(store, *config_.clock, name, body, options));
      return report->ok() ? Status() : report->status();
    });
    return std::move(*report);
  };
  api::AddAdminIngestRoute(router_, std::move(ingest_deps));

  // The dashboard: its pages (and /docs) from the web build, its API over the sessions.
  const dashboard::SiteStatus site = dashboard::AddSiteRoutes(router_, config_.web_dir);
  if (site.built) {
    spdlog::info("dashboard: {}", site.message);
  } else {
    spdlog::warn(
        "dashboard not built ({}): /dashboard/ answers 503; build it with "
        "`cd web && npm ci && npm run build`",
        site.message);
  }
  auto session_store = OpenSessionStore(config_.db_path);
  if (!session_store.ok()) return session_store.status();
  dashboard::DashboardApiDeps dashboard_deps;
  dashboard_deps.gateway = gateway_;
  dashboard_deps.key_admin = gateway_;
  dashboard_deps.admin_auth = admin_auth;
  dashboard_deps.sessions = std::make_shared<dashboard::SessionManager>(
      std::move(session_store).value(), clock, SecureRandom::Instance());
  dashboard_deps.clock = &clock;
  dashboard_deps.health = std::make_shared<dashboard::HealthSampler>(*metrics_, clock);
  dashboard_deps.usage = usage_;
  auto status_store = OpenChartStore(config_.db_path);
  if (!status_store.ok()) return status_store.status();
  status_store_ = std::move(status_store).value();
  dashboard_deps.ingest_status = [this]() -> Result<dashboard::IngestStatus> {
    dashboard::IngestStatus st;
    st.latest_closed_day =
        engine::LatestClosedDay(config_.clock->NowMicros(), config_.lateness_seconds);
    auto latest = status_store_->LatestUsageDay();
    if (!latest.ok()) return latest.status();
    st.latest_usage_day = *latest;
    const std::shared_ptr<const api::ServingSnapshot> snapshot = snapshots_.Current();
    if (snapshot->charts() != nullptr) {
      st.published_day = snapshot->charts()->day();
      st.published_built_micros = snapshot->built_micros();
    }
    return st;
  };
  dashboard::DashboardApiOptions dashboard_options;
  dashboard_options.secure_cookies = config_.secure_cookies;
  dashboard::AddDashboardApiRoutes(router_, std::move(dashboard_deps), dashboard_options);

  http::ServerOptions server_options = config_.server;
  server_options.host = config_.host;
  server_options.port = config_.port;
  server_options.threads = config_.threads > 0
                               ? config_.threads
                               : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  server_options.access_log = config_.access_log;
  server_options.access_log_json = config_.access_log_json;
  server_options.server_name = std::string(kServerName);
  server_options.cors = http::CorsPolicy(config_.cors_origins);
  server_options.clock = &clock;
  server_ = std::make_unique<http::Server>(server_options, router_, metrics_.get());
  return Status();
}

Result<uint16_t> ServeApp::Start() {
  auto port = server_->Start();
  if (!port.ok()) return port;
  started_ = true;
  if (rate_store_) server_->RunOnEveryLoop([store = rate_store_] { store->ConnectHere(); });
  publish_loop_->Start(std::chrono::seconds(config_.publish_interval_seconds));
  readiness_->Start(std::chrono::seconds(1));
  return port;
}

void ServeApp::Stop() {
  if (server_) server_->Stop();
  // The loops finish once their Redis connections are closed too.
  if (rate_store_) rate_store_->Shutdown();
}

void ServeApp::Wait() {
  if (started_) server_->Wait();
  publish_loop_->Stop();
  readiness_->Stop();
}

Status ServeApp::ReloadCharts() {
  ST_RETURN_IF_ERROR(ReplaceEngine());
  Result<bool> published = publish_loop_->PublishOnce();
  return published.ok() ? Status() : published.status();
}

Status ServeApp::ReplaceEngine() {
  const Clock& clock = *config_.clock;
  std::unique_ptr<engine::ChartEngine> engine;
  std::unique_ptr<engine::Publisher> publisher;
  return publish_loop_->ReplacePublisher([&]() -> Result<engine::Publisher*> {
    std::lock_guard lock(store_mutex_);  // no ingest runs while the store is read and swapped
    engine = std::make_unique<engine::ChartEngine>();
    Result<engine::LoadSummary> loaded = engine::LoadEngine(*chart_store_, *engine);
    if (!loaded.ok()) return loaded.status();
    const engine::EngineStats stats = engine->Stats();
    spdlog::info("reloaded {} sounds, {} daily cells, {} videos from the store", stats.sounds,
                 stats.cells, stats.videos);
    publisher = std::make_unique<engine::Publisher>(
        engine.get(), &clock, engine::PublisherOptions{config_.lateness_seconds},
        chart_store_.get(), loaded->seq);
    // The old engine and publisher go once nothing can reach them: the loop polls the new
    // one from now on.
    std::swap(engine_, engine);
    std::swap(publisher_, publisher);
    return publisher_.get();
  });
}

Status ServeApp::RunIngest(const IngestFn& ingest) {
  Status s;
  {
    std::lock_guard lock(store_mutex_);
    s = ingest(*chart_store_);
  }
  publish_loop_->Wake();
  return s;
}

}  // namespace soundtrend::app
