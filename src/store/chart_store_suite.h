// A GoogleTest suite that every ChartStore implementation must pass: it checks each
// contract of store/chart_store.h (atomicity under an injected failure, idempotency by
// batch id, summed daily uses, sound replacement, the video top 4, edition replacement,
// the order of ForEachDailyUses, durability across reopen).
//
// Use: link the target `st_chart_store_suite` into a test binary and instantiate
//   INSTANTIATE_TEST_SUITE_P(Sqlite, ChartStoreSuite,
//                            ::testing::Values(ChartStoreSuiteParam{"sqlite", OpenFn}),
//                            ChartStoreSuiteName);
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/status.h"
#include "store/chart_store.h"

namespace soundtrend::store {

struct ChartStoreSuiteParam {
  std::string name;
  // Opens the store at `location` (a path inside a fresh temporary directory; opening the
  // same location again must see the same data). When `fail_apply_after_rows` >= 0,
  // ApplyBatch on the returned store must fail after writing that many rows of a batch
  // (a fault injected mid-transaction); -1 means no fault.
  std::function<Result<std::unique_ptr<ChartStore>>(const std::string& location,
                                                    int64_t fail_apply_after_rows)>
      open;
};

inline void PrintTo(const ChartStoreSuiteParam& param, std::ostream* os) { *os << param.name; }

class ChartStoreSuite : public ::testing::TestWithParam<ChartStoreSuiteParam> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Opens the store at this test's location; fails the test on error.
  std::unique_ptr<ChartStore> Open(int64_t fail_apply_after_rows = -1);

  std::string dir_;
  std::string location_;
};

// Names instances after ChartStoreSuiteParam::name.
std::string ChartStoreSuiteName(const ::testing::TestParamInfo<ChartStoreSuiteParam>& info);

}  // namespace soundtrend::store
