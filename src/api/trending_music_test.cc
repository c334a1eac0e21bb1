#include "api/trending_music.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <optional>

#include "api/test_doubles.h"

namespace soundtrend::api {
namespace {

constexpr Day kDay = 20500;

class TrendingMusicHandlerTest : public ::testing::Test {
 protected:
  TrendingMusicHandlerTest() : gateway_(std::make_shared<testing::FakeGateway>()) {
    gateway_->AddKey({"sk_good", "key_good", 10});
    gateway_->AddKey({"sk_poor", "key_poor", 1});
    gateway_->AddKey({"sk_forbidden", "key_forbidden", 10, /*forbidden=*/true});
    gateway_->AddKey({"sk_limited", "key_limited", 10, false, /*rate_limited=*/true});
    snapshots_.Publish(ServingSnapshot::Build(testing::MakeDemoChartSet(kDay), 1));
    handler_ = MakeTrendingMusicHandler(gateway_, snapshots_);
  }

  http::Response Call(std::string authorization, std::string query) {
    http::Request request;
    request.method = "GET";
    request.path = kTrendingMusicPath;
    request.query = query;
    request.request_id = "rid-42";
    request.header = [&](std::string_view name) -> std::string_view {
      return name == "Authorization" ? std::string_view(authorization) : std::string_view{};
    };
    std::optional<http::Response> got;
    int calls = 0;
    handler_(request, [&](http::Response r) {
      ++calls;
      got = std::move(r);
    });
    EXPECT_EQ(calls, 1);
    return got.value_or(http::Response{});
  }

  static std::string Header(const http::Response& r, std::string_view name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "<absent>";
  }

  static std::string Message(const http::Response& r) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(r.body);
    // docs/api.md §2: success is HTTP 200 with "code":0; an error's code equals its HTTP status.
    EXPECT_EQ(int64_t(doc["code"]), r.status == 200 ? 0 : r.status);
    EXPECT_EQ(std::string_view(doc["requestId"]), "rid-42");
    return std::string(std::string_view(doc["message"]));
  }

  std::shared_ptr<testing::FakeGateway> gateway_;
  SnapshotHolder snapshots_;
  http::Handler handler_;
};

TEST_F(TrendingMusicHandlerTest, SuccessChargesTwoCreditsAndSetsHeaders) {
  http::Response r = Call("Bearer sk_good", "limit=2");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Message(r), "success");
  EXPECT_EQ(r.key_id, "key_good");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "8");
  EXPECT_NE(Header(r, "RateLimit-Policy"), "<absent>");
  EXPECT_NE(Header(r, "RateLimit"), "<absent>");
  EXPECT_EQ(Header(r, "Retry-After"), "<absent>");
  EXPECT_EQ(gateway_->commits(), 1);
}

TEST_F(TrendingMusicHandlerTest, MissingOrMalformedKeyIs401Null) {
  for (const char* auth : {"", "sk_good", "Basic abc", "Bearer "}) {
    http::Response r = Call(auth, "");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(Message(r), "apiKey is null");
    EXPECT_EQ(Header(r, "X-Credits-Remaining"), "<absent>");
  }
}

TEST_F(TrendingMusicHandlerTest, UnknownKeyIs401Invalid) {
  http::Response r = Call("Bearer sk_nope", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Message(r), "apiKey is invalid");
}

TEST_F(TrendingMusicHandlerTest, ForbiddenIs403) {
  http::Response r = Call("Bearer sk_forbidden", "");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Message(r), "apiKey is not allowed to access this endpoint");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "10");
}

TEST_F(TrendingMusicHandlerTest, RateLimitedIs429WithRetryAfter) {
  http::Response r = Call("Bearer sk_limited", "");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Message(r), "qps limit exceeded");
  EXPECT_EQ(Header(r, "Retry-After"), "1");
  EXPECT_NE(Header(r, "RateLimit"), "<absent>");
}

TEST_F(TrendingMusicHandlerTest, BadParameterIs400AndFree) {
  http::Response r = Call("Bearer sk_good", "period=8");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r), "Invalid parameter: period must be one of 7, 30, 120");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "10");
  EXPECT_EQ(gateway_->commits(), 0);
}

TEST_F(TrendingMusicHandlerTest, AuthIsCheckedBeforeParameters) {
  http::Response r = Call("", "period=8");
  EXPECT_EQ(r.status, 401);
}

TEST_F(TrendingMusicHandlerTest, LowBalanceIs402) {
  http::Response r = Call("Bearer sk_poor", "");
  EXPECT_EQ(r.status, 402);
  EXPECT_EQ(Message(r), "apiKey quota is not enough");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "1");
}

TEST_F(TrendingMusicHandlerTest, ParametersAreCheckedBeforeBalance) {
  http::Response r = Call("Bearer sk_poor", "limit=0");
  EXPECT_EQ(r.status, 400);
}

TEST_F(TrendingMusicHandlerTest, FailedChargeIs500AndCostsNothing) {
  gateway_->SetCommitStatus(Status::IoError("disk full"));
  http::Response r = Call("Bearer sk_good", "");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Message(r), "Internal server error");
  EXPECT_EQ(Header(r, "X-Credits-Remaining"), "10");
  EXPECT_EQ(r.body.find("disk"), std::string::npos);
}

TEST_F(TrendingMusicHandlerTest, CreditsRunOutAfterFiveRequests) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call("Bearer sk_good", "").status, 200);
  EXPECT_EQ(Call("Bearer sk_good", "").status, 402);
  EXPECT_EQ(gateway_->commits(), 5);
}

}  // namespace
}  // namespace soundtrend::api
