#include "api/endpoints.h"

#include "api/openapi.h"
#include "api/trending_music.h"
#include "common/json_writer.h"
#include "common/regions.h"
#include "http/error.h"

namespace soundtrend::api {

namespace {

http::Handler StaticDocument(std::string content_type, std::string body) {
  auto shared = std::make_shared<const std::string>(std::move(body));
  return [content_type = std::move(content_type), shared](const http::Request&,
                                                          http::Respond respond) {
    http::Response r;
    r.content_type = content_type;
    r.body = *shared;
    respond(std::move(r));
  };
}

}  // namespace

http::Handler MakeRegionsHandler() {
  std::string regions;
  regions += "{\"regions\":[";
  bool first = true;
  for (const Region& region : Regions()) {
    if (!first) regions += ',';
    first = false;
    regions += "{\"code\":";
    json::AppendString(regions, region.code);
    regions += ",\"name\":";
    json::AppendString(regions, region.name);
    regions += '}';
  }
  regions += "]}";
  return [regions = std::move(regions)](const http::Request& request, http::Respond respond) {
    http::Response r;
    r.body.reserve(regions.size() + 128);
    r.body += R"({"code":0,"message":"success","data":)";
    r.body += regions;
    r.body += ",\"requestId\":";
    json::AppendString(r.body, request.request_id);
    r.body += '}';
    respond(std::move(r));
  };
}

http::Handler MakeHealthHandler(const SnapshotHolder& snapshots) {
  return [&snapshots](const http::Request&, http::Respond respond) {
    http::Response r;
    const engine::ChartSet* charts = snapshots.Current()->charts();
    r.body = "{\"status\":\"ok\",\"snapshot_day\":";
    if (charts != nullptr) {
      json::AppendString(r.body, FormatDay(charts->day()));
    } else {
      r.body += "null";
    }
    r.body += '}';
    respond(std::move(r));
  };
}

http::Handler MakeMetricsHandler(const http::Metrics& metrics) {
  return [&metrics](const http::Request&, http::Respond respond) {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.Render();
    respond(std::move(r));
  };
}

http::Handler MakeOpenApiHandler() {
  return StaticDocument("application/json", std::string(OpenApiDocument()));
}

http::Handler MakeDocsHandler() {
  auto html = RenderDocsHtml(OpenApiDocument());
  return StaticDocument("text/html; charset=utf-8",
                        html.ok() ? std::move(*html) : "<p>documentation unavailable</p>");
}

http::Handler MakeLlmsTxtHandler() {
  auto text = RenderLlmsTxt(OpenApiDocument());
  return StaticDocument("text/plain; charset=utf-8",
                        text.ok() ? std::move(*text) : "documentation unavailable\n");
}

void AddServingRoutes(http::Router& router, const ServingDependencies& deps) {
  router.Add("GET", std::string(kTrendingMusicPath),
             MakeTrendingMusicHandler(deps.gateway, *deps.snapshots));
  router.Add("GET", "/v1/tiktok/regions", MakeRegionsHandler());
  router.Add("GET", "/healthz", MakeHealthHandler(*deps.snapshots));
  if (deps.metrics != nullptr) router.Add("GET", "/metrics", MakeMetricsHandler(*deps.metrics));
  router.Add("GET", "/openapi.json", MakeOpenApiHandler());
  router.Add("GET", "/docs", MakeDocsHandler());
  router.Add("GET", "/llms.txt", MakeLlmsTxtHandler());
}

}  // namespace soundtrend::api
