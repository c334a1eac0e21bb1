#include "http/static_assets.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace soundtrend::http {
namespace {

std::string Gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(in.size() * 50 + 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

const std::string* Header(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return &v;
  return nullptr;
}

struct Call {
  Response response;
  bool called = false;
};

Call Get(const Handler& h, std::string_view path,
         std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request request;
  request.method = "GET";
  request.path = path;
  request.request_id = "rid";
  request.header = [&headers](std::string_view name) -> std::string_view {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return {};
  };
  Call call;
  h(request, [&call](Response r) {
    call.response = std::move(r);
    call.called = true;
  });
  EXPECT_TRUE(call.called);
  return call;
}

std::string Script() {
  std::string s;
  for (int i = 0; i < 200; ++i) s += "console.log('line " + std::to_string(i) + "');\n";
  return s;
}

std::shared_ptr<const StaticAssets> App() {
  return StaticAssets::FromFiles({
      {"index.html", "<!doctype html><title>app</title>" + std::string(300, ' ') + "<p>x</p>"},
      {"docs.html", "<!doctype html><title>docs</title>"},
      {"assets/index-AbC123xy.js", Script()},
      {"assets/logo-Zz9.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(400, 'a')},
  });
}

StaticHandlerOptions Options() {
  StaticHandlerOptions o;
  o.url_prefix = "/dashboard/";
  o.fallback = "index.html";
  o.html_headers = {{"Content-Security-Policy", "default-src 'self'"}};
  return o;
}

TEST(StaticAssetsTest, ContentTypesByExtension) {
  EXPECT_EQ(ContentTypeFor("a/b.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("i.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("README"), "application/octet-stream");
}

TEST(StaticAssetsTest, AcceptsGzipUnlessRefused) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
}

TEST(StaticAssetsTest, HashedAssetIsImmutableAndGzippedWhenAccepted) {
  auto h = MakeStaticHandler(App(), Options());
  Call plain = Get(h, "/dashboard/assets/index-AbC123xy.js");
  EXPECT_EQ(plain.response.status, 200);
  EXPECT_EQ(plain.response.body, Script());
  EXPECT_EQ(plain.response.content_type, "text/javascript; charset=utf-8");
  ASSERT_NE(Header(plain.response, "Cache-Control"), nullptr);
  EXPECT_EQ(*Header(plain.response, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(plain.response, "Content-Encoding"), nullptr);
  EXPECT_EQ(*Header(plain.response, "Vary"), "Accept-Encoding");
  EXPECT_EQ(*Header(plain.response, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(plain.response, "Content-Security-Policy"), nullptr);  // not HTML

  Call gz = Get(h, "/dashboard/assets/index-AbC123xy.js", {{"Accept-Encoding", "gzip, br"}});
  ASSERT_NE(Header(gz.response, "Content-Encoding"), nullptr);
  EXPECT_EQ(*Header(gz.response, "Content-Encoding"), "gzip");
  EXPECT_LT(gz.response.body.size(), Script().size() / 4);
  EXPECT_EQ(Gunzip(gz.response.body), Script());
  EXPECT_NE(*Header(gz.response, "ETag"), *Header(plain.response, "ETag"));
}

TEST(StaticAssetsTest, HtmlIsRevalidatedCarriesTheHtmlHeadersAndAnswers304WhenUnchanged) {
  auto h = MakeStaticHandler(App(), Options());
  Call page = Get(h, "/dashboard/");
  EXPECT_EQ(page.response.status, 200);
  EXPECT_NE(page.response.body.find("<title>app</title>"), std::string::npos);
  EXPECT_EQ(*Header(page.response, "Cache-Control"), "no-cache");
  ASSERT_NE(Header(page.response, "Content-Security-Policy"), nullptr);
  EXPECT_EQ(*Header(page.response, "Content-Security-Policy"), "default-src 'self'");
  const std::string etag = *Header(page.response, "ETag");
  Call again = Get(h, "/dashboard/", {{"If-None-Match", "\"other\", " + etag}});
  EXPECT_EQ(again.response.status, 304);
  EXPECT_TRUE(again.response.body.empty());
  EXPECT_EQ(*Header(again.response, "ETag"), etag);
  Call weak = Get(h, "/dashboard/", {{"If-None-Match", "W/" + etag}});
  EXPECT_EQ(weak.response.status, 304);
  Call stale = Get(h, "/dashboard/", {{"If-None-Match", "\"stale-1\""}});
  EXPECT_EQ(stale.response.status, 200);
}

TEST(StaticAssetsTest, ClientRoutesGetTheAppPageMissingAssetsGet404) {
  auto h = MakeStaticHandler(App(), Options());
  Call route = Get(h, "/dashboard/charts");
  EXPECT_EQ(route.response.status, 200);
  EXPECT_NE(route.response.body.find("<title>app</title>"), std::string::npos);
  Call missing = Get(h, "/dashboard/assets/gone-123.js");
  EXPECT_EQ(missing.response.status, 404);
  EXPECT_NE(missing.response.body.find("\"code\":404"), std::string::npos);
  StaticHandlerOptions no_fallback = Options();
  no_fallback.fallback.clear();
  EXPECT_EQ(Get(MakeStaticHandler(App(), no_fallback), "/dashboard/charts").response.status, 404);
}

TEST(StaticAssetsTest, BinaryFilesAreNotCompressed) {
  auto assets = App();
  const StaticFile* png = assets->Find("assets/logo-Zz9.png");
  ASSERT_NE(png, nullptr);
  EXPECT_TRUE(png->gzip_body.empty());
  EXPECT_EQ(png->content_type, "image/png");
  EXPECT_EQ(assets->Find("assets/none.js"), nullptr);
}

TEST(StaticAssetsTest, SingleFileHandlerServesItsFileOnAnyPath) {
  auto h = MakeStaticFileHandler(App(), "docs.html", {{"Content-Security-Policy", "x"}});
  Call docs = Get(h, "/docs");
  EXPECT_EQ(docs.response.status, 200);
  EXPECT_EQ(docs.response.body, "<!doctype html><title>docs</title>");
  EXPECT_EQ(*Header(docs.response, "Content-Security-Policy"), "x");
  EXPECT_EQ(Get(MakeStaticFileHandler(App(), "nope.html", {}), "/docs").response.status, 404);
}

TEST(StaticAssetsTest, LoadsADirectoryRecursivelySkippingHiddenFiles) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "st_static_XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  fs::create_directories(dir / "assets");
  fs::create_directories(dir / ".vite");
  std::ofstream(dir / "index.html") << "<p>hi</p>";
  std::ofstream(dir / "assets" / "a-1.css") << "p{}";
  std::ofstream(dir / ".vite" / "manifest.json") << "{}";
  auto loaded = StaticAssets::LoadDirectory(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const auto& files = (*loaded)->files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, "assets/a-1.css");
  EXPECT_EQ(files[1].name, "index.html");
  EXPECT_EQ(files[1].body, "<p>hi</p>");
  fs::remove_all(dir);
  EXPECT_EQ(StaticAssets::LoadDirectory(dir.string()).status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace soundtrend::http
