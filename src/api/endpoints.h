// The service's routes (besides the other engineers' account/admin ones, which the app
// adds): trending music, regions, health, metrics, OpenAPI, docs and llms.txt.
#pragma once

#include <functional>
#include <memory>

#include "api/paid_endpoint.h"
#include "api/snapshot.h"
#include "gateway/gateway.h"
#include "http/handler.h"
#include "http/metrics.h"
#include "http/router.h"

namespace soundtrend::api {

struct ServingDependencies {
  std::shared_ptr<gateway::Gateway> gateway;  // required
  const SnapshotHolder* snapshots = nullptr;  // required; outlives the router
  const http::Metrics* metrics = nullptr;     // optional; /metrics is absent without it
  // Optional, for /readyz: whether the stores answered their latest check. It must return
  // at once (an atomic read: the check itself runs off the request path, see
  // app/readiness.h). Null: the stores count as answering.
  std::function<bool()> stores_ready;
  // Optional: hears every keyed request's outcome (api/paid_endpoint.h); outlives the router.
  OutcomeListener* outcomes = nullptr;
};

// GET /v1/tiktok/regions: free; {"code":0,...,"data":{"regions":[{"code","name"}...]}}.
http::Handler MakeRegionsHandler();
// GET /v1/tiktok/trending/music/editions: free; the days a request can ask for with as_of
// (docs/api.md §9): {"first_day","last_day" (YYYY-MM-DD, null without
// data),"periods","rank_types"}.
inline constexpr std::string_view kEditionsPath = "/v1/tiktok/trending/music/editions";
http::Handler MakeEditionsHandler(const SnapshotHolder& snapshots);
// GET /healthz: 200 {"status":"ok","snapshot_day":"YYYY-MM-DD"|null}.
http::Handler MakeHealthHandler(const SnapshotHolder& snapshots);
// GET /readyz: 200 {"ready":true,...} when charts with at least one sound are published
// (an empty database publishes empty charts: not ready) and the stores answer, else 503
// {"ready":false,...}; fields: ready, charts_published, stores ("ok" or "unavailable"),
// snapshot_day.
http::Handler MakeReadinessHandler(const SnapshotHolder& snapshots,
                                   std::function<bool()> stores_ready);
// GET /version: {"name":"soundtrend","version":"<build>","api_version":"<OpenAPI info.version>"}.
http::Handler MakeVersionHandler();
// GET /metrics: Prometheus text.
http::Handler MakeMetricsHandler(const http::Metrics& metrics);
// GET /openapi.json, GET /docs, GET /llms.txt: documents rendered once, at creation.
http::Handler MakeOpenApiHandler();
http::Handler MakeDocsHandler();
http::Handler MakeLlmsTxtHandler();

// Adds every route above plus GET /v1/tiktok/trending/music and .../music/detail.
void AddServingRoutes(http::Router& router, const ServingDependencies& deps);

}  // namespace soundtrend::api
