#include "dashboard/site.h"

#include "http/static_assets.h"

namespace soundtrend::dashboard {
namespace {

constexpr std::string_view kNotBuiltPage =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>soundtrend dashboard not built</title></head><body>"
    "<h1>The dashboard is not built</h1>"
    "<p>This soundtrend server found no dashboard build. Build it with "
    "<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> (or "
    "<code>cmake --build</code> with npm installed) and restart, or point "
    "<code>serve --web-dir</code> at a build.</p>"
    "<p>The API works without it: <a href=\"/docs\">/docs</a>.</p></body></html>";

}  // namespace

std::vector<std::pair<std::string, std::string>> PageHeaders() {
  return {
      {"Content-Security-Policy", std::string(kContentSecurityPolicy)},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  };
}

SiteStatus AddSiteRoutes(http::Router& router, const std::string& web_dir) {
  SiteStatus status;
  router.Add("GET", "/dashboard", [](const http::Request&, http::Respond respond) {
    http::Response r;
    r.status = 308;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "/dashboard/\n";
    r.headers.emplace_back("Location", "/dashboard/");
    respond(std::move(r));
  });
  std::shared_ptr<const http::StaticAssets> assets;
  if (web_dir.empty()) {
    status.message = "no web directory configured";
  } else {
    auto loaded = http::StaticAssets::LoadDirectory(web_dir);
    if (!loaded.ok()) {
      status.message = loaded.status().message();
    } else if ((*loaded)->Find("index.html") == nullptr) {
      status.message = "no index.html in " + web_dir;
    } else {
      assets = std::move(loaded).value();
    }
  }
  if (assets == nullptr) {
    router.AddPrefix("GET", "/dashboard/", [](const http::Request&, http::Respond respond) {
      http::Response r;
      r.status = 503;
      r.content_type = "text/html; charset=utf-8";
      r.body = std::string(kNotBuiltPage);
      r.headers = PageHeaders();
      r.headers.emplace_back("Cache-Control", "no-store");
      respond(std::move(r));
    });
    return status;
  }
  status.built = true;
  status.files = assets->files().size();
  status.message = "serving " + std::to_string(status.files) + " files from " + web_dir;
  http::StaticHandlerOptions options;
  options.url_prefix = "/dashboard/";
  options.fallback = "index.html";
  options.html_headers = PageHeaders();
  router.AddPrefix("GET", "/dashboard/", http::MakeStaticHandler(assets, options));
  if (assets->Find("docs.html") != nullptr) {
    router.Add("GET", "/docs", http::MakeStaticFileHandler(assets, "docs.html", PageHeaders()));
  }
  return status;
}

}  // namespace soundtrend::dashboard
