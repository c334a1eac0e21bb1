#include "store/postgres/pg_session_store.h"

#include <gtest/gtest.h>

#include "store/postgres/pg_test_server.h"
#include "store/session_store_suite.h"

namespace soundtrend::store::postgres {
namespace {

// A database per suite location (see pg_chart_store_test.cc).
Result<std::unique_ptr<SessionStore>> OpenForSuite(const std::string& location) {
  const std::string url = PgTestServer::Shared().DatabaseFor(location);
  return OpenPgSessionStore(url);
}

INSTANTIATE_TEST_SUITE_P(Postgres, SessionStoreSuite,
                         ::testing::Values(SessionStoreSuiteParam{"postgres", OpenForSuite}),
                         SessionStoreSuiteName);

}  // namespace
}  // namespace soundtrend::store::postgres
