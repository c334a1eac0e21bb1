// `soundtrend serve` wired for real, on each store (issue 10): the chart and key stores in a
// temporary SQLite file, and on a fresh database of a private PostgreSQL (ServeConfig.db_path
// its URL, the node's ledger logs in a state dir); the chart engine and publisher, the
// BillingGateway and the admin API, over a socket. One body per test, both stores
// (Store/ServeAppTest.*/Sqlite|Postgres). Also the publication loop and the binary itself
// ("listening on" line, SIGTERM -> exit 0), on both stores as well.
#include "app/serve_app.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "../gateway/process_util.h"
#include "app/serve_publish.h"
#include "app/stores.h"
#include "common/day.h"
#include "common/json_writer.h"
#include "contract_util.h"
#include "engine/publisher.h"
#include "gateway/backend_param.h"
#include "test_client.h"

extern char** environ;

namespace soundtrend::contract {
namespace {

constexpr char kAdminToken[] = "admin-token-for-contract-tests";
constexpr uint64_t kClipA = 7100000000000000001ULL;  // above 2^53: must survive as a string
constexpr uint64_t kClipB = 7100000000000000002ULL;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "st_serve_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

Day ClosedDay() { return engine::LatestClosedDay(SystemClock::Instance().NowMicros(), 7200); }

SoundRecord Sound(uint64_t clip, std::string title) {
  SoundRecord s;
  s.clip_id = clip;
  s.song_id = clip + 1000;
  s.title = std::move(title);
  s.author = "Artist";
  s.cover = "https://example.com/c.jpeg";
  s.duration = 30;
  return s;
}

Batch UsesBatch(std::string id, std::vector<std::pair<uint64_t, int64_t>> uses, Day day) {
  Batch b;
  b.id = std::move(id);
  for (auto [clip, n] : uses) b.uses.push_back({clip, *FindRegion("US"), day, n});
  b.source_records = static_cast<int64_t>(b.uses.size());
  return b;
}

class ServeAppTest : public ::testing::TestWithParam<testing::TestBackend> {
 protected:
  void Open(bool charging = true) {
    app::ServeConfig config;
    config.db_path = db_;  // SQLite: the parent is created by serve
    config.node_id = "serve-app-test";
    config.state_dir = dir_.File("state");  // PostgreSQL: this node's ledger logs
    config.port = 0;
    config.threads = 2;
    config.admin_token = kAdminToken;
    config.charging = charging;
    config.access_log = std::make_shared<spdlog::logger>(
        "serve_app_test", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto app = app::ServeApp::Open(config);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(app).value();
    auto port = app_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
  }

  // Creates a key through the admin API; returns the key.
  std::string CreateKey(int64_t credits) {
    TestClient client(port_);
    Reply r = client.Request("POST", "/admin/v1/keys",
                             {{"Authorization", std::string("Bearer ") + kAdminToken}},
                             R"({"name":"contract","credits":)" + std::to_string(credits) + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    Json json(r.body);
    std::string_view key;
    EXPECT_EQ(json.root["data"]["key"].get(key), simdjson::SUCCESS) << r.body;
    return std::string(key);
  }

  Reply Trending(const std::string& key, const std::string& query = "") {
    TestClient client(port_);
    return client.Get("/v1/tiktok/trending/music" + (query.empty() ? "" : "?" + query), key);
  }

  std::vector<std::string> ClipIds(const Reply& r) {
    std::vector<std::string> ids;
    Json json(r.body);
    CheckEnvelope(r, json);
    if (!json.ok || r.status != 200) return ids;
    for (simdjson::dom::element item : json.root["data"]["sound_list"].get_array())
      ids.emplace_back(std::string_view(item["clip_id"]));
    return ids;
  }

  // Stores `batch` through another connection to the database (as `soundtrend ingest` in
  // another process would).
  void Seed(const Batch& batch) {
    std::filesystem::create_directories(dir_.File("db"));
    auto store = app::OpenChartStore(db_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto applied = (*store)->ApplyBatch(batch);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }

  TempDir dir_;
  // A SQLite file (its directory not created yet) or a fresh PostgreSQL database's URL.
  const std::string db_ = testing::FreshDatabase(GetParam(), dir_.File("db"), "soundtrend.db");
  std::unique_ptr<app::ServeApp> app_;
  uint16_t port_ = 0;
};

TEST_P(ServeAppTest, EmptyStoreServesEmptyPagesAndCharges) {
  Open();
  const std::string key = CreateKey(10);
  Reply r = Trending(key, "page=3&limit=25");
  ASSERT_EQ(r.status, 200) << r.body;
  Json json(r.body);
  CheckEnvelope(r, json);
  simdjson::dom::element p = json.root["data"]["pagination"];
  EXPECT_EQ(int64_t(p["page"]), 3);
  EXPECT_EQ(int64_t(p["size"]), 20);
  EXPECT_EQ(int64_t(p["total"]), 0);
  EXPECT_FALSE(bool(p["has_more"]));
  EXPECT_EQ(json.root["data"]["sound_list"].get_array().size(), 0u);
  EXPECT_EQ(r.Header("x-credits-remaining"), "8");

  TestClient client(port_);
  Json health(client.Get("/healthz").body);
  EXPECT_EQ(std::string_view(health.root["snapshot_day"]), FormatDay(ClosedDay()));
  // The snapshot-age gauge follows the publications.
  Reply metrics = client.Get("/metrics");
  const std::string gauge = "\nsoundtrend_snapshot_age_seconds ";
  const size_t at = metrics.body.find(gauge);
  ASSERT_NE(at, std::string::npos) << metrics.body;
  const double age = std::stod(metrics.body.substr(at + gauge.size()));
  EXPECT_GE(age, 0.0);
  EXPECT_LT(age, 600.0);
  EXPECT_EQ(Trending("").status, 401);
  EXPECT_EQ(Trending("sk_live_unknownunknownunknownunknown99").status, 401);
  // The admin API refuses a customer key and a missing token.
  EXPECT_EQ(client.Get("/admin/v1/keys", key).status, 401);
  EXPECT_EQ(client.Get("/admin/v1/keys").status, 401);
}

TEST_P(ServeAppTest, CreditsRunOutWith402) {
  Open();
  const std::string key = CreateKey(4);
  EXPECT_EQ(Trending(key).status, 200);
  EXPECT_EQ(Trending(key).status, 200);
  Reply r = Trending(key);
  EXPECT_EQ(r.status, 402);
  Json json(r.body);
  EXPECT_EQ(CheckEnvelope(r, json), "apiKey quota is not enough");
}

TEST_P(ServeAppTest, RealGatewayForbiddenAndRateLimitedComeBeforeParameters) {
  Open();
  TestClient admin(port_);
  const std::vector<std::pair<std::string, std::string>> token = {
      {"Authorization", std::string("Bearer ") + kAdminToken}};
  Reply created =
      admin.Request("POST", "/admin/v1/keys", token,
                    R"({"name":"account-only","credits":10,"endpoints":["/v1/account"]})");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string account_only(std::string_view(Json(created.body).root["data"]["key"]));
  Reply forbidden = Trending(account_only, "period=8");
  EXPECT_EQ(forbidden.status, 403);
  Json forbidden_json(forbidden.body);
  EXPECT_EQ(CheckEnvelope(forbidden, forbidden_json),
            "apiKey is not allowed to access this endpoint");
  // The key's balance, untouched: on PostgreSQL too, where this node never leased any of it
  // (its view of the free credits is the stored balance until a lease).
  EXPECT_EQ(forbidden.Header("x-credits-remaining"), "10");
  // A grant shows in the next answer once the node has it (its reload: at once in-process,
  // within a second from elsewhere), without a lease on PostgreSQL either.
  const std::string account_only_id(std::string_view(Json(created.body).root["data"]["key_id"]));
  Reply granted =
      admin.Request("POST", "/admin/v1/credits/grant", token,
                    R"({"key_id":")" + account_only_id + R"(","grant_id":"top-up","amount":5})");
  ASSERT_EQ(granted.status, 200) << granted.body;
  std::string remaining;
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       remaining != "15" && std::chrono::steady_clock::now() < deadline;) {
    remaining = Trending(account_only, "period=8").Header("x-credits-remaining");
  }
  EXPECT_EQ(remaining, "15");

  created = admin.Request("POST", "/admin/v1/keys", token,
                          R"({"name":"slow","credits":100,"qps":1,"burst":1})");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string slow(std::string_view(Json(created.body).root["data"]["key"]));
  // Back-to-back requests on one connection: the second or third is over 1 per second.
  TestClient client(port_);
  std::vector<Reply> replies;
  for (int i = 0; i < 3; ++i)
    replies.push_back(client.Get("/v1/tiktok/trending/music?period=8", slow));
  EXPECT_EQ(replies[0].status, 400);  // admitted, then the parameter is refused
  int limited = 0;
  for (const Reply& r : replies) {
    if (r.status != 429) continue;
    ++limited;
    Json json(r.body);
    EXPECT_EQ(CheckEnvelope(r, json), "qps limit exceeded");
    EXPECT_NE(r.Header("retry-after"), "<absent>");
    EXPECT_NE(r.Header("ratelimit"), "<absent>");
    EXPECT_NE(r.Header("ratelimit-policy"), "<absent>");
  }
  EXPECT_GE(limited, 1);
  Reply account = client.Get("/v1/account", account_only);
  EXPECT_EQ(account.status, 200);
}

TEST_P(ServeAppTest, KeysShowUpdateRotateOverTheAdminApiTakeEffectOnTheNextRequest) {
  Open();
  TestClient admin(port_);
  const std::vector<std::pair<std::string, std::string>> token = {
      {"Authorization", std::string("Bearer ") + kAdminToken}};
  Reply created = admin.Request("POST", "/admin/v1/keys", token,
                                R"({"name":"rotating","credits":100,"qps":50})");
  ASSERT_EQ(created.status, 200) << created.body;
  Json created_json(created.body);
  const std::string key(std::string_view(created_json.root["data"]["key"]));
  const std::string key_id(std::string_view(created_json.root["data"]["key_id"]));
  const std::string path = "/admin/v1/keys/" + key_id;

  // GET: the key, never its secret.
  Reply shown = admin.Request("GET", path, token);
  ASSERT_EQ(shown.status, 200) << shown.body;
  Json shown_json(shown.body);
  CheckEnvelope(shown, shown_json);
  EXPECT_EQ(std::string_view(shown_json.root["data"]["key_id"]), key_id);
  EXPECT_EQ(int64_t(shown_json.root["data"]["qps"]), 50);
  EXPECT_EQ(int64_t(shown_json.root["data"]["balance"]), 100);
  EXPECT_TRUE(shown_json.root["data"]["previous_key_expires_at"].is_null());
  EXPECT_EQ(shown.body.find(key), std::string::npos);
  EXPECT_EQ(admin.Request("HEAD", path, token).status, 200);
  EXPECT_EQ(admin.Request("GET", "/admin/v1/keys/key_000000000000", token).status, 404);
  EXPECT_EQ(admin.Request("GET", "/admin/v1/keys/nope", token).status, 400);
  EXPECT_EQ(admin.Request("GET", path).status, 401);
  EXPECT_EQ(admin.Request("GET", path, {{"Authorization", "Bearer " + key}}).status, 401);

  // PATCH: only what is given changes; the next request sees it.
  EXPECT_EQ(Trending(key).status, 200);
  Reply updated =
      admin.Request("PATCH", path, token, R"({"name":"renamed","endpoints":["/v1/account"]})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  Json updated_json(updated.body);
  CheckEnvelope(updated, updated_json);
  EXPECT_EQ(std::string_view(updated_json.root["data"]["name"]), "renamed");
  EXPECT_EQ(int64_t(updated_json.root["data"]["qps"]), 50);
  EXPECT_EQ(Trending(key).status, 403);
  TestClient customer(port_);
  EXPECT_EQ(customer.Get("/v1/account", key).status, 200);
  updated = admin.Request("PATCH", path, token, R"({"endpoints":[],"qps":7,"expires":null})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  Reply after_patch = Trending(key);
  EXPECT_EQ(after_patch.status, 200);
  EXPECT_EQ(after_patch.Header("ratelimit-policy"), "\"default\";q=7;w=1");

  // Strict validation, each naming the field and the rule; nothing changes.
  for (const auto& [body, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"qps":0})", "Invalid parameter: qps must be between 1 and 100000"},
           {R"({"credit":5})",
            "Invalid parameter: credit is not a known field (known: name, "
            "qps, burst, expires, endpoints)"},
           {R"({"endpoints":["/v1/nope"]})",
            "Invalid parameter: endpoints: /v1/nope is not a customer endpoint (one of "
            "/v1/tiktok/trending/music, /v1/tiktok/trending/music/detail, /v1/tiktok/regions, "
            "/v1/account)"},
           {R"({})",
            "Invalid parameter: changes: nothing to change (set name, qps, burst, "
            "expires or endpoints)"},
           {R"([1])", "Invalid parameter: body must be a JSON object"},
       }) {
    Reply refused = admin.Request("PATCH", path, token, body);
    EXPECT_EQ(refused.status, 400) << body;
    Json refused_json(refused.body);
    EXPECT_EQ(CheckEnvelope(refused, refused_json), message) << body;
  }
  {
    // "In the future" is a rule the OpenAPI document cannot state: not recorded for its check.
    TestClient unrecorded(port_, /*record=*/false);
    Reply refused = unrecorded.Request("PATCH", path, token, R"({"expires":"2020-01-01"})");
    EXPECT_EQ(refused.status, 400);
    Json refused_json(refused.body);
    EXPECT_EQ(CheckEnvelope(refused, refused_json),
              "Invalid parameter: expires 2020-01-01T00:00:00.000000Z is not in the future (the "
              "key would be refused at once)");
  }
  EXPECT_EQ(int64_t(Json(admin.Request("GET", path, token).body).root["data"]["qps"]), 7);

  // Rotate at once: the old secret is refused on its next request, the new one works with
  // the same balance.
  Reply rotated = admin.Request("POST", path + "/rotate", token);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  Json rotated_json(rotated.body);
  CheckEnvelope(rotated, rotated_json);
  const std::string key2(std::string_view(rotated_json.root["data"]["key"]));
  EXPECT_NE(key2, key);
  EXPECT_EQ(std::string_view(rotated_json.root["data"]["key_id"]), key_id);
  EXPECT_EQ(Trending(key).status, 401);
  Reply with_new = Trending(key2);
  EXPECT_EQ(with_new.status, 200);
  EXPECT_EQ(with_new.Header("x-credits-remaining"), "94");

  // Rotate with a grace: both secrets work (one account) until it ends.
  rotated = admin.Request("POST", path + "/rotate", token, R"({"grace_seconds":3600})");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  Json graced_json(rotated.body);
  const std::string key3(std::string_view(graced_json.root["data"]["key"]));
  EXPECT_FALSE(graced_json.root["data"]["details"]["previous_key_expires_at"].is_null());
  EXPECT_EQ(Trending(key2).Header("x-credits-remaining"), "92");
  EXPECT_EQ(Trending(key3).Header("x-credits-remaining"), "90");
  EXPECT_EQ(admin.Request("POST", path + "/rotate", token, R"({"grace_seconds":-1})").status, 400);
  EXPECT_EQ(admin.Request("POST", path + "/rotate", token, R"({"grace":1})").status, 400);
  EXPECT_EQ(admin.Request("POST", "/admin/v1/keys/key_000000000000/rotate", token).status, 404);
  EXPECT_EQ(admin.Request("GET", path + "/rotate", token).status, 405);
  EXPECT_EQ(admin.Request("POST", path, token).status, 405);
  ASSERT_EQ(admin.Request("POST", "/admin/v1/keys/revoke", token, R"({"key_id":")" + key_id + "\"}")
                .status,
            200);
  Reply revoked = admin.Request("POST", path + "/rotate", token);
  EXPECT_EQ(revoked.status, 409);
  EXPECT_EQ(Trending(key3).status, 401);
}

// The customer's overview counts every keyed request the service answered, whoever sent
// it, by outcome, with the latest requests by their X-Request-Id (dashboard usage, fed by
// the paid-endpoint wrapper's outcome hook).
TEST_P(ServeAppTest, TheDashboardsUsageCountsEveryKeyedRequestByOutcome) {
  Open();
  TestClient admin(port_);
  Reply created = admin.Request("POST", "/admin/v1/keys",
                                {{"Authorization", std::string("Bearer ") + kAdminToken}},
                                R"({"name":"usage","credits":2,"qps":1,"burst":4})");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string key(std::string_view(Json(created.body).root["data"]["key"]));
  // 200 (2 credits), 402 (none left), 400 (admitted, bad parameter), then 200/402/429:
  // whatever the rate limiter decided, each status the client saw is counted once.
  TestClient client(port_);
  std::vector<Reply> replies;
  replies.push_back(client.Get("/v1/tiktok/trending/music", key));
  replies.push_back(client.Get("/v1/tiktok/trending/music", key));
  replies.push_back(client.Get("/v1/tiktok/trending/music?period=8", key));
  for (int i = 0; i < 3; ++i) replies.push_back(client.Get("/v1/tiktok/trending/music", key));
  replies.push_back(
      client.Get("/v1/tiktok/trending/music", "sk_live_unknownunknownunknownunknown99"));
  ASSERT_EQ(replies[0].status, 200);
  ASSERT_EQ(replies[1].status, 402);
  ASSERT_EQ(replies[2].status, 400);
  std::map<int, int64_t> seen;
  for (size_t i = 0; i + 1 < replies.size(); ++i) ++seen[replies[i].status];
  EXPECT_GE(seen[429], 1);  // burst 4: the 5th or 6th back-to-back request is over the limit

  Reply signed_in =
      client.Request("POST", "/dashboard/api/session", {{"Content-Type", "application/json"}},
                     R"({"kind":"customer","secret":")" + key + R"("})");
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  const std::string set_cookie = signed_in.Header("set-cookie");
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  Reply usage = client.Request("GET", "/dashboard/api/usage", {{"Cookie", cookie}});
  ASSERT_EQ(usage.status, 200) << usage.body;
  Json json(usage.body);
  CheckEnvelope(usage, json);
  simdjson::dom::element data = json.root["data"];
  simdjson::dom::array days = data["days"];
  ASSERT_EQ(days.size(), 30u);
  simdjson::dom::element today = days.at(29);
  EXPECT_EQ(std::string_view(today["day"]), FormatDay(DayOfUnixSeconds(std::time(nullptr))));
  EXPECT_EQ(int64_t(today["ok"]), seen[200]);
  EXPECT_EQ(int64_t(today["payment_required"]), seen[402]);
  EXPECT_EQ(int64_t(today["rate_limited"]), seen[429]);
  EXPECT_EQ(int64_t(today["other_client_errors"]), seen[400]);
  EXPECT_EQ(int64_t(today["server_errors"]), 0);
  EXPECT_EQ(int64_t(today["credits"]), 2);
  EXPECT_EQ(int64_t(data["credits"]["today"]), 2);
  EXPECT_EQ(int64_t(data["credits"]["last_30_days"]), 2);
  // The latest requests, newest first, are the replies' (the unknown key's is nobody's).
  simdjson::dom::array recent = data["recent"];
  ASSERT_EQ(recent.size(), replies.size() - 1);
  for (size_t i = 0; i < recent.size(); ++i) {
    const Reply& r = replies[replies.size() - 2 - i];
    simdjson::dom::element item = recent.at(i);
    EXPECT_EQ(std::string_view(item["request_id"]), r.Header("x-request-id")) << i;
    EXPECT_EQ(int64_t(item["status"]), r.status) << i;
    EXPECT_EQ(int64_t(item["cost"]), r.status == 200 ? 2 : 0) << i;
    EXPECT_EQ(std::string_view(item["endpoint"]), "/v1/tiktok/trending/music");
  }
}

TEST_P(ServeAppTest, NoChargingKeepsKeysOnAndCostsNothing) {
  Open(/*charging=*/false);
  const std::string key = CreateKey(2);
  for (int i = 0; i < 3; ++i) {
    Reply r = Trending(key);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("x-credits-remaining"), "2");
  }
  EXPECT_EQ(Trending("").status, 401);
  EXPECT_EQ(Trending("sk_live_unknownunknownunknownunknown99").status, 401);
}

TEST_P(ServeAppTest, StoredChartsAreServedAndIngestedDataIsPublished) {
  const Day day = ClosedDay() - 1;
  Batch seed = UsesBatch("seed", {{kClipA, 50}, {kClipB, 20}}, day);
  seed.sounds = {Sound(kClipA, "Alpha"), Sound(kClipB, "Beta Ünïcödé")};
  Seed(seed);
  Open();
  // The publication built the search structures: no request builds them.
  auto SearchPrepared = [&] {
    std::shared_ptr<const api::ServingSnapshot> snapshot = app_->snapshots().Current();
    const engine::Edition* us7 = snapshot->charts()->Find(*FindRegion("US"), 7);
    return us7 != nullptr && us7->search_prepared();
  };
  EXPECT_TRUE(SearchPrepared());
  const std::string key = CreateKey(100);
  EXPECT_EQ(ClipIds(Trending(key)),
            (std::vector<std::string>{std::to_string(kClipA), std::to_string(kClipB)}));
  EXPECT_EQ(ClipIds(Trending(key, "search_keyword=UNICODE")),
            (std::vector<std::string>{std::to_string(kClipB)}));

  // What POST /admin/v1/ingest does: apply under the store lock; the publication reads it.
  Status s = app_->RunIngest([&](store::ChartStore& store) {
    Batch more = UsesBatch("more", {{kClipB, 100}}, day);
    auto r = store.ApplyBatch(more);
    return r.ok() ? Status() : r.status();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(app_->publish_loop().PublishOnce().ok());  // or the woken loop already did
  EXPECT_TRUE(SearchPrepared());                         // the new snapshot too
  EXPECT_EQ(ClipIds(Trending(key)),
            (std::vector<std::string>{std::to_string(kClipB), std::to_string(kClipA)}));

  // The publications saved the chart history.
  app_.reset();
  auto store = app::OpenChartStore(db_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int editions = 0;
  std::vector<uint64_t> us7;
  ASSERT_TRUE((*store)
                  ->ForEachEdition([&](const store::EditionRecord& e) {
                    ++editions;
                    if (e.kind == ChartKind::kPopular && e.region == *FindRegion("US") &&
                        e.period == 7 && e.day == ClosedDay())
                      us7 = e.top_clip_ids;
                    return Status();
                  })
                  .ok());
  EXPECT_GT(editions, 0);
  EXPECT_EQ(us7, (std::vector<uint64_t>{kClipB, kClipA}));
}

TEST_P(ServeAppTest, PostIngestStoresPublishesAndIsIdempotent) {
  Open();
  const std::string key = CreateKey(100);
  EXPECT_EQ(ClipIds(Trending(key)), std::vector<std::string>{});
  const std::string day = FormatDay(ClosedDay() - 1);
  const std::string body =
      R"({"type":"sound","clip_id":"7100000000000000001","song_id":"1","title":"Déjà Vu","author":"Beyoncé","cover":"https://example.com/c.jpeg","duration":60,"commercial":true,"promoted":false})"
      "\n"
      R"({"type":"daily","clip_id":"7100000000000000001","region":"US","day":")" +
      day + R"(","uses":42})" + "\n";
  const std::vector<std::pair<std::string, std::string>> admin = {
      {"Authorization", std::string("Bearer ") + kAdminToken}};
  TestClient client(port_);
  Reply r = client.Request("POST", "/admin/v1/ingest?batch_id=contract-1", admin, body);
  ASSERT_EQ(r.status, 200) << r.body;
  Json json(r.body);
  CheckEnvelope(r, json);
  EXPECT_TRUE(bool(json.root["data"]["applied"]));
  // Publication follows the ingest (the loop was woken; PublishOnce waits for it or does it).
  ASSERT_TRUE(app_->publish_loop().PublishOnce().ok());
  EXPECT_EQ(ClipIds(Trending(key, "search_keyword=DEJA%20VU&commercial_music=true")),
            std::vector<std::string>{std::to_string(kClipA)});
  // Same batch id again: nothing changes.
  Reply again = client.Request("POST", "/admin/v1/ingest?batch_id=contract-1", admin, body);
  ASSERT_EQ(again.status, 200) << again.body;
  Json again_json(again.body);
  EXPECT_FALSE(bool(again_json.root["data"]["applied"]));
  EXPECT_TRUE(bool(again_json.root["data"]["already_applied"]));
  Json page(Trending(key).body);
  EXPECT_EQ(int64_t(page.root["data"]["sound_list"].at(0)["usage_count"]), 42);
  // Customer keys and anonymous callers are refused.
  EXPECT_EQ(
      client.Request("POST", "/admin/v1/ingest", {{"Authorization", "Bearer " + key}}, body).status,
      401);
  EXPECT_EQ(client.Request("POST", "/admin/v1/ingest", {}, body).status, 401);
}

TEST_P(ServeAppTest, AWrongAdminTokenIsRefusedBeforeTheIngestBodyIsRead) {
  // Regression (issue 12, defect 2): the whole body (up to 256 MiB) was read before the
  // token was checked. Here 200 MiB are announced and none sent: the 401 cannot wait.
  Open();
  for (const std::string path : {"/admin/v1/ingest", "/admin/v1/keys", "/admin/v1/credits/grant"}) {
    TestClient client(port_);
    client.WriteRaw("POST " + path +
                    " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                    "Content-Length: 209715200\r\n\r\n");
    Reply r = client.Read();
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_FALSE(r.keep_alive) << path;
  }
}

TEST_P(ServeAppTest, EveryErrorMessageIsValidUtf8) {
  // Regression (issue 12, defect 5): a percent-decoded parameter name was echoed as is.
  Open();
  const std::string key = CreateKey(100);
  for (const std::string query : {"%FF=%zz", "%FF%FE=1&page=%G0", "page=%FF", "region=%C3"}) {
    Reply r = Trending(key, query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_TRUE(json::IsValidUtf8(r.body)) << query << ": " << r.body;
    Json json(r.body);
    CheckEnvelope(r, json);
  }
}

TEST_P(ServeAppTest, EveryRouteIsDocumentedInOpenApiAndEveryDocumentedOperationIsRouted) {
  Open();
  TestClient client(port_);
  Reply r = client.Get("/openapi.json");
  ASSERT_EQ(r.status, 200);
  Json json(r.body);
  ASSERT_TRUE(json.ok);
  simdjson::dom::object paths = json.root["paths"];
  for (const std::string& path : app_->router().paths()) {
    // The web dashboard's pages and its cookie-session API are the web app's own, not the
    // service's API (documented in docs/dashboard.md); what they call is documented here.
    if (path == "/dashboard" || path.starts_with("/dashboard/")) continue;
    if (path.ends_with("*")) {
      // A prefix route: documented as templated paths under it ("/admin/v1/keys/{key_id}").
      const std::string prefix = path.substr(0, path.size() - 1);
      bool documented = false;
      for (auto [documented_path, operations] : paths) {
        documented |= std::string_view(documented_path).starts_with(prefix + "{");
      }
      EXPECT_TRUE(documented) << path << " has no documented path under it";
      continue;
    }
    simdjson::dom::object operations;
    EXPECT_EQ(paths[path].get(operations), simdjson::SUCCESS) << path << " is not documented";
  }
  for (auto [path, operations] : paths) {
    for (auto [method, operation] : operations.get_object()) {
      std::string upper(method);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      EXPECT_EQ(app_->router().Find(upper, path).kind, http::Router::MatchKind::kFound)
          << upper << " " << path << " is documented but not served";
    }
  }
}

TEST_P(ServeAppTest, ReloadChartsPicksUpDataWrittenByAnotherProcess) {
  Open();
  const std::string key = CreateKey(100);
  EXPECT_EQ(ClipIds(Trending(key)), std::vector<std::string>{});
  // Another connection (as `soundtrend ingest` in another process) writes to the store.
  Batch batch = UsesBatch("elsewhere", {{kClipA, 5}}, ClosedDay() - 2);
  batch.sounds = {Sound(kClipA, "Alpha")};
  Seed(batch);
  ASSERT_TRUE(app_->ReloadCharts().ok());
  EXPECT_EQ(ClipIds(Trending(key)), std::vector<std::string>{std::to_string(kClipA)});
  // Reloading again changes nothing; ingest through the server still works afterwards.
  ASSERT_TRUE(app_->ReloadCharts().ok());
  Status s = app_->RunIngest([&](store::ChartStore& store) {
    Batch more = UsesBatch("more", {{kClipB, 50}}, ClosedDay() - 1);
    auto r = store.ApplyBatch(more);
    return r.ok() ? Status() : r.status();
  });
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(app_->publish_loop().PublishOnce().ok());
  EXPECT_EQ(ClipIds(Trending(key)),
            (std::vector<std::string>{std::to_string(kClipB), std::to_string(kClipA)}));
}

ST_INSTANTIATE_ON_BACKENDS(ServeAppTest);

// The publication loop on each store (Store/PublishLoopTest.*/Sqlite|Postgres).
class PublishLoopTest : public ::testing::TestWithParam<testing::TestBackend> {};

TEST_P(PublishLoopTest, WakePublishesAndStopInterruptsTheWait) {
  TempDir dir;
  auto store = app::OpenChartStore(testing::FreshDatabase(GetParam(), dir.File(""), "charts.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  engine::ChartEngine engine;
  engine::Publisher publisher(&engine, &SystemClock::Instance());
  api::SnapshotHolder snapshots;
  std::mutex store_mutex;
  app::PublishLoop loop(publisher, **store, store_mutex, snapshots, SystemClock::Instance());
  ASSERT_TRUE(*loop.PublishOnce());   // first publication
  ASSERT_FALSE(*loop.PublishOnce());  // nothing changed

  std::promise<Day> published;
  snapshots.SetOnPublish([&](const api::ServingSnapshot& s) {
    published.set_value(s.charts() ? s.charts()->day() : -1);
    snapshots.SetOnPublish(nullptr);
  });
  loop.Start(std::chrono::hours(1));
  publisher.Apply(UsesBatch("b", {{kClipA, 3}}, ClosedDay()));
  loop.Wake();
  auto future = published.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(future.get(), ClosedDay());

  const auto start = std::chrono::steady_clock::now();
  loop.Stop();  // interrupts the hour-long wait
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(loop.publications(), 2);
}

ST_INSTANTIATE_ON_BACKENDS(PublishLoopTest);

// The real binary on each store (Store/ServeBinaryTest.*/Sqlite|Postgres): `--db` a SQLite
// file or a fresh PostgreSQL database's URL (then the node's ledger logs in --state-dir).
class ServeBinaryTest : public ::testing::TestWithParam<testing::TestBackend> {
 protected:
  std::vector<std::string> ServeArgs(const std::string& db, std::vector<std::string> flags) {
    std::vector<std::string> args = {SOUNDTREND_BINARY, "--db", db, "serve"};
    if (GetParam() == testing::TestBackend::kPostgres) {
      args.insert(args.end(), {"--state-dir", dir_.File("state")});
    }
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }
  TempDir dir_;
};

// One "listening on" line, SIGHUP survived, SIGTERM -> graceful exit 0.
TEST_P(ServeBinaryTest, PrintsListeningLineAndExitsZeroOnSigterm) {
  const TempDir& dir = dir_;
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string db = testing::FreshDatabase(GetParam(), dir.File(""), "x.db");
  std::vector<std::string> args = ServeArgs(db, {"--port", "0", "--threads", "1"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, SOUNDTREND_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);

  // Read stdout until the first line (bounded wait on the real process).
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out[0], POLLIN, 0};
    if (poll(&pfd, 1, 1000) <= 0) continue;
    char buf[256];
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  const std::string prefix = "listening on http://127.0.0.1:";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  const int port = std::stoi(line.substr(prefix.size()));
  EXPECT_GT(port, 0);
  {
    TestClient client(static_cast<uint16_t>(port));
    Reply r = client.Get("/v1/tiktok/trending/music");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(client.Get("/healthz").status, 200);
  }
  // SIGHUP reloads keys; the server keeps serving.
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  {
    TestClient client(static_cast<uint16_t>(port));
    EXPECT_EQ(client.Get("/healthz").status, 200);
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  // Bounded wait for the real process (polling is allowed for processes, not for tests).
  pid_t waited = 0;
  const auto exit_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((waited = waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < exit_deadline) {
    usleep(10000);
  }
  if (waited == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "serve did not exit within 30 s of SIGTERM";
  }
  ASSERT_EQ(waited, pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // Nothing else on stdout.
  std::string rest;
  char buf[256];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) rest.append(buf, static_cast<size_t>(n));
  close(out[0]);
  EXPECT_EQ(line.substr(line.find('\n') + 1) + rest, "");
}

// --host: a name is resolved at start and the listening line shows the address bound; a
// host that is neither an address nor a known name is refused (exit 2) before any data is
// loaded (the database is not even created: no SQLite file, no schema in PostgreSQL).
TEST_P(ServeBinaryTest, HostNameIsResolvedAndABadHostIsRefusedBeforeLoading) {
  const TempDir& dir = dir_;
  const std::string bad_db = testing::FreshDatabase(GetParam(), dir.File("bad"), "x.db");
  testing::CommandResult bad = testing::RunCommand(
      ServeArgs(bad_db, {"--host", "no.such.host.invalid", "--port", "0"}), dir.File("bad.log"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "");
  auto bad_state = app::InspectDatabase(bad_db);
  ASSERT_TRUE(bad_state.ok()) << bad_state.status().ToString();
  EXPECT_FALSE(bad_state->exists);
  EXPECT_EQ(bad_state->schema_version, 0);
  // SQLite only: not even the file's directory is made (PostgreSQL has no directory).
  if (GetParam() == testing::TestBackend::kSqlite) {
    EXPECT_FALSE(std::filesystem::exists(dir.File("bad")));
  }
  // A bad --redis URL likewise: a usage error before the database is touched, and the
  // password it carries is not repeated.
  testing::CommandResult bad_redis = testing::RunCommand(
      ServeArgs(bad_db, {"--port", "0", "--redis", "redis://:hunter2@cache:6379/x"}),
      dir.File("bad_redis.log"));
  EXPECT_EQ(bad_redis.exit_code, 2);
  EXPECT_EQ(bad_redis.out, "");
  std::ifstream err_file(dir.File("bad_redis.log"));
  const std::string err((std::istreambuf_iterator<char>(err_file)), {});
  EXPECT_NE(err.find("serve: --redis"), std::string::npos) << err;
  EXPECT_EQ(err.find("hunter2"), std::string::npos) << err;
  bad_state = app::InspectDatabase(bad_db);
  ASSERT_TRUE(bad_state.ok()) << bad_state.status().ToString();
  EXPECT_FALSE(bad_state->exists);

  int out = -1;
  const std::string db = testing::FreshDatabase(GetParam(), dir.File(""), "x.db");
  const pid_t pid = testing::SpawnWithPipe(
      ServeArgs(db, {"--host", "localhost", "--port", "0", "--threads", "1"}), &out,
      dir.File("serve.log"));
  ASSERT_GT(pid, 0);
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out, POLLIN, 0};
    if (poll(&pfd, 1, 1000) <= 0) continue;
    char buf[256];
    const ssize_t n = read(out, buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out);
  const std::string prefix = "listening on http://127.0.0.1:";
  EXPECT_EQ(line.rfind(prefix, 0), 0u) << line;
  if (line.rfind(prefix, 0) == 0) {
    TestClient client(static_cast<uint16_t>(std::stoi(line.substr(prefix.size()))));
    EXPECT_EQ(client.Get("/healthz").status, 200);
  }
  kill(pid, SIGTERM);
  EXPECT_EQ(testing::WaitExit(pid), 0);
}

ST_INSTANTIATE_ON_BACKENDS(ServeBinaryTest);

}  // namespace
}  // namespace soundtrend::contract
