#include "common/process_counters.h"

#include <gtest/gtest.h>

namespace soundtrend {
namespace {

ProcessCounter g_test_counter("soundtrend_test_things_total", "Things counted by a test.");

TEST(ProcessCounterTest, AddsAndRendersInPrometheusFormat) {
  const uint64_t before = g_test_counter.value();
  g_test_counter.Add();
  g_test_counter.Add(2);
  EXPECT_EQ(g_test_counter.value(), before + 3);
  const std::string text = RenderProcessCounters();
  EXPECT_NE(text.find("# HELP soundtrend_test_things_total Things counted by a test.\n"
                      "# TYPE soundtrend_test_things_total counter\n"
                      "soundtrend_test_things_total " +
                      std::to_string(before + 3) + "\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace soundtrend
