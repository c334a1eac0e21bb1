// A GoogleTest suite that every UsageStore implementation must pass (store/usage_store.h):
// counts add up within a call, across calls and across store objects (nodes); Daily's range
// and order; Recent's order, limit and trimming to keep_recent per key; other keys are
// untouched by a trim.
//
// Use: link `st_usage_store_suite` and instantiate
//   INSTANTIATE_TEST_SUITE_P(Sqlite, UsageStoreSuite,
//                            ::testing::Values(UsageStoreSuiteParam{"sqlite", OpenFn}),
//                            UsageStoreSuiteName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/status.h"
#include "store/usage_store.h"

namespace soundtrend::store {

struct UsageStoreSuiteParam {
  std::string name;
  // Opens a store at `location` (a path in a fresh temporary directory); opening it again
  // gives another store object over the same data.
  std::function<Result<std::unique_ptr<UsageStore>>(const std::string& location)> open;
};

inline void PrintTo(const UsageStoreSuiteParam& param, std::ostream* os) { *os << param.name; }

class UsageStoreSuite : public ::testing::TestWithParam<UsageStoreSuiteParam> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::unique_ptr<UsageStore> Open();

  std::string dir_;
  std::string location_;
};

std::string UsageStoreSuiteName(const ::testing::TestParamInfo<UsageStoreSuiteParam>& info);

}  // namespace soundtrend::store
