#include "http/router.h"

#include <gtest/gtest.h>

namespace soundtrend::http {
namespace {

Handler Tagged(int* hit, int tag) {
  return [hit, tag](const Request&, Respond) { *hit = tag; };
}

TEST(RouterTest, ExactPathAndMethodFindsTheHandler) {
  int hit = 0;
  Router router;
  router.Add("GET", "/a", Tagged(&hit, 1));
  router.Add("POST", "/a", Tagged(&hit, 2));
  router.Add("GET", "/b", Tagged(&hit, 3));
  auto m = router.Find("POST", "/a");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  m.route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 2);
  m = router.Find("GET", "/b");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  m.route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 3);
  EXPECT_EQ(m.path_index, 1u);
}

TEST(RouterTest, UnknownPathIsNotFoundAndPrefixesDoNotMatch) {
  Router router;
  router.Add("GET", "/v1/tiktok/regions", [](const Request&, Respond) {});
  EXPECT_EQ(router.Find("GET", "/v1/tiktok").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/v1/tiktok/regions/").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/V1/TIKTOK/REGIONS").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/nope").path_index, Router::kUnmatched);
}

TEST(RouterTest, WrongMethodListsAllowedMethods) {
  Router router;
  router.Add("GET", "/k", [](const Request&, Respond) {});
  router.Add("DELETE", "/k", [](const Request&, Respond) {});
  auto m = router.Find("PUT", "/k");
  EXPECT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, DELETE");
  EXPECT_EQ(m.path_index, 0u);
}

TEST(RouterTest, BodyLimitIsPerRoute) {
  Router router;
  router.Add(
      "POST", "/ingest", [](const Request&, Respond) {}, RouteOptions{256u << 20});
  router.Add("GET", "/x", [](const Request&, Respond) {});
  EXPECT_EQ(router.BodyLimit("POST", "/ingest"), 256u << 20);
  EXPECT_EQ(router.BodyLimit("GET", "/x"), kDefaultBodyLimit);
  EXPECT_EQ(router.BodyLimit("GET", "/unknown"), kDefaultBodyLimit);
  EXPECT_EQ(router.max_body_limit(), 256u << 20);
}

TEST(RouterTest, AddingTheSameRouteTwiceReplacesIt) {
  int hit = 0;
  Router router;
  router.Add("GET", "/a", Tagged(&hit, 1));
  router.Add("GET", "/a", Tagged(&hit, 2));
  auto m = router.Find("GET", "/a");
  m.route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 2);
  EXPECT_EQ(router.paths().size(), 1u);
  EXPECT_EQ(m.allow, "");
}

}  // namespace
}  // namespace soundtrend::http
