#include "store/postgres/pg_usage_store.h"

#include <gtest/gtest.h>

#include "store/postgres/pg_test_server.h"
#include "store/usage_store_suite.h"

namespace soundtrend::store::postgres {
namespace {

// A database per suite location (see pg_chart_store_test.cc).
Result<std::unique_ptr<UsageStore>> OpenForSuite(const std::string& location) {
  const std::string url = PgTestServer::Shared().DatabaseFor(location);
  return OpenPgUsageStore(url);
}

INSTANTIATE_TEST_SUITE_P(Postgres, UsageStoreSuite,
                         ::testing::Values(UsageStoreSuiteParam{"postgres", OpenForSuite}),
                         UsageStoreSuiteName);

}  // namespace
}  // namespace soundtrend::store::postgres
