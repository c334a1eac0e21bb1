#include "api/endpoints.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "api/openapi.h"
#include "api/test_doubles.h"
#include "common/version.h"

namespace soundtrend::api {
namespace {

http::Response Call(const http::Handler& handler) {
  http::Request request;
  request.method = "GET";
  request.request_id = "00000000-0000-4000-8000-000000000000";
  http::Response out;
  handler(request, [&](http::Response r) { out = std::move(r); });
  return out;
}

TEST(ReadinessTest, NotReadyBeforePublicationReadyAfter) {
  SnapshotHolder snapshots;
  bool stores = true;
  http::Handler readyz = MakeReadinessHandler(snapshots, [&] { return stores; });
  http::Response before = Call(readyz);
  EXPECT_EQ(before.status, 503);
  EXPECT_EQ(before.body,
            R"({"ready":false,"charts_published":false,"stores":"ok","snapshot_day":null})");

  // An empty chart set (an empty database) is not a publication of charts.
  snapshots.Publish(
      ServingSnapshot::Build(std::make_shared<const testing::FakeChartSet>(20500), 1));
  EXPECT_EQ(Call(readyz).status, 503);

  snapshots.Publish(ServingSnapshot::Build(testing::MakeDemoChartSet(20500), 1));
  http::Response after = Call(readyz);
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body,
            R"({"ready":true,"charts_published":true,"stores":"ok","snapshot_day":"2026-02-16"})");

  stores = false;  // a store stopped answering
  http::Response down = Call(readyz);
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find(R"("stores":"unavailable")"), std::string::npos);
}

TEST(VersionTest, NamesTheBuildAndTheDocumentVersion) {
  http::Response r = Call(MakeVersionHandler());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::string(R"({"name":"soundtrend","version":")") + std::string(kVersion) +
                        R"(","api_version":")" + std::string(kVersion) + R"("})");
  EXPECT_EQ(kServerName, "soundtrend/" + std::string(kVersion));
}

}  // namespace
}  // namespace soundtrend::api
