// The dashboard API (dashboard/dashboard_api.h) over a real socket: sign-in, the session
// cookie, forwarding to the paid API and to the admin API, CSRF, sign-out, the sign-in rate
// limit, and what the database holds. The gateway is the test double; the sessions are the
// real SessionManager over SQLite.
#include "dashboard/dashboard_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "api/endpoints.h"
#include "api/snapshot.h"
#include "api/test_doubles.h"
#include "contract/test_client.h"
#include "dashboard/session_crypto.h"
#include "http/metrics.h"
#include "http/server.h"
#include "store/sqlite/sqlite_session_store.h"
#include "store/sqlite/sqlite_usage_store.h"

namespace soundtrend::dashboard {
namespace {

using contract::Reply;
using contract::TestClient;

constexpr char kKey[] = "sk_live_dashboarddashboarddashboarddash01";
constexpr char kAdminToken[] = "operator-token-for-the-dashboard-test";
constexpr char kJson[] = "application/json";

struct Stack {
  explicit Stack(const std::string& db, SignInLimit limit = {})
      : gateway(std::make_shared<api::testing::FakeGateway>(/*async_commit=*/true)),
        metrics(SystemClock::Instance()) {
    gateway->AddKey({kKey, "key_dash", 1000});
    snapshots.Publish(api::ServingSnapshot::Build(api::testing::MakeDemoChartSet(20500), 1));
    api::ServingDependencies serving;
    serving.gateway = gateway;
    serving.snapshots = &snapshots;
    serving.metrics = &metrics;
    api::AddServingRoutes(router, serving);
    // An admin route that says which Authorization it saw (never the token itself).
    for (const char* method : {"GET", "POST"}) {
      router.Add(method, "/admin/v1/keys", [](const http::Request& r, http::Respond respond) {
        http::Response out;
        const bool admin = r.header("Authorization") == std::string("Bearer ") + kAdminToken;
        out.body = std::string("{\"admin\":") + (admin ? "true" : "false") +
                   ",\"cookie_seen\":" + (r.header("Cookie").empty() ? "false" : "true") +
                   ",\"method\":\"" + std::string(r.method) +
                   "\",\"body\":" + (r.body.empty() ? "null" : std::string(r.body)) + "}";
        respond(std::move(out));
      });
    }
    auto store = store::sqlite::OpenSqliteSessionStore(db);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    DashboardApiDeps deps;
    deps.gateway = gateway;
    deps.admin_auth = gateway::AdminAuth(kAdminToken);
    deps.sessions =
        std::make_shared<SessionManager>(std::move(store).value(), clock, SecureRandom::Instance());
    deps.clock = &clock;
    deps.health = std::make_shared<HealthSampler>(metrics, clock, 3'600'000);
    auto usage_store = store::sqlite::OpenSqliteUsageStore(db);
    EXPECT_TRUE(usage_store.ok());
    usage = std::make_shared<UsageRecorder>(std::move(usage_store).value(),
                                            UsageOptions{50, /*flush_interval_millis=*/0});
    deps.usage = usage;
    deps.ingest_status = [this]() -> Result<IngestStatus> {
      IngestStatus st;
      st.latest_closed_day = 20500;
      st.latest_usage_day = 20500;
      st.published_day = 20499;
      st.published_built_micros = clock.NowMicros() - 90'000'000;
      return st;
    };
    DashboardApiOptions options;
    options.sign_in_limit = limit;
    AddDashboardApiRoutes(router, std::move(deps), options);
    http::ServerOptions server_options;
    server_options.threads = 2;
    server_options.access_log = std::make_shared<spdlog::logger>(
        "dashboard", std::make_shared<spdlog::sinks::null_sink_mt>());
    server = std::make_unique<http::Server>(server_options, router, &metrics);
    auto p = server->Start();
    EXPECT_TRUE(p.ok());
    port = p.ok() ? *p : 0;
  }
  ~Stack() {
    server->Stop();
    server->Wait();
  }
  FakeClock clock{1'800'000'000'000'000};
  std::shared_ptr<api::testing::FakeGateway> gateway;
  std::shared_ptr<UsageRecorder> usage;
  api::SnapshotHolder snapshots;
  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<http::Server> server;
  uint16_t port = 0;
};

class DashboardApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "dashboard_api_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Db() const { return dir_ + "/soundtrend.db"; }

  struct Signed {
    std::string cookie;  // "st_session=..."
    std::string csrf;
    Reply reply;
  };
  Signed SignIn(TestClient& c, const std::string& kind, const std::string& secret) {
    Signed s;
    s.reply = c.Request("POST", "/dashboard/api/session", {{"Content-Type", kJson}},
                        "{\"kind\":\"" + kind + "\",\"secret\":\"" + secret + "\"}");
    const std::string set_cookie = s.reply.Header("set-cookie");
    s.cookie = set_cookie.substr(0, set_cookie.find(';'));
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(s.reply.body).get(doc) == simdjson::SUCCESS) {
      std::string_view csrf;
      if (doc["data"]["csrf_token"].get(csrf) == simdjson::SUCCESS) s.csrf = std::string(csrf);
    }
    return s;
  }
  std::string dir_;
};

TEST_F(DashboardApiTest, CustomerSignsInWithAKeyAndGetsAnHttpOnlyStrictCookie) {
  Stack stack(Db());
  TestClient c(stack.port);
  Signed s = SignIn(c, "customer", kKey);
  ASSERT_EQ(s.reply.status, 200) << s.reply.body;
  const std::string set_cookie = s.reply.Header("set-cookie");
  EXPECT_TRUE(set_cookie.starts_with("st_session=")) << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(set_cookie.find("; Path=/dashboard/"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // plain HTTP here
  EXPECT_EQ(s.reply.Header("cache-control"), "no-store");
  EXPECT_NE(s.reply.body.find("\"kind\":\"customer\""), std::string::npos);
  EXPECT_NE(s.reply.body.find("\"key_id\":\"key_dash\""), std::string::npos);
  EXPECT_EQ(s.reply.body.find(kKey), std::string::npos);  // the key is never sent back
  EXPECT_EQ(s.csrf.size(), 43u);

  Reply me = c.Request("GET", "/dashboard/api/session", {{"Cookie", s.cookie}});
  EXPECT_EQ(me.status, 200);
  EXPECT_NE(me.body.find(s.csrf), std::string::npos);
}

TEST_F(DashboardApiTest, NoSessionWithoutAValidSecret) {
  Stack stack(Db());
  TestClient c(stack.port);
  for (const auto& [kind, secret] : std::vector<std::pair<std::string, std::string>>{
           {"customer", "sk_live_wrongwrongwrongwrongwrongwrongwrong1"},
           {"customer", kAdminToken},
           {"operator", kKey},
           {"operator", "not-the-token"}}) {
    Signed s = SignIn(c, kind, secret);
    EXPECT_EQ(s.reply.status, 401) << kind << " " << secret << ": " << s.reply.body;
    EXPECT_EQ(s.reply.Header("set-cookie"), "<absent>");
  }
  Reply form =
      c.Request("POST", "/dashboard/api/session",
                {{"Content-Type", "application/x-www-form-urlencoded"}}, "kind=customer&secret=x");
  EXPECT_EQ(form.status, 415);
  Reply cross = c.Request("POST", "/dashboard/api/session",
                          {{"Content-Type", kJson}, {"Origin", "https://evil.example"}},
                          std::string("{\"kind\":\"customer\",\"secret\":\"") + kKey + "\"}");
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(cross.Header("set-cookie"), "<absent>");
  Reply unknown = c.Request("POST", "/dashboard/api/session", {{"Content-Type", kJson}},
                            "{\"kind\":\"customer\",\"secret\":\"x\",\"remember\":true}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("remember is not a field"), std::string::npos);
  // A made-up cookie opens nothing.
  Reply forged = c.Request("GET", "/dashboard/api/session",
                           {{"Cookie", "st_session=" + NewSessionToken(SecureRandom::Instance())}});
  EXPECT_EQ(forged.status, 401);
  Reply none = c.Request("GET", "/dashboard/api/v1/account");
  EXPECT_EQ(none.status, 401);
}

TEST_F(DashboardApiTest, ChartsThroughTheSessionAreThePaidApiAndCostTwoCredits) {
  Stack stack(Db());
  TestClient c(stack.port);
  Signed s = SignIn(c, "customer", kKey);
  ASSERT_EQ(s.reply.status, 200);
  const int64_t before = stack.gateway->commits();
  Reply page = c.Request("GET", "/dashboard/api/v1/tiktok/trending/music?region=US&period=7",
                         {{"Cookie", s.cookie}});
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("\"sound_list\":["), std::string::npos);
  EXPECT_EQ(stack.gateway->commits(), before + 1);  // charged like any API call
  EXPECT_EQ(page.Header("x-credits-remaining"), "998");
  EXPECT_EQ(page.Header("cache-control"), "no-store");
  // A 400 from the API comes through as it is (and is not charged).
  Reply bad =
      c.Request("GET", "/dashboard/api/v1/tiktok/trending/music?period=8", {{"Cookie", s.cookie}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(stack.gateway->commits(), before + 1);
  EXPECT_EQ(c.Request("GET", "/dashboard/api/v1/nope", {{"Cookie", s.cookie}}).status, 404);
}

// With a shared rate limit (serve --redis) Admit answers kPending for a valid key: the
// sign-in takes it as valid (it needs no rate decision), and the session's API calls wait
// for the limit's answer like any keyed request.
TEST_F(DashboardApiTest, AKeyWhoseRateLimitIsDecidedLaterSignsInAndCallsTheApi) {
  Stack stack(Db());
  constexpr char kShared[] = "sk_live_sharedsharedsharedsharedshared001";
  stack.gateway->AddKey({kShared, "key_shared", 100, false, false, /*pending_admit=*/true});
  TestClient c(stack.port);
  Signed s = SignIn(c, "customer", kShared);
  ASSERT_EQ(s.reply.status, 200) << s.reply.body;
  EXPECT_NE(s.reply.body.find("\"key_id\":\"key_shared\""), std::string::npos);
  Reply page = c.Request("GET", "/dashboard/api/v1/tiktok/trending/music?region=US&period=7",
                         {{"Cookie", s.cookie}});
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.Header("x-credits-remaining"), "98");
  EXPECT_EQ(page.Header("ratelimit"), "\"default\";r=9;t=1");  // the late decision's
}

TEST_F(DashboardApiTest, ACustomerSessionCannotReachTheAdminApi) {
  Stack stack(Db());
  TestClient c(stack.port);
  Signed s = SignIn(c, "customer", kKey);
  ASSERT_EQ(s.reply.status, 200);
  Reply list = c.Request("GET", "/dashboard/api/admin/keys", {{"Cookie", s.cookie}});
  EXPECT_EQ(list.status, 403);
  EXPECT_NE(list.body.find("operator session required"), std::string::npos);
  Reply create = c.Request("POST", "/dashboard/api/admin/keys",
                           {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}}, "{}");
  EXPECT_EQ(create.status, 403);
}

TEST_F(DashboardApiTest, OperatorReachesTheAdminApiAndChangesNeedTheCsrfToken) {
  Stack stack(Db());
  TestClient c(stack.port);
  Signed op = SignIn(c, "operator", kAdminToken);
  ASSERT_EQ(op.reply.status, 200) << op.reply.body;
  EXPECT_NE(op.reply.body.find("\"kind\":\"operator\""), std::string::npos);
  Reply list = c.Request("GET", "/dashboard/api/admin/keys", {{"Cookie", op.cookie}});
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("\"admin\":true"), std::string::npos);
  EXPECT_NE(list.body.find("\"cookie_seen\":false"), std::string::npos);  // not passed on

  Reply no_csrf =
      c.Request("POST", "/dashboard/api/admin/keys", {{"Cookie", op.cookie}}, "{\"name\":\"x\"}");
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_NE(no_csrf.body.find("csrf token missing or invalid"), std::string::npos);
  Reply wrong_csrf = c.Request("POST", "/dashboard/api/admin/keys",
                               {{"Cookie", op.cookie}, {"X-CSRF-Token", std::string(43, 'A')}},
                               "{\"name\":\"x\"}");
  EXPECT_EQ(wrong_csrf.status, 403);
  Reply cross = c.Request(
      "POST", "/dashboard/api/admin/keys",
      {{"Cookie", op.cookie}, {"X-CSRF-Token", op.csrf}, {"Origin", "http://evil.example"}},
      "{\"name\":\"x\"}");
  EXPECT_EQ(cross.status, 403);
  Reply ok = c.Request("POST", "/dashboard/api/admin/keys",
                       {{"Cookie", op.cookie},
                        {"X-CSRF-Token", op.csrf},
                        {"Origin", "http://127.0.0.1"},
                        {"Content-Type", kJson}},
                       "{\"name\":\"x\"}");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("\"method\":\"POST\",\"body\":{\"name\":\"x\"}"), std::string::npos);
  // An operator has no key: the customer API is not theirs.
  EXPECT_EQ(c.Request("GET", "/dashboard/api/v1/account", {{"Cookie", op.cookie}}).status, 403);
  EXPECT_EQ(c.Request("GET", "/dashboard/api/admin/nope", {{"Cookie", op.cookie}}).status, 404);
}

TEST_F(DashboardApiTest, SignOutNeedsTheCsrfTokenThenNothingIsReachable) {
  Stack stack(Db());
  TestClient c(stack.port);
  Signed s = SignIn(c, "customer", kKey);
  ASSERT_EQ(s.reply.status, 200);
  EXPECT_EQ(c.Request("DELETE", "/dashboard/api/session", {{"Cookie", s.cookie}}).status, 403);
  Reply out = c.Request("DELETE", "/dashboard/api/session",
                        {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}});
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_TRUE(out.Header("set-cookie").starts_with("st_session=; Path=/dashboard/; Max-Age=0"))
      << out.Header("set-cookie");
  EXPECT_EQ(c.Request("GET", "/dashboard/api/session", {{"Cookie", s.cookie}}).status, 401);
  EXPECT_EQ(
      c.Request("GET", "/dashboard/api/v1/tiktok/trending/music", {{"Cookie", s.cookie}}).status,
      401);
  // Another node on the same database (a second stack) refuses it too.
  Stack node_b(Db());
  TestClient b(node_b.port);
  EXPECT_EQ(b.Request("GET", "/dashboard/api/session", {{"Cookie", s.cookie}}).status, 401);
}

TEST_F(DashboardApiTest, ASessionIsKnownToEveryNodeOnTheDatabase) {
  Stack node_a(Db());
  Stack node_b(Db());
  TestClient a(node_a.port);
  TestClient b(node_b.port);
  Signed s = SignIn(a, "customer", kKey);
  ASSERT_EQ(s.reply.status, 200);
  Reply me = b.Request("GET", "/dashboard/api/session", {{"Cookie", s.cookie}});
  EXPECT_EQ(me.status, 200) << me.body;
}

TEST_F(DashboardApiTest, SignInAttemptsAreRateLimitedPerAddress) {
  Stack stack(Db(), SignInLimit{3, 60'000'000'000});
  TestClient c(stack.port);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(SignIn(c, "operator", "wrong").reply.status, 401) << i;
  Signed limited = SignIn(c, "operator", kAdminToken);  // right, but over the limit
  EXPECT_EQ(limited.reply.status, 429);
  EXPECT_EQ(limited.reply.Header("retry-after"), "60");
  EXPECT_EQ(limited.reply.Header("set-cookie"), "<absent>");
  stack.clock.AdvanceSeconds(60);
  EXPECT_EQ(SignIn(c, "operator", kAdminToken).reply.status, 200);
}

TEST_F(DashboardApiTest, CookieIsSecureBehindTls) {
  Stack stack(Db());
  TestClient c(stack.port);
  Reply r = c.Request("POST", "/dashboard/api/session",
                      {{"Content-Type", kJson}, {"X-Forwarded-Proto", "https"}},
                      std::string("{\"kind\":\"customer\",\"secret\":\"") + kKey + "\"}");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.Header("set-cookie").find("; Secure"), std::string::npos);
}

TEST_F(DashboardApiTest, TheDatabaseHoldsNoKeyAndNoToken) {
  std::string cookie;
  {
    Stack stack(Db());
    TestClient c(stack.port);
    Signed s = SignIn(c, "customer", kKey);
    ASSERT_EQ(s.reply.status, 200);
    Signed op = SignIn(c, "operator", kAdminToken);
    ASSERT_EQ(op.reply.status, 200);
    cookie = s.cookie.substr(s.cookie.find('=') + 1);
  }
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(kKey), std::string::npos);
  EXPECT_EQ(bytes.find(kAdminToken), std::string::npos);
  EXPECT_EQ(bytes.find(cookie), std::string::npos);
}

TEST_F(DashboardApiTest, HealthIsTheOperatorsAndComesFromTheServersMetrics) {
  Stack stack(Db());
  TestClient c(stack.port);
  Signed op = SignIn(c, "operator", kAdminToken);
  ASSERT_EQ(op.reply.status, 200);
  for (int i = 0; i < 5; ++i) c.Request("GET", "/v1/tiktok/regions");
  stack.clock.AdvanceSeconds(5);
  Reply health = c.Request("GET", "/dashboard/api/ops/health", {{"Cookie", op.cookie}});
  ASSERT_EQ(health.status, 200) << health.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(health.body);
  simdjson::dom::array windows = doc["data"]["windows"];
  ASSERT_EQ(windows.size(), 2u);
  int64_t seconds = windows.at(0)["window_seconds"];
  EXPECT_EQ(seconds, 10);
  // Sign-in and the five regions calls (the health call itself is not yet counted).
  uint64_t requests = windows.at(1)["requests"];
  EXPECT_EQ(requests, 6u);
  double rate = windows.at(1)["requests_per_second"];
  EXPECT_DOUBLE_EQ(rate, 6.0 / 5);
  Signed customer = SignIn(c, "customer", kKey);
  EXPECT_EQ(c.Request("GET", "/dashboard/api/ops/health", {{"Cookie", customer.cookie}}).status,
            403);
  EXPECT_EQ(c.Request("GET", "/dashboard/api/ops/health").status, 401);
}

TEST_F(DashboardApiTest, IngestStatusIsTheOperators) {
  Stack stack(Db());
  TestClient c(stack.port);
  Signed op = SignIn(c, "operator", kAdminToken);
  Reply r = c.Request("GET", "/dashboard/api/ops/ingest", {{"Cookie", op.cookie}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"latest_closed_day\":\"2026-02-16\",\"latest_usage_day\":\"2026-02-16\","
                        "\"published_day\":\"2026-02-15\""),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("\"published_age_seconds\":90"), std::string::npos) << r.body;
  Signed customer = SignIn(c, "customer", kKey);
  EXPECT_EQ(c.Request("GET", "/dashboard/api/ops/ingest", {{"Cookie", customer.cookie}}).status,
            403);
}

TEST_F(DashboardApiTest, UsageIsTheSessionKeysLast30DaysAndLatestRequests) {
  Stack stack(Db());
  TestClient c(stack.port);
  Signed s = SignIn(c, "customer", kKey);
  const int64_t now = stack.clock.NowMicros();
  const int64_t day = 86'400'000'000;
  stack.usage->Record({"key_dash", "/v1/tiktok/trending/music", "r-old", 200, 2, now - 3 * day});
  stack.usage->Record({"key_dash", "/v1/tiktok/trending/music", "r1", 200, 2, now});
  stack.usage->Record({"key_dash", "/v1/tiktok/trending/music", "r2", 402, 0, now + 1});
  stack.usage->Record({"key_other", "/v1/tiktok/trending/music", "x", 200, 2, now});
  stack.usage->Record(
      {"key_dash", "/v1/tiktok/trending/music", "r-ancient", 200, 2, now - 40 * day});
  Reply r = c.Request("GET", "/dashboard/api/usage", {{"Cookie", s.cookie}});
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  simdjson::dom::array days = doc["data"]["days"];
  ASSERT_EQ(days.size(), 30u);
  std::string_view today = doc["data"]["today"];
  std::string_view last = days.at(29)["day"];
  EXPECT_EQ(last, today);
  int64_t ok_today = days.at(29)["ok"], p402 = days.at(29)["payment_required"];
  EXPECT_EQ(ok_today, 1);
  EXPECT_EQ(p402, 1);
  int64_t ok_3 = days.at(26)["ok"];
  EXPECT_EQ(ok_3, 1);
  int64_t today_credits = doc["data"]["credits"]["today"],
          week = doc["data"]["credits"]["last_7_days"],
          month = doc["data"]["credits"]["last_30_days"];
  EXPECT_EQ(today_credits, 2);
  EXPECT_EQ(week, 4);
  EXPECT_EQ(month, 4);  // the 40-day-old request is outside
  simdjson::dom::array recent = doc["data"]["recent"];
  ASSERT_EQ(recent.size(), 4u);  // key_dash's, newest first (the store keeps 50)
  std::string_view newest = recent.at(0)["request_id"];
  EXPECT_EQ(newest, "r2");
  EXPECT_EQ(r.body.find("key_other"), std::string::npos);
  Signed op = SignIn(c, "operator", kAdminToken);
  EXPECT_EQ(c.Request("GET", "/dashboard/api/usage", {{"Cookie", op.cookie}}).status, 403);
}

TEST_F(DashboardApiTest, UnknownApiPathsAreJson404s) {
  Stack stack(Db());
  TestClient c(stack.port);
  Reply r = c.Request("GET", "/dashboard/api/whatever");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("content-type"), "application/json");
}

TEST(CookieTest, ValueOfANamedCookie) {
  EXPECT_EQ(CookieValue("st_session=abc", "st_session"), "abc");
  EXPECT_EQ(CookieValue("a=1; st_session=abc; b=2", "st_session"), "abc");
  EXPECT_EQ(CookieValue("a=1;st_session=\"q\"", "st_session"), "q");
  EXPECT_EQ(CookieValue("xst_session=abc", "st_session"), "");
  EXPECT_EQ(CookieValue("", "st_session"), "");
  EXPECT_EQ(SessionCookie("T", 60, true),
            "st_session=T; Path=/dashboard/; Max-Age=60; HttpOnly; SameSite=Strict; Secure");
}

}  // namespace
}  // namespace soundtrend::dashboard
