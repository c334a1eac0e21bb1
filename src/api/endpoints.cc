#include "api/endpoints.h"

#include <simdjson.h>

#include "api/openapi.h"
#include "api/trending_music.h"
#include "common/gzip.h"
#include "common/json_writer.h"
#include "common/regions.h"
#include "common/version.h"
#include "http/error.h"

namespace soundtrend::api {

namespace {

// A body made once; gzip-compressed once too when it is large enough to gain from it, and
// sent compressed to clients that accept gzip.
http::Handler StaticDocument(std::string content_type, std::string body) {
  struct Bodies {
    std::string plain;
    std::string gzipped;  // empty: not worth it
  };
  auto shared = std::make_shared<Bodies>();
  shared->plain = std::move(body);
  if (shared->plain.size() >= 1024) shared->gzipped = gzip::Compress(shared->plain, 9);
  return [content_type = std::move(content_type), shared](const http::Request& request,
                                                          http::Respond respond) {
    http::Response r;
    r.content_type = content_type;
    if (!shared->gzipped.empty()) {
      r.headers.emplace_back("Vary", "Accept-Encoding");
      if (request.header && gzip::AcceptsGzip(request.header("Accept-Encoding"))) {
        r.body = shared->gzipped;
        r.headers.emplace_back("Content-Encoding", "gzip");
        return respond(std::move(r));
      }
    }
    r.body = shared->plain;
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

http::Handler MakeEditionsHandler(const SnapshotHolder& snapshots) {
  return [&snapshots](const http::Request& request, http::Respond respond) {
    http::Response r;
    const engine::ChartSet* charts = snapshots.Current()->charts();
    const std::optional<Day> first = charts != nullptr ? charts->first_day() : std::nullopt;
    r.body = R"({"code":0,"message":"success","data":{"first_day":)";
    if (first) {
      json::AppendString(r.body, FormatDay(*first));
      r.body += R"(,"last_day":)";
      json::AppendString(r.body, FormatDay(charts->day()));
    } else {
      r.body += R"(null,"last_day":null)";
    }
    r.body += R"(,"periods":[7,30,120],"rank_types":["popular","surging"]},"requestId":)";
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

http::Handler MakeReadinessHandler(const SnapshotHolder& snapshots,
                                   std::function<bool()> stores_ready) {
  return [&snapshots, stores_ready = std::move(stores_ready)](const http::Request&,
                                                              http::Respond respond) {
    const std::shared_ptr<const ServingSnapshot>& snapshot = snapshots.Current();
    const engine::ChartSet* charts = snapshot->charts();
    const bool published = charts != nullptr && snapshot->has_entries();
    const bool stores = !stores_ready || stores_ready();
    const bool ready = published && stores;
    http::Response r;
    r.status = ready ? 200 : 503;
    r.body = "{\"ready\":";
    json::AppendBool(r.body, ready);
    r.body += ",\"charts_published\":";
    json::AppendBool(r.body, published);
    r.body += stores ? ",\"stores\":\"ok\"" : ",\"stores\":\"unavailable\"";
    r.body += ",\"snapshot_day\":";
    if (charts != nullptr) {
      json::AppendString(r.body, FormatDay(charts->day()));
    } else {
      r.body += "null";
    }
    r.body += '}';
    respond(std::move(r));
  };
}

http::Handler MakeVersionHandler() {
  std::string api_version = "unknown";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view v;
  if (parser.parse(simdjson::padded_string(OpenApiDocument())).get(doc) == simdjson::SUCCESS &&
      doc["info"]["version"].get(v) == simdjson::SUCCESS) {
    api_version = std::string(v);
  }
  std::string body = "{\"name\":\"soundtrend\",\"version\":";
  json::AppendString(body, kVersion);
  body += ",\"api_version\":";
  json::AppendString(body, api_version);
  body += '}';
  return StaticDocument("application/json", std::move(body));
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
             MakeTrendingMusicHandler(deps.gateway, *deps.snapshots, deps.outcomes));
  router.Add("GET", std::string(kSoundDetailPath),
             MakeSoundDetailHandler(deps.gateway, *deps.snapshots, deps.outcomes));
  router.Add("GET", std::string(kEditionsPath), MakeEditionsHandler(*deps.snapshots));
  router.Add("GET", "/v1/tiktok/regions", MakeRegionsHandler());
  router.Add("GET", "/healthz", MakeHealthHandler(*deps.snapshots));
  router.Add("GET", "/readyz", MakeReadinessHandler(*deps.snapshots, deps.stores_ready));
  router.Add("GET", "/version", MakeVersionHandler());
  if (deps.metrics != nullptr) router.Add("GET", "/metrics", MakeMetricsHandler(*deps.metrics));
  router.Add("GET", "/openapi.json", MakeOpenApiHandler());
  router.Add("GET", "/docs", MakeDocsHandler());
  router.Add("GET", "/llms.txt", MakeLlmsTxtHandler());
}

}  // namespace soundtrend::api
