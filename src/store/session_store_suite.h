// A GoogleTest suite that every SessionStore implementation must pass: each contract of
// store/session_store.h (round trip of every field, duplicate ids, unknown ids, revocation
// once, deletion of expired and revoked sessions, a second store object on the same
// location seeing the first one's writes at once).
//
// Use: link `st_session_store_suite` into a test binary and instantiate
//   INSTANTIATE_TEST_SUITE_P(Sqlite, SessionStoreSuite,
//                            ::testing::Values(SessionStoreSuiteParam{"sqlite", OpenFn}),
//                            SessionStoreSuiteName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/status.h"
#include "store/session_store.h"

namespace soundtrend::store {

struct SessionStoreSuiteParam {
  std::string name;
  // Opens a store at `location` (a path inside a fresh temporary directory); opening the
  // same location again gives another store object over the same data.
  std::function<Result<std::unique_ptr<SessionStore>>(const std::string& location)> open;
};

inline void PrintTo(const SessionStoreSuiteParam& param, std::ostream* os) { *os << param.name; }

class SessionStoreSuite : public ::testing::TestWithParam<SessionStoreSuiteParam> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::unique_ptr<SessionStore> Open();

  std::string dir_;
  std::string location_;
};

std::string SessionStoreSuiteName(const ::testing::TestParamInfo<SessionStoreSuiteParam>& info);

}  // namespace soundtrend::store
