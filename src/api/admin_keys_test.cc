#include "api/admin_keys.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <map>

#include "api/account.h"
#include "ledger/ledger.h"
#include "store/sqlite/sqlite_key_store.h"

namespace soundtrend::api {
namespace {

constexpr std::string_view kAdminToken = "admin-token-for-tests-0123";

class GatewayApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("st_api_gateway_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = store::sqlite::SqliteKeyStore::Open((dir_ / "api.db").string());
    ASSERT_TRUE(store.ok());
    gateway::BillingGatewayOptions options;
    options.reload_interval_millis = 0;
    auto ledger = ledger::Ledger::Open(**store, {});  // no logs: each charge group applied at once
    ASSERT_TRUE(ledger.ok());
    auto gw = gateway::BillingGateway::Open(std::move(store).value(), std::move(ledger).value(),
                                            clock_, random_, options);
    ASSERT_TRUE(gw.ok());
    gateway_ = std::shared_ptr<gateway::BillingGateway>(std::move(gw).value());
    for (auto& r : AdminKeyRoutes(gateway_, gateway::AdminAuth(kAdminToken))) {
      routes_[r.method + " " + r.path] = r.handler;
    }
    routes_["GET /v1/account"] = MakeAccountHandler(gateway_);
  }
  void TearDown() override {
    gateway_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::Response Call(const std::string& method, const std::string& path, std::string query,
                      std::string body, std::string authorization) {
    auto it = routes_.find(method + " " + path);
    EXPECT_NE(it, routes_.end()) << method << " " << path;
    http::Request request;
    request.method = method;
    request.path = path;
    request.query = query;
    request.body = body;
    request.request_id = "req-123";
    request.header = [&authorization](std::string_view name) -> std::string_view {
      return name == "Authorization" ? std::string_view(authorization) : std::string_view();
    };
    http::Response out;
    bool called = false;
    it->second(request, [&](http::Response r) {
      out = std::move(r);
      called = true;
    });
    EXPECT_TRUE(called);
    return out;
  }
  http::Response Admin(const std::string& method, const std::string& path, std::string query = "",
                       std::string body = "") {
    return Call(method, path, std::move(query), std::move(body),
                "Bearer " + std::string(kAdminToken));
  }

  simdjson::dom::element Parse(const http::Response& r) {
    simdjson::dom::element doc;
    EXPECT_FALSE(parser_.parse(r.body).get(doc)) << r.body;
    return doc;
  }

  static std::string Header(const http::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  // Creates a key over HTTP; returns {key, key_id}.
  std::pair<std::string, std::string> CreateKey(const std::string& body) {
    http::Response r = Admin("POST", "/admin/v1/keys", "", body);
    EXPECT_EQ(r.status, 200) << r.body;
    simdjson::dom::element doc = Parse(r);
    return {std::string(doc["data"]["key"].get_string().value()),
            std::string(doc["data"]["key_id"].get_string().value())};
  }

  std::filesystem::path dir_;
  FakeClock clock_{1'770'000'000'000'000};
  SeededRandom random_{99};
  std::shared_ptr<gateway::BillingGateway> gateway_;
  std::map<std::string, http::Handler> routes_;
  simdjson::dom::parser parser_;
};

TEST_F(GatewayApiTest, AdminRoutesRefuseCustomerKeysAndWrongTokens) {
  auto [key, key_id] = CreateKey(R"({"name":"acme","credits":10})");
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/admin/v1/keys"},
                                                        {"GET", "/admin/v1/keys"},
                                                        {"POST", "/admin/v1/keys/revoke"},
                                                        {"POST", "/admin/v1/credits/grant"},
                                                        {"GET", "/admin/v1/ledger"},
                                                        {"GET", "/admin/v1/ledger.csv"}}) {
    for (const std::string& auth : {"Bearer " + key, std::string("Bearer wrong"), std::string(""),
                                    std::string(kAdminToken)}) {
      http::Response r = Call(method, path, "key_id=" + key_id,
                              R"({"key_id":")" + key_id + R"(","grant_id":"x","amount":5})", auth);
      EXPECT_EQ(r.status, 401) << method << " " << path << " " << auth;
      EXPECT_EQ(std::string(Parse(r)["message"].get_string().value()), "admin token is invalid");
    }
  }
  // Nothing happened: the key is still valid and its balance unchanged.
  http::Response account = Call("GET", "/v1/account", "", "", "Bearer " + key);
  EXPECT_EQ(account.status, 200);
  EXPECT_EQ(Parse(account)["data"]["balance"].get_int64().value(), 10);
}

TEST_F(GatewayApiTest, CreateListRevoke) {
  auto [key, key_id] = CreateKey(
      R"({"name":"acme","qps":5,"credits":100,"expires":"2030-01-01","endpoints":["/v1/tiktok/trending/music"]})");
  EXPECT_EQ(key.substr(0, 8), "sk_live_");
  http::Response list = Admin("GET", "/admin/v1/keys");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(key), std::string::npos);  // the key is shown once only
  simdjson::dom::element k = Parse(list)["data"]["keys"].at(0);
  EXPECT_EQ(std::string(k["key_id"].get_string().value()), key_id);
  EXPECT_EQ(k["qps"].get_int64().value(), 5);
  EXPECT_EQ(k["balance"].get_int64().value(), 100);
  EXPECT_EQ(std::string(k["expires_at"].get_string().value()), "2030-01-01T00:00:00.000000Z");
  EXPECT_TRUE(k["revoked_at"].is_null());

  http::Response revoke =
      Admin("POST", "/admin/v1/keys/revoke", "", R"({"key_id":")" + key_id + "\"}");
  EXPECT_EQ(revoke.status, 200) << revoke.body;
  EXPECT_EQ(Call("GET", "/v1/account", "", "", "Bearer " + key).status, 401);
  EXPECT_EQ(Admin("POST", "/admin/v1/keys/revoke", "", R"({"key_id":"key_000000000000"})").status,
            404);
  EXPECT_EQ(Admin("POST", "/admin/v1/keys/revoke", "", R"({"key_id":"nope"})").status, 400);
}

TEST_F(GatewayApiTest, CreateValidatesInput) {
  EXPECT_EQ(Admin("POST", "/admin/v1/keys", "", "not json").status, 400);
  EXPECT_EQ(Admin("POST", "/admin/v1/keys", "", R"({"qps":5})").status, 400);
  EXPECT_EQ(Admin("POST", "/admin/v1/keys", "", R"({"name":"a","qps":"5"})").status, 400);
  EXPECT_EQ(Admin("POST", "/admin/v1/keys", "", R"({"name":"a","qps":0})").status, 400);
  EXPECT_EQ(Admin("POST", "/admin/v1/keys", "", R"({"name":"a","expires":"2030-13-01"})").status,
            400);
  // Strict: a misspelled field, an unknown endpoint, an expiry in the past.
  http::Response misspelled = Admin("POST", "/admin/v1/keys", "", R"({"name":"a","credit":20})");
  EXPECT_EQ(misspelled.status, 400);
  EXPECT_EQ(std::string(Parse(misspelled)["message"].get_string().value()),
            "Invalid parameter: credit is not a known field (known: name, credits, qps, burst, "
            "expires, endpoints)");
  // A field given twice (found by fuzz/admin_json: the range check and the use read
  // different copies).
  http::Response twice =
      Admin("POST", "/admin/v1/keys", "", R"({"name":"a","credits":-15,"credits":"1"})");
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(std::string(Parse(twice)["message"].get_string().value()),
            "Invalid parameter: credits is given twice");
  // Credits out of their range are refused by the handler, by the rule of the field (found
  // by fuzz/admin_json: 590071992547409920 reached KeyAdmin::CreateKey).
  for (const char* body :
       {R"({"name":"a","credits":590071992547409920})",
        R"({"name":"a","credits":9007199254740992})", R"({"name":"a","credits":-1})"}) {
    http::Response out = Admin("POST", "/admin/v1/keys", "", body);
    EXPECT_EQ(out.status, 400) << body;
    EXPECT_EQ(std::string(Parse(out)["message"].get_string().value()),
              "Invalid parameter: credits must be an integer from 0 to 9007199254740991")
        << body;
  }
  http::Response nope =
      Admin("POST", "/admin/v1/keys", "", R"({"name":"a","endpoints":["/v1/nope"]})");
  EXPECT_EQ(nope.status, 400);
  EXPECT_NE(std::string(Parse(nope)["message"].get_string().value())
                .find("endpoints: /v1/nope is not a customer endpoint"),
            std::string::npos);
  http::Response past =
      Admin("POST", "/admin/v1/keys", "", R"({"name":"a","expires":"2020-01-01"})");
  EXPECT_EQ(past.status, 400);
  EXPECT_NE(std::string(Parse(past)["message"].get_string().value()).find("is not in the future"),
            std::string::npos);
  EXPECT_EQ(Admin("POST", "/admin/v1/keys", "", R"({"name":"a","expires":4102444800})").status,
            200);  // unix seconds as a number (2100-01-01)
  EXPECT_EQ(Admin("POST", "/admin/v1/credits/grant", "",
                  R"({"key_id":"key_000000000000","amount":5,"grant_id":"g","note":"x"})")
                .status,
            400);
  EXPECT_EQ(
      Admin("POST", "/admin/v1/keys/revoke", "", R"({"key_id":"key_000000000000","why":1})").status,
      400);
  http::Response r = Admin("POST", "/admin/v1/keys", "", R"({"name":"a","endpoints":["/x"]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(std::string(Parse(r)["message"].get_string().value()).rfind("Invalid parameter: ", 0),
            0u);
}

TEST_F(GatewayApiTest, GrantsAreIdempotentOverHttp) {
  auto [key, key_id] = CreateKey(R"({"name":"acme"})");
  const std::string body = R"({"key_id":")" + key_id + R"(","grant_id":"inv-1","amount":50})";
  http::Response first = Admin("POST", "/admin/v1/credits/grant", "", body);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_TRUE(Parse(first)["data"]["applied"].get_bool().value());
  EXPECT_EQ(Parse(first)["data"]["balance"].get_int64().value(), 50);
  http::Response second = Admin("POST", "/admin/v1/credits/grant", "", body);
  ASSERT_EQ(second.status, 200);
  EXPECT_FALSE(Parse(second)["data"]["applied"].get_bool().value());
  EXPECT_EQ(Parse(second)["data"]["balance"].get_int64().value(), 50);
  http::Response conflict =
      Admin("POST", "/admin/v1/credits/grant", "",
            R"({"key_id":")" + key_id + R"(","grant_id":"inv-1","amount":70})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Admin("POST", "/admin/v1/credits/grant", "",
                  R"({"key_id":"key_000000000000","grant_id":"g","amount":5})")
                .status,
            404);
  EXPECT_EQ(Admin("POST", "/admin/v1/credits/grant", "",
                  R"({"key_id":")" + key_id + R"(","grant_id":"g","amount":0})")
                .status,
            400);
  http::Response account = Call("GET", "/v1/account", "", "", "Bearer " + key);
  EXPECT_EQ(Parse(account)["data"]["balance"].get_int64().value(), 50);
  EXPECT_EQ(Header(account, "X-Credits-Remaining"), "50");
}

TEST_F(GatewayApiTest, AmountsAreBoundedSoNoBalanceOrLedgerSumOverflows) {
  // Regression (issue 12, defect 8): 2^63 - 1 saturated the balance while the ledger
  // recorded the full amount; a larger amount was "body must be a JSON object".
  auto [key, key_id] = CreateKey(R"({"name":"acme","credits":10})");
  auto grant = [&, key_id = key_id](std::string amount, std::string id) {
    return Admin(
        "POST", "/admin/v1/credits/grant", "",
        R"({"key_id":")" + key_id + R"(","grant_id":")" + id + R"(","amount":)" + amount + "}");
  };
  const std::string rule =
      "Invalid parameter: amount must be an integer from 1 to 9007199254740991";
  for (std::string amount : {"9223372036854775807", "9223372036854775808",
                             "99999999999999999999999", "9007199254740992", "1e30"}) {
    http::Response r = grant(amount, "big-" + amount);
    EXPECT_EQ(r.status, 400) << amount;
    EXPECT_EQ(std::string(Parse(r)["message"].get_string().value()), rule) << amount;
  }
  // Exactly up to the largest balance passes; one credit more is refused, nothing changed.
  http::Response fill = grant(std::to_string(store::kMaxCredits - 10), "fill");
  ASSERT_EQ(fill.status, 200) << fill.body;
  EXPECT_EQ(Parse(fill)["data"]["balance"].get_int64().value(), store::kMaxCredits);
  http::Response over = grant("1", "one-more");
  EXPECT_EQ(over.status, 409) << over.body;
  EXPECT_NE(over.body.find("the balance would pass 9007199254740991 credits"), std::string::npos)
      << over.body;
  int64_t sum = 0;
  int64_t entries = 0;
  ASSERT_TRUE(gateway_
                  ->ForEachLedgerEntry(key_id,
                                       [&](const store::LedgerEntry& e) {
                                         sum += e.amount;
                                         ++entries;
                                         EXPECT_EQ(e.balance_after, sum);
                                         return Status::Ok();
                                       })
                  .ok());
  EXPECT_EQ(entries, 2);
  EXPECT_EQ(sum, store::kMaxCredits);
  EXPECT_EQ(
      Admin("POST", "/admin/v1/keys", "", R"({"name":"x","credits":9007199254740992})").status,
      400);
}

TEST_F(GatewayApiTest, LedgerJsonAndCsv) {
  auto [key, key_id] = CreateKey(R"({"name":"acme","credits":20})");
  gateway::Admission a = gateway_->Admit("Bearer " + key, "/v1/tiktok/trending/music");
  ASSERT_EQ(gateway_->Reserve(*a.account, 2), gateway::ReserveOutcome::kReserved);
  std::promise<Status> done;
  gateway_->Commit(a.account, gateway::ChargeInfo{"req-charge", "/v1/tiktok/trending/music", 2},
                   [&](Status st) { done.set_value(st); });
  ASSERT_TRUE(done.get_future().get().ok());

  http::Response ledger = Admin("GET", "/admin/v1/ledger", "key_id=" + key_id + "&limit=1");
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  simdjson::dom::element data = Parse(ledger)["data"];
  EXPECT_EQ(data["total"].get_int64().value(), 2);
  simdjson::dom::element e = data["entries"].at(0);
  EXPECT_EQ(std::string(e["kind"].get_string().value()), "charge");
  EXPECT_EQ(std::string(e["reference"].get_string().value()), "req-charge");
  EXPECT_EQ(e["amount"].get_int64().value(), -2);
  EXPECT_EQ(e["balance_after"].get_int64().value(), 18);
  EXPECT_EQ(Admin("GET", "/admin/v1/ledger", "key_id=key_000000000000").status, 404);
  EXPECT_EQ(Admin("GET", "/admin/v1/ledger", "").status, 400);
  EXPECT_EQ(Admin("GET", "/admin/v1/ledger", "key_id=" + key_id + "&limit=0").status, 400);

  http::Response csv = Admin("GET", "/admin/v1/ledger.csv", "key_id=" + key_id);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("seq,time,key_id,kind,reference,endpoint,amount,balance_after\r\n", 0),
            0u);
  EXPECT_NE(csv.body.find(",charge,req-charge,/v1/tiktok/trending/music,-2,18\r\n"),
            std::string::npos);
  EXPECT_NE(csv.body.find(",grant,initial:" + key_id + ",,20,20\r\n"), std::string::npos);
}

TEST_F(GatewayApiTest, AccountShowsBalanceLimitsAndHeaders) {
  auto [key, key_id] = CreateKey(R"({"name":"acme","qps":1,"credits":30})");
  http::Response r = Call("GET", "/v1/account", "", "", "Bearer " + key);
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::element doc = Parse(r);
  EXPECT_EQ(doc["code"].get_int64().value(), 0);
  EXPECT_EQ(std::string(doc["message"].get_string().value()), "success");
  EXPECT_EQ(std::string(doc["requestId"].get_string().value()), "req-123");
  simdjson::dom::element data = doc["data"];
  EXPECT_EQ(std::string(data["key_id"].get_string().value()), key_id);
  EXPECT_EQ(data["balance"].get_int64().value(), 30);
  EXPECT_EQ(data["rate_limit"]["qps"].get_int64().value(), 1);
  EXPECT_EQ(data["usage"]["charged_requests"].get_int64().value(), 0);
  EXPECT_TRUE(data["usage"]["last_charged_at"].is_null());
  EXPECT_EQ(data["endpoints"].get_array().size(), 4u);  // gateway::kCustomerEndpoints
  EXPECT_EQ(Header(r, "RateLimit-Policy"), "\"default\";q=1;w=1");
  EXPECT_EQ(Header(r, "RateLimit"), "\"default\";r=0;t=1");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "30");
  EXPECT_EQ(r.key_id, key_id);

  http::Response limited = Call("GET", "/v1/account", "", "", "Bearer " + key);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(Header(limited, "Retry-After"), "1");
  EXPECT_EQ(std::string(Parse(limited)["message"].get_string().value()), "qps limit exceeded");

  http::Response missing = Call("GET", "/v1/account", "", "", "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(std::string(Parse(missing)["message"].get_string().value()), "apiKey is null");
  EXPECT_TRUE(Header(missing, "RateLimit").empty());
  http::Response invalid = Call("GET", "/v1/account", "", "", "Bearer sk_live_nope");
  EXPECT_EQ(invalid.status, 401);
  EXPECT_EQ(std::string(Parse(invalid)["message"].get_string().value()), "apiKey is invalid");
  // The admin token is not a customer key.
  EXPECT_EQ(Call("GET", "/v1/account", "", "", "Bearer " + std::string(kAdminToken)).status, 401);
}

TEST(FindQueryValueTest, DecodesAndFindsExactNames) {
  EXPECT_EQ(FindQueryValue("a=1&key_id=key%5Fx+y&b", "key_id"),
            std::optional<std::string>("key_x y"));
  EXPECT_EQ(FindQueryValue("b", "b"), std::optional<std::string>(""));
  EXPECT_EQ(FindQueryValue("key_idx=1", "key_id"), std::nullopt);
  EXPECT_EQ(FindQueryValue("", "key_id"), std::nullopt);
}

}  // namespace
}  // namespace soundtrend::api
