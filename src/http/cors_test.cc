#include "http/cors.h"

#include <gtest/gtest.h>

namespace soundtrend::http {
namespace {

std::string Header(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "<absent>";
}

TEST(CorsPolicyTest, NoOriginIsAllowedByDefault) {
  CorsPolicy none;
  EXPECT_FALSE(none.enabled());
  EXPECT_FALSE(none.Allows("https://a.example"));
  Response r = none.Preflight("https://a.example", "GET, HEAD", "id");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "<absent>");
}

TEST(CorsPolicyTest, AllowedOriginsGetTheirHeadersAndPreflights) {
  CorsPolicy policy({"https://a.example", "http://localhost:5173"});
  EXPECT_TRUE(policy.Allows("https://a.example"));
  EXPECT_FALSE(policy.Allows("https://b.example"));
  EXPECT_FALSE(policy.Allows("https://a.example.evil"));
  EXPECT_FALSE(policy.Allows("null"));
  Response ok;
  policy.AddResponseHeaders("https://a.example", ok);
  EXPECT_EQ(Header(ok, "Access-Control-Allow-Origin"), "https://a.example");
  EXPECT_NE(Header(ok, "Access-Control-Expose-Headers").find("X-Credits-Remaining"),
            std::string::npos);
  EXPECT_EQ(Header(ok, "Vary"), "Origin");
  Response pre = policy.Preflight("http://localhost:5173", "GET, HEAD", "id");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(Header(pre, "Access-Control-Allow-Methods"), "GET, HEAD");
  EXPECT_NE(Header(pre, "Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  EXPECT_TRUE(CorsPolicy::IsPreflight("OPTIONS", "GET"));
  EXPECT_FALSE(CorsPolicy::IsPreflight("OPTIONS", ""));
  EXPECT_FALSE(CorsPolicy::IsPreflight("GET", "GET"));
  CorsPolicy any({"*"});
  EXPECT_TRUE(any.Allows("https://whatever.example"));
}

}  // namespace
}  // namespace soundtrend::http
