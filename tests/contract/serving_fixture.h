// The real HTTP server, in-process on 127.0.0.1 (ephemeral port), serving the real
// endpoints over the test doubles of the engine (FakeChartSet) and the gateway.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "api/endpoints.h"
#include "api/snapshot.h"
#include "api/test_doubles.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "test_client.h"

namespace soundtrend::contract {

inline constexpr Day kChartDay = 20500;
inline constexpr char kKey[] = "sk_live_contractcontractcontractcontract1";
inline constexpr char kPoorKey[] = "sk_live_poorpoorpoorpoorpoorpoorpoorpoor1";
inline constexpr char kForbiddenKey[] = "sk_live_forbiddenforbiddenforbiddenforbid";
inline constexpr char kLimitedKey[] = "sk_live_limitedlimitedlimitedlimitedlimit";

struct ServingStack {
  explicit ServingStack(std::shared_ptr<gateway::Gateway> gw, int threads = 2,
                        http::ServerOptions options = {})
      : gateway(std::move(gw)), metrics(SystemClock::Instance()) {
    snapshots.Publish(api::ServingSnapshot::Build(api::testing::MakeDemoChartSet(kChartDay), 1));
    api::AddServingRoutes(router, {gateway, &snapshots, &metrics, {}});
    options.threads = threads;
    options.access_log = std::make_shared<spdlog::logger>(
        "contract", std::make_shared<spdlog::sinks::null_sink_mt>());
    server = std::make_unique<http::Server>(options, router, &metrics);
    auto port_or = server->Start();
    EXPECT_TRUE(port_or.ok()) << port_or.status().ToString();
    port = port_or.ok() ? *port_or : 0;
  }
  ~ServingStack() {
    server->Stop();
    server->Wait();
  }

  std::shared_ptr<gateway::Gateway> gateway;
  api::SnapshotHolder snapshots;
  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<http::Server> server;
  uint16_t port = 0;
};

// Keys every contract test uses: kKey has plenty of credits.
inline std::shared_ptr<api::testing::FakeGateway> MakeFakeGateway(bool async_commit = true) {
  auto gw = std::make_shared<api::testing::FakeGateway>(async_commit);
  gw->AddKey({kKey, "key_main", 1'000'000});
  gw->AddKey({kPoorKey, "key_poor", 1});
  gw->AddKey({kForbiddenKey, "key_forbidden", 100, /*forbidden=*/true});
  gw->AddKey({kLimitedKey, "key_limited", 100, false, /*rate_limited=*/true});
  return gw;
}

}  // namespace soundtrend::contract
