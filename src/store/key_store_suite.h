// A GoogleTest suite that every KeyStore implementation must pass: it checks each contract
// of store/key_store.h (keys stored by hash, duplicate refusal, revocation keeping its first
// time, idempotent grants, charge blocks applied in order with seqs, balances and usage
// totals, refused whole when they would break the balance rule, log markers set with
// their block only, the merged ledger, snapshots and their grant watermark, the change
// counter seeing another connection's commit, durability across reopen, and calls from
// several threads at once; key updates and rotations (UpdateKey, RotateKey) too).
//
// Use: link the target `st_key_store_suite` into a test binary and instantiate
//   INSTANTIATE_TEST_SUITE_P(Sqlite, KeyStoreSuite,
//                            ::testing::Values(KeyStoreSuiteParam{"sqlite", OpenFn}),
//                            KeyStoreSuiteName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/status.h"
#include "store/key_store.h"

namespace soundtrend::store {

struct KeyStoreSuiteParam {
  std::string name;
  // Opens the store at `location` (opening the same location again, also while it is open,
  // must give another connection to the same data).
  std::function<Result<std::unique_ptr<KeyStore>>(const std::string& location)> open;
  // A fresh, empty location for one test (its argument: a new temporary directory, removed
  // after the test). Default: a file in that directory.
  std::function<std::string(const std::string& temp_dir)> new_location;
};

inline void PrintTo(const KeyStoreSuiteParam& param, std::ostream* os) { *os << param.name; }

class KeyStoreSuite : public ::testing::TestWithParam<KeyStoreSuiteParam> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Opens the store at this test's location; fails the test on error.
  std::unique_ptr<KeyStore> Open();

  std::string dir_;
  std::string location_;
};

// Names instances after KeyStoreSuiteParam::name.
std::string KeyStoreSuiteName(const ::testing::TestParamInfo<KeyStoreSuiteParam>& info);

}  // namespace soundtrend::store
