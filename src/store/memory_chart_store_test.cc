#include "store/memory_chart_store.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>

#include "store/chart_store_suite.h"

namespace soundtrend::store {
namespace {

// "Reopening" a location gives a store on the same state.
Result<std::unique_ptr<ChartStore>> OpenForSuite(const std::string& location, int64_t fail_after) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<MemoryChartStore::State>> states;
  std::lock_guard lock(mu);
  auto& state = states[location];
  if (!state) state = MemoryChartStore::NewState();
  return std::unique_ptr<ChartStore>(std::make_unique<MemoryChartStore>(state, fail_after));
}

INSTANTIATE_TEST_SUITE_P(Memory, ChartStoreSuite,
                         ::testing::Values(ChartStoreSuiteParam{"memory", OpenForSuite}),
                         ChartStoreSuiteName);

}  // namespace
}  // namespace soundtrend::store
