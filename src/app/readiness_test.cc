#include "app/readiness.h"

#include <gtest/gtest.h>

namespace soundtrend::app {
namespace {

TEST(ReadinessMonitorTest, ReadyOnlyWhenEveryProbeAnswers) {
  bool chart_ok = true, key_ok = true;
  ReadinessMonitor monitor(
      {{"chart store", [&] { return chart_ok ? Status() : Status::IoError("locked"); }},
       {"key store", [&] { return key_ok ? Status() : Status::IoError("gone"); }}});
  EXPECT_FALSE(monitor.stores_ok());  // not checked yet
  EXPECT_TRUE(monitor.CheckOnce());
  EXPECT_TRUE(monitor.stores_ok());
  key_ok = false;
  EXPECT_FALSE(monitor.CheckOnce());
  EXPECT_FALSE(monitor.stores_ok());
  key_ok = true;
  chart_ok = false;
  EXPECT_FALSE(monitor.CheckOnce());
  chart_ok = true;
  EXPECT_TRUE(monitor.CheckOnce());
  EXPECT_TRUE(monitor.stores_ok());
}

TEST(ReadinessMonitorTest, StopEndsTheThreadAtOnce) {
  ReadinessMonitor monitor({{"store", [] { return Status(); }}});
  monitor.Start(std::chrono::hours(1));
  monitor.Stop();  // returns without waiting for the interval
  monitor.Stop();
  SUCCEED();
}

}  // namespace
}  // namespace soundtrend::app
