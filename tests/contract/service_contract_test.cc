// The service's other routes and the HTTP layer's bounds, over a real socket: 404/405
// envelopes, /v1/tiktok/regions, /openapi.json, /docs, /llms.txt, /healthz, /metrics,
// header size/count and body limits (431/413), idle timeout.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/sinks/ostream_sink.h>
#include <zlib.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include "common/day.h"
#include "contract_util.h"
#include "serving_fixture.h"

namespace soundtrend::contract {
namespace {

class ServiceContractTest : public ::testing::Test {
 protected:
  ServiceContractTest() : stack_(MakeFakeGateway()), client_(stack_.port) {}
  ServingStack stack_;
  TestClient client_;
};

TEST_F(ServiceContractTest, UnknownPathIs404Envelope) {
  for (const char* target : {"/nope", "/v1/tiktok/trending/music/", "/V1/TIKTOK/TRENDING/MUSIC",
                             "/v1/tiktok/trending", "/?region=US"}) {
    SCOPED_TRACE(target);
    Reply r = client_.Get(target, kKey);
    EXPECT_EQ(r.status, 404);
    Json json(r.body);
    CheckEnvelope(r, json);
  }
}

TEST_F(ServiceContractTest, WrongMethodIs405EnvelopeWithAllow) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    SCOPED_TRACE(method);
    Reply r = client_.Request(method, "/v1/tiktok/trending/music",
                              {{"Authorization", std::string("Bearer ") + kKey}}, "x");
    EXPECT_EQ(r.status, 405);
    Json json(r.body);
    CheckEnvelope(r, json);
    EXPECT_EQ(r.Header("allow"), "GET, HEAD");
  }
}

TEST_F(ServiceContractTest, HeadGetsHeadersAndNoBody) {
  // Every GET route answers HEAD: the status and headers a GET gets (Content-Length of the
  // GET's body), no body, so the pipelined GET after it still parses.
  for (const char* target : {"/healthz", "/v1/tiktok/regions", "/openapi.json", "/docs",
                             "/llms.txt", "/metrics", "/v1/tiktok/trending/music?limit=3"}) {
    SCOPED_TRACE(target);
    const std::string auth = std::string("Authorization: Bearer ") + kKey + "\r\n";
    Reply get = client_.Request("GET", target, {{"Authorization", std::string("Bearer ") + kKey}});
    Reply head, next;
    {
      TestClient raw(stack_.port);
      raw.WriteRaw(std::string("HEAD ") + target + " HTTP/1.1\r\nHost: x\r\n" + auth +
                   "\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      head = raw.ReadHeadResponse();
      next = raw.Read();  // the pipelined GET: parses only if HEAD sent no body
    }
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.status, get.status);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.Header("content-type"), get.Header("content-type"));
    if (std::string_view(target).find("trending") != std::string_view::npos) {
      // A keyed request: the gateway's headers too. Bodies carry the request id: same size.
      EXPECT_EQ(head.Header("content-length"), std::to_string(get.body.size()));
      EXPECT_NE(head.Header("x-credits-remaining"), "<absent>");
    } else if (std::string_view(target) != "/metrics") {  // metrics move between the two
      EXPECT_EQ(head.Header("content-length"), std::to_string(get.body.size()));
    } else {
      EXPECT_NE(head.Header("content-length"), "0");
    }
    EXPECT_EQ(next.status, 200);
    EXPECT_NE(next.body.find("\"status\":\"ok\""), std::string::npos);
  }
  // A route without GET has no HEAD: 405 listing what it has.
  Reply r = client_.Request("PUT", "/healthz");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD");
}

TEST_F(ServiceContractTest, RegionsListsTheSeventyOneCodesFreeOfCharge) {
  Reply r = client_.Get("/v1/tiktok/regions");  // no key needed, nothing charged
  ASSERT_EQ(r.status, 200);
  Json json(r.body);
  CheckEnvelope(r, json);
  std::set<std::string> codes;
  for (simdjson::dom::element region : json.root["data"]["regions"].get_array()) {
    std::string_view code = region["code"];
    std::string_view name = region["name"];
    EXPECT_EQ(code.size(), 2u);
    EXPECT_FALSE(name.empty());
    codes.insert(std::string(code));
  }
  EXPECT_EQ(codes.size(), 71u);
  EXPECT_TRUE(codes.count("GB"));
  EXPECT_TRUE(codes.count("US"));
  EXPECT_FALSE(codes.count("UK"));
}

TEST_F(ServiceContractTest, OpenApiIsAValidOpenApi31DocumentWithRealSchemas) {
  Reply r = client_.Get("/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  Json json(r.body);
  ASSERT_TRUE(json.ok);
  std::string_view version = json.root["openapi"];
  EXPECT_EQ(version.substr(0, 4), "3.1.");
  simdjson::dom::object schemas;
  ASSERT_EQ(json.root["components"]["schemas"].get(schemas), simdjson::SUCCESS);
  EXPECT_GT(schemas.size(), 0u);
  for (auto [name, schema] : schemas) {
    SCOPED_TRACE(std::string(name));
    simdjson::dom::object properties;
    if (schema["properties"].get(properties) == simdjson::SUCCESS) {
      EXPECT_GT(properties.size(), 0u) << "no `properties: {}` placeholders";
    }
  }
  simdjson::dom::object paths = json.root["paths"];
  for (const char* path : {"/v1/tiktok/trending/music", "/v1/tiktok/regions"}) {
    simdjson::dom::element op;
    EXPECT_EQ(paths[path]["get"].get(op), simdjson::SUCCESS) << path;
  }
  // The paid endpoint documents all nine parameters (§1, §8 rank_type, §9 as_of).
  std::set<std::string> params;
  for (simdjson::dom::element p :
       paths["/v1/tiktok/trending/music"]["get"]["parameters"].get_array())
    params.insert(std::string(std::string_view(p["name"])));
  EXPECT_EQ(params,
            (std::set<std::string>{"search_keyword", "page", "limit", "period", "region",
                                   "new_to_top_100", "commercial_music", "rank_type", "as_of"}));
}

TEST_F(ServiceContractTest, DocsIsAnHtmlPageOfEveryEndpoint) {
  Reply r = client_.Get("/docs");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type").rfind("text/html", 0), 0u);
  EXPECT_NE(r.body.find("<html"), std::string::npos);
  EXPECT_NE(r.body.find("/v1/tiktok/trending/music"), std::string::npos);
  EXPECT_NE(r.body.find("/v1/tiktok/regions"), std::string::npos);
  EXPECT_NE(r.body.find("search_keyword"), std::string::npos);
}

TEST_F(ServiceContractTest, LlmsTxtDescribesTheApi) {
  Reply r = client_.Get("/llms.txt");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type").rfind("text/plain", 0), 0u);
  EXPECT_EQ(r.body.rfind("# ", 0), 0u) << "llms.txt starts with an H1";
  EXPECT_NE(r.body.find("/v1/tiktok/trending/music"), std::string::npos);
  EXPECT_NE(r.body.find("Authorization"), std::string::npos);
}

TEST_F(ServiceContractTest, HealthzReportsTheSnapshotDay) {
  Reply r = client_.Get("/healthz");
  ASSERT_EQ(r.status, 200);
  Json json(r.body);
  EXPECT_EQ(std::string_view(json.root["status"]), "ok");
  EXPECT_EQ(std::string_view(json.root["snapshot_day"]), FormatDay(kChartDay));
}

TEST_F(ServiceContractTest, MetricsCountRequestsByRouteAndStatus) {
  client_.Get("/v1/tiktok/trending/music?limit=1", kKey);
  client_.Get("/v1/tiktok/trending/music?period=8", kKey);
  client_.Get("/nope");
  Reply r = client_.Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type").rfind("text/plain", 0), 0u);
  for (const char* line :
       {"soundtrend_http_requests_total{route=\"/v1/tiktok/trending/music\",status=\"200\"} 1\n",
        "soundtrend_http_requests_total{route=\"/v1/tiktok/trending/music\",status=\"400\"} 1\n",
        "# TYPE soundtrend_http_request_duration_seconds histogram\n",
        "soundtrend_http_request_duration_seconds_count{route=\"/v1/tiktok/trending/music\"} 2\n",
        "# TYPE soundtrend_snapshot_age_seconds gauge\n"}) {
    EXPECT_NE(r.body.find(line), std::string::npos) << line << "\n" << r.body;
  }
  EXPECT_NE(r.body.find("status=\"404\"} 1\n"), std::string::npos) << r.body;
}

TEST_F(ServiceContractTest, OversizedHeaderIs431) {
  Reply r = client_.Request("GET", "/healthz", {{"X-Big", std::string(9000, 'a')}});
  EXPECT_EQ(r.status, 431);
  Json json(r.body);
  CheckEnvelope(r, json);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_TRUE(client_.ServerClosed());
}

TEST_F(ServiceContractTest, TooManyHeadersIs431) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (int i = 0; i < 120; ++i) headers.emplace_back("X-H" + std::to_string(i), "v");
  Reply r = client_.Request("GET", "/healthz", headers);
  EXPECT_EQ(r.status, 431);
  Json json(r.body);
  CheckEnvelope(r, json);
}

TEST_F(ServiceContractTest, OversizedBodyIs413) {
  // Announced length above the limit: refused before the body is read.
  client_.WriteRaw(
      "GET /v1/tiktok/trending/music HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
  Reply r = client_.Read();
  EXPECT_EQ(r.status, 413);
  Json json(r.body);
  CheckEnvelope(r, json);
  EXPECT_TRUE(client_.ServerClosed());
}

TEST_F(ServiceContractTest, ChunkedBodyOverTheLimitIs413) {
  TestClient client(stack_.port);
  std::string chunk(64 * 1024, 'x');
  // A route that takes the request (an unknown route or method is refused before any of
  // the body is read: 404/405).
  std::string raw =
      "GET /v1/tiktok/trending/music HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  for (int i = 0; i < 20; ++i) raw += size_line + chunk + "\r\n";  // 1.25 MiB > 1 MiB
  raw += "0\r\n\r\n";
  try {
    client.WriteRaw(raw);
  } catch (const std::exception&) {
    // The server may close before the whole body is written; the reply is still readable.
  }
  Reply r = client.Read();
  EXPECT_EQ(r.status, 413);
}

TEST_F(ServiceContractTest, MalformedRequestIs400AndClosed) {
  client_.WriteRaw("GARBAGE\r\n\r\n");
  Reply r = client_.Read();
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(client_.ServerClosed());
}

TEST(ServiceLimitsTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  http::ServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(200);
  ServingStack stack(MakeFakeGateway(), 1, options);
  {
    TestClient silent(stack.port);  // connects, sends nothing
    EXPECT_TRUE(silent.ServerClosed());
  }
  {
    TestClient after_one(stack.port);  // one request, then silence
    EXPECT_EQ(after_one.Get("/healthz").status, 200);
    EXPECT_TRUE(after_one.ServerClosed());
  }
}

TEST(ServiceLimitsTest, AHeaderThatNeverEndsIsClosedAfterTheIdleTimeout) {
  http::ServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(200);
  ServingStack stack(MakeFakeGateway(), 1, options);
  TestClient slow(stack.port);
  slow.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // no blank line, ever
  EXPECT_TRUE(slow.ServerClosed());
}

TEST(ServiceLimitsTest, ABodyThatStopsComingIsClosedAfterTheReadTimeout) {
  // The idle timeout is far longer than ServerClosed waits: only the read timeout (on the
  // body) can close this connection in time.
  http::ServerOptions options;
  options.idle_timeout = std::chrono::minutes(5);
  options.read_timeout = std::chrono::milliseconds(200);
  ServingStack stack(MakeFakeGateway(), 1, options);
  TestClient slow(stack.port);
  slow.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_TRUE(slow.ServerClosed());
  // A connection that sends its request whole is served by the same server meanwhile.
  TestClient ok(stack.port);
  EXPECT_EQ(ok.Get("/healthz").status, 200);
}

// A gateway whose Commit waits for the test: the request is provably in flight.
class HeldCommitGateway final : public gateway::Gateway {
 public:
  explicit HeldCommitGateway(std::shared_ptr<gateway::Gateway> inner) : inner_(std::move(inner)) {}
  gateway::Admission Admit(std::string_view a, std::string_view e) override {
    return inner_->Admit(a, e);
  }
  gateway::ReserveOutcome Reserve(gateway::KeyAccount& a, int64_t c) override {
    return inner_->Reserve(a, c);
  }
  void Release(gateway::KeyAccount& a, int64_t c) override { inner_->Release(a, c); }
  int64_t Balance(const gateway::KeyAccount& a) const override { return inner_->Balance(a); }
  void Commit(std::shared_ptr<gateway::KeyAccount> account, gateway::ChargeInfo,
              std::function<void(Status)> done) override {
    std::lock_guard lock(mutex_);
    held_account_ = std::move(account);  // alive until `done` returns (Gateway::Commit)
    held_ = std::move(done);
    cv_.notify_all();
  }
  // Waits (bounded) until a Commit is held.
  bool WaitForCommit() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return held_ != nullptr; });
  }
  void ReleaseCommit() {
    std::function<void(Status)> done;
    std::shared_ptr<gateway::KeyAccount> account;
    {
      std::lock_guard lock(mutex_);
      done = std::move(held_);
      account = std::move(held_account_);
    }
    done(Status());
  }

 private:
  std::shared_ptr<gateway::Gateway> inner_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::function<void(Status)> held_;
  std::shared_ptr<gateway::KeyAccount> held_account_;
};

TEST(ServiceLimitsTest, StopFinishesInFlightRequestsAndClosesIdleOnes) {
  auto gw = std::make_shared<HeldCommitGateway>(MakeFakeGateway());
  ServingStack stack(gw, 2);
  TestClient idle(stack.port);
  ASSERT_EQ(idle.Get("/healthz").status, 200);
  TestClient busy(stack.port);
  busy.WriteRaw(
      "GET /v1/tiktok/trending/music?limit=3 HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer " +
      std::string(kKey) + "\r\n\r\n");
  ASSERT_TRUE(gw->WaitForCommit());
  stack.server->Stop();
  EXPECT_TRUE(idle.ServerClosed());  // idle connections go at once
  gw->ReleaseCommit();
  Reply r = busy.Read();  // the in-flight request is answered
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_TRUE(busy.ServerClosed());
  stack.server->Wait();
  // A new connection is refused once stopped.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  boost::system::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), stack.port}, ec);
  EXPECT_TRUE(ec);
}

TEST(HttpBodyTest, ExpectContinueAndAnnouncedBodyLimit) {
  http::Router router;
  http::RouteOptions small;
  small.body_limit = 16;
  router.Add(
      "POST", "/echo",
      [](const http::Request& request, http::Respond respond) {
        http::Response r;
        r.content_type = "text/plain";
        r.body = std::string(request.body);
        respond(std::move(r));
      },
      small);
  http::RouteOptions big;
  big.body_limit = 3 << 20;  // above the 1 MiB default
  router.Add(
      "POST", "/big",
      [](const http::Request& request, http::Respond respond) {
        http::Response r;
        r.content_type = "text/plain";
        r.body = std::to_string(request.body.size());
        respond(std::move(r));
      },
      big);
  http::ServerOptions options;
  options.access_log =
      std::make_shared<spdlog::logger>("body", std::make_shared<spdlog::sinks::null_sink_mt>());
  http::Server server(options, router, nullptr);
  auto port = server.Start();
  ASSERT_TRUE(port.ok());
  {
    TestClient client(*port, /*record=*/false);  // the test's own routes
    client.WriteRaw(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(client.Read().status, 100);  // sent before the body
    client.WriteRaw("hello");
    Reply r = client.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    // Same connection: the 16-byte limit is exact.
    Reply at_limit = client.Request("POST", "/echo", {}, std::string(16, 'a'));
    EXPECT_EQ(at_limit.status, 200);
  }
  {
    TestClient client(*port, /*record=*/false);  // the test's own routes
    client.WriteRaw(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n");
    Reply r = client.Read();  // no 100: refused at once
    EXPECT_EQ(r.status, 413);
    Json json(r.body);
    CheckEnvelope(r, json);
    EXPECT_TRUE(client.ServerClosed());
  }
  {
    TestClient client(*port, /*record=*/false);  // the test's own routes
    Reply r = client.Request("POST", "/big", {}, std::string(2 << 20, 'b'));  // > 1 MiB
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, std::to_string(2 << 20));
    // The route's own limit applies after the header: /echo refuses 17 bytes.
    Reply small_again = client.Request("POST", "/echo", {}, std::string(17, 'a'));
    EXPECT_EQ(small_again.status, 413);
  }
  {
    TestClient client(*port, /*record=*/false);  // the test's own routes
    client.WriteRaw("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 3145729\r\n\r\n");
    EXPECT_EQ(client.Read().status, 413);
  }
  {
    TestClient client(*port,
                      /*record=*/false);  // chunked: bounded by the route's limit while reading
    client.WriteRaw(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "10\r\naaaaaaaaaaaaaaaa\r\n10\r\naaaaaaaaaaaaaaaa\r\n0\r\n\r\n");
    EXPECT_EQ(client.Read().status, 413);
  }
  server.Stop();
  server.Wait();
}

TEST(AccessLogTest, OneLinePerRequestWithKeyIdNeverTheKey) {
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>(
      "access", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_pattern("%v");
  auto gw = MakeFakeGateway(/*async_commit=*/false);
  api::SnapshotHolder snapshots;
  snapshots.Publish(api::ServingSnapshot::Build(api::testing::MakeDemoChartSet(kChartDay), 1));
  http::Router router;
  api::AddServingRoutes(router, {gw, &snapshots, nullptr, {}});
  http::ServerOptions options;
  options.access_log = logger;
  http::Server server(options, router, nullptr);
  auto port = server.Start();
  ASSERT_TRUE(port.ok());
  std::string ok_id, bad_id;
  {
    TestClient client(*port);
    ok_id = client.Get("/v1/tiktok/trending/music?limit=1", kKey).Header("x-request-id");
    bad_id = client.Get("/v1/tiktok/trending/music?period=5", kKey).Header("x-request-id");
  }
  server.Stop();
  server.Wait();
  logger->flush();
  const std::string text = log.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_NE(text.find("method=GET path=/v1/tiktok/trending/music query=limit=1 status=200"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("query=period=5 status=400"), std::string::npos) << text;
  EXPECT_NE(text.find("client=127.0.0.1:"), std::string::npos) << text;
  EXPECT_NE(text.find("status=400"), std::string::npos) << text;
  EXPECT_NE(text.find("request_id=" + ok_id), std::string::npos) << text;
  EXPECT_NE(text.find("request_id=" + bad_id), std::string::npos) << text;
  EXPECT_NE(text.find("key_id=key_main"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_us="), std::string::npos) << text;
  EXPECT_EQ(text.find(kKey), std::string::npos) << "the key must never be logged";
  EXPECT_EQ(text.find("sk_live_"), std::string::npos);
}

}  // namespace
}  // namespace soundtrend::contract

namespace soundtrend::contract {
namespace {

std::string Gunzip(const std::string& data) {
  z_stream z{};
  if (inflateInit2(&z, 16 + 15) != Z_OK) return "<inflateInit2 failed>";
  std::string out(4 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return whole ? out : "<not one whole gzip member>";
}

std::string ReplaceRequestId(std::string body, const std::string& id) {
  const size_t at = body.find(id);
  if (at != std::string::npos) body.replace(at, id.size(), "<id>");
  return body;
}

TEST_F(ServiceContractTest, GzipBodiesDecompressToTheIdenticalJson) {
  const std::vector<std::pair<std::string, std::string>> gzip = {
      {"Authorization", std::string("Bearer ") + kKey}, {"Accept-Encoding", "gzip, br"}};
  const std::vector<std::pair<std::string, std::string>> plain = {
      {"Authorization", std::string("Bearer ") + kKey}};
  for (const char* target :
       {"/v1/tiktok/trending/music", "/v1/tiktok/trending/music?limit=1",
        "/v1/tiktok/trending/music?page=3&limit=7&commercial_music=TRUE",
        "/v1/tiktok/trending/music?new_to_top_100=true&commercial_music=true&limit=20",
        "/v1/tiktok/trending/music?page=99", "/v1/tiktok/trending/music?region=gb&period=30",
        "/v1/tiktok/trending/music?region=JP", "/openapi.json", "/docs", "/llms.txt"}) {
    SCOPED_TRACE(target);
    Reply z = client_.Request("GET", target, gzip);
    Reply p = client_.Request("GET", target, plain);
    ASSERT_EQ(z.status, 200) << z.body;
    ASSERT_EQ(p.status, 200);
    EXPECT_EQ(z.Header("content-encoding"), "gzip");
    EXPECT_EQ(z.Header("vary"), "Accept-Encoding");
    EXPECT_EQ(p.Header("content-encoding"), "<absent>");
    EXPECT_EQ(p.Header("vary"), "Accept-Encoding");
    EXPECT_EQ(z.Header("content-length"), std::to_string(z.body.size()));
    const std::string unzipped = Gunzip(z.body);
    EXPECT_EQ(ReplaceRequestId(unzipped, z.Header("x-request-id")),
              ReplaceRequestId(p.body, p.Header("x-request-id")));
    if (p.body.size() > 4096) {
      EXPECT_LT(z.body.size() * 2, p.body.size());
    }
  }
  // A search page is rendered per request: sent as it is. gzip;q=0 is a refusal.
  Reply search = client_.Request("GET", "/v1/tiktok/trending/music?search_keyword=song", gzip);
  EXPECT_EQ(search.status, 200);
  EXPECT_EQ(search.Header("content-encoding"), "<absent>");
  Reply refused = client_.Request(
      "GET", "/v1/tiktok/trending/music",
      {{"Authorization", std::string("Bearer ") + kKey}, {"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(refused.Header("content-encoding"), "<absent>");
  // An error is small: never compressed.
  Reply error = client_.Request("GET", "/v1/tiktok/trending/music?period=5", gzip);
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.Header("content-encoding"), "<absent>");
}

TEST(CorsContractTest, PreflightsAndHeadersForAllowedOriginsOnly) {
  http::ServerOptions options;
  options.cors = http::CorsPolicy({"https://app.example"});
  ServingStack stack(MakeFakeGateway(), 1, options);
  TestClient client(stack.port);
  const std::string auth = std::string("Bearer ") + kKey;
  Reply pre = client.Request("OPTIONS", "/v1/tiktok/trending/music",
                             {{"Origin", "https://app.example"},
                              {"Access-Control-Request-Method", "GET"},
                              {"Access-Control-Request-Headers", "authorization"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.Header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(pre.Header("access-control-allow-methods"), "GET, HEAD");
  EXPECT_NE(pre.Header("access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_EQ(pre.Header("access-control-max-age"), "600");
  EXPECT_TRUE(pre.body.empty());

  Reply get = client.Request("GET", "/v1/tiktok/trending/music?limit=1",
                             {{"Origin", "https://app.example"}, {"Authorization", auth}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.Header("access-control-allow-origin"), "https://app.example");
  EXPECT_NE(get.Header("access-control-expose-headers").find("X-Credits-Remaining"),
            std::string::npos);
  // Errors carry them too (a browser can read the envelope).
  Reply bad = client.Request("GET", "/v1/tiktok/trending/music?period=5",
                             {{"Origin", "https://app.example"}, {"Authorization", auth}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Header("access-control-allow-origin"), "https://app.example");

  // Another origin: no CORS header, its preflight refused.
  Reply other = client.Request("GET", "/v1/tiktok/trending/music?limit=1",
                               {{"Origin", "https://evil.example"}, {"Authorization", auth}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.Header("access-control-allow-origin"), "<absent>");
  Reply refused = client.Request(
      "OPTIONS", "/v1/tiktok/trending/music",
      {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.Header("access-control-allow-origin"), "<absent>");
  EXPECT_EQ(
      client
          .Request("OPTIONS", "/nope",
                   {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}})
          .status,
      404);
}

TEST_F(ServiceContractTest, NoCorsByDefault) {
  Reply pre = client_.Request(
      "OPTIONS", "/v1/tiktok/trending/music",
      {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(pre.status, 403);
  EXPECT_EQ(pre.Header("access-control-allow-origin"), "<absent>");
  Reply get = client_.Request("GET", "/v1/tiktok/regions", {{"Origin", "https://app.example"}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.Header("access-control-allow-origin"), "<absent>");
}

TEST_F(ServiceContractTest, ReadyzVersionAndServerHeader) {
  Reply ready = client_.Get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_NE(ready.body.find("\"ready\":true"), std::string::npos);
  Reply version = client_.Get("/version");
  EXPECT_EQ(version.status, 200);
  EXPECT_NE(version.body.find("\"name\":\"soundtrend\""), std::string::npos);
}

}  // namespace
}  // namespace soundtrend::contract
