#include "dashboard/site.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace soundtrend::dashboard {
namespace {

http::Response Call(const http::Router& router, std::string_view path) {
  const auto m = router.Find("GET", path);
  EXPECT_EQ(m.kind, http::Router::MatchKind::kFound) << path;
  http::Response out;
  if (m.route == nullptr) return out;
  http::Request request;
  request.method = "GET";
  request.path = path;
  request.request_id = "rid";
  request.header = [](std::string_view) { return std::string_view{}; };
  m.route->handler(request, [&out](http::Response r) { out = std::move(r); });
  return out;
}

std::string HeaderOf(const http::Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "<absent>";
}

TEST(SiteTest, WithoutABuildTheDashboardSaysHowToBuildIt) {
  http::Router router;
  const SiteStatus status = AddSiteRoutes(router, "/nonexistent/web/dist");
  EXPECT_FALSE(status.built);
  const http::Response page = Call(router, "/dashboard/overview");
  EXPECT_EQ(page.status, 503);
  EXPECT_NE(page.body.find("npm ci"), std::string::npos);
  EXPECT_EQ(HeaderOf(page, "Content-Security-Policy"), kContentSecurityPolicy);
  EXPECT_EQ(router.Find("GET", "/docs").kind, http::Router::MatchKind::kNotFound);  // untouched
  EXPECT_EQ(Call(router, "/dashboard").status, 308);
}

TEST(SiteTest, ABuildIsServedWithItsPagesHeaders) {
  std::string tmpl = ::testing::TempDir() + "site_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir = tmpl;
  std::filesystem::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<!doctype html><title>dash</title>";
  std::ofstream(dir / "docs.html") << "<!doctype html><title>docs</title>";
  std::ofstream(dir / "assets" / "index-12345678.js") << "export {};";

  http::Router router;
  const SiteStatus status = AddSiteRoutes(router, dir.string());
  EXPECT_TRUE(status.built) << status.message;
  EXPECT_EQ(status.files, 3u);
  const http::Response index = Call(router, "/dashboard/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>dash</title>");
  EXPECT_EQ(HeaderOf(index, "Content-Security-Policy"), kContentSecurityPolicy);
  EXPECT_EQ(HeaderOf(index, "X-Frame-Options"), "DENY");
  EXPECT_EQ(HeaderOf(index, "Cache-Control"), "no-cache");
  EXPECT_EQ(Call(router, "/dashboard/admin/keys").body, index.body);  // the app's route
  const http::Response js = Call(router, "/dashboard/assets/index-12345678.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(HeaderOf(js, "Cache-Control"), "public, max-age=31536000, immutable");
  const http::Response docs = Call(router, "/docs");
  EXPECT_EQ(docs.body, "<!doctype html><title>docs</title>");
  EXPECT_EQ(HeaderOf(docs, "Content-Security-Policy"), kContentSecurityPolicy);
  std::filesystem::remove_all(dir);
}

TEST(SiteTest, ThePolicyAllowsNoInlineScriptOrStyle) {
  const std::string_view csp = kContentSecurityPolicy;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string_view::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string_view::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string_view::npos);
  EXPECT_NE(csp.find("style-src 'self'"), std::string_view::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string_view::npos);
}

}  // namespace
}  // namespace soundtrend::dashboard
