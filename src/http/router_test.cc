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
  EXPECT_EQ(m.allow, "GET, DELETE, HEAD");
  EXPECT_EQ(m.path_index, 0u);
}

TEST(RouterTest, HeadUsesTheGetRouteUnlessItHasItsOwn) {
  int hit = 0;
  Router router;
  router.Add("GET", "/a", Tagged(&hit, 1));
  router.Add("POST", "/p", Tagged(&hit, 2));
  auto head = router.Find("HEAD", "/a");
  ASSERT_EQ(head.kind, Router::MatchKind::kFound);
  head.route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 1);
  // A path without GET has no HEAD either.
  auto post_only = router.Find("HEAD", "/p");
  EXPECT_EQ(post_only.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(post_only.allow, "POST");
  // A HEAD route of its own wins.
  router.Add("HEAD", "/a", Tagged(&hit, 3));
  router.Find("HEAD", "/a").route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 3);
  EXPECT_EQ(router.Find("PUT", "/a").allow, "GET, HEAD");
}

TEST(RouterTest, BodyLimitIsPerRoute) {
  Router router;
  RouteOptions large;
  large.body_limit = 256u << 20;
  router.Add(
      "POST", "/ingest", [](const Request&, Respond) {}, large);
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

TEST(RouterTest, PrefixRouteMatchesPathsUnderItAndExactRoutesWin) {
  int hit = 0;
  Router router;
  router.AddPrefix("GET", "/dashboard/", Tagged(&hit, 1));
  router.Add("GET", "/dashboard/api/session", Tagged(&hit, 2));
  router.AddPrefix("GET", "/dashboard/api/", Tagged(&hit, 3));
  auto m = router.Find("GET", "/dashboard/assets/index-abc.js");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  m.route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 1);
  EXPECT_TRUE(m.route->prefix);
  EXPECT_EQ(router.Find("GET", "/dashboard/").path_index, m.path_index);
  m = router.Find("GET", "/dashboard/api/session");
  m.route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 2);
  m = router.Find("GET", "/dashboard/api/nope");  // the longest prefix wins
  m.route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 3);
  // Not under the prefix: "/dashboard" itself, another case, a sibling.
  EXPECT_EQ(router.Find("GET", "/dashboard").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/Dashboard/x").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/dashboards/x").kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.paths(), (std::vector<std::string>{"/dashboard/*", "/dashboard/api/session",
                                                      "/dashboard/api/*"}));
}

TEST(RouterTest, PrefixRouteWithWrongMethodListsItsMethods) {
  Router router;
  router.AddPrefix("GET", "/static/", [](const Request&, Respond) {});
  router.AddPrefix("POST", "/static/", [](const Request&, Respond) {});
  auto m = router.Find("DELETE", "/static/a/b");
  EXPECT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, POST, HEAD");  // HEAD: answered by the GET route
  EXPECT_EQ(m.path_index, 0u);
  EXPECT_EQ(router.paths().size(), 1u);
}

TEST(RouterTest, ExactAndPrefixRoutesOfTheSameStringAreDistinct) {
  int hit = 0;
  Router router;
  router.Add("GET", "/p/", Tagged(&hit, 1));
  router.AddPrefix("GET", "/p/", Tagged(&hit, 2));
  router.Find("GET", "/p/").route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 1);
  router.Find("GET", "/p/x").route->handler(Request{}, nullptr);
  EXPECT_EQ(hit, 2);
  EXPECT_EQ(router.paths().size(), 2u);
}

}  // namespace
}  // namespace soundtrend::http
