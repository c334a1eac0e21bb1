#include "store/postgres/pg_chart_store.h"

#include <gtest/gtest.h>

#include "store/chart_store_suite.h"
#include "store/postgres/pg_test_server.h"

namespace soundtrend::store::postgres {
namespace {

// The suite names a location per test (a path in a fresh temporary directory): each
// location gets its own database in the process's private PostgreSQL, created at its
// first open; opening it again reaches the same data.
Result<std::unique_ptr<ChartStore>> OpenForSuite(const std::string& location, int64_t fail_after) {
  const std::string url = PgTestServer::Shared().DatabaseFor(location);
  PgChartStoreOptions options;
  options.fail_apply_after_rows = fail_after;
  return OpenPgChartStore(url, options);
}

INSTANTIATE_TEST_SUITE_P(Postgres, ChartStoreSuite,
                         ::testing::Values(ChartStoreSuiteParam{"postgres", OpenForSuite}),
                         ChartStoreSuiteName);

}  // namespace
}  // namespace soundtrend::store::postgres
