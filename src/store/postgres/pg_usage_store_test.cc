#include "store/postgres/pg_usage_store.h"

#include <gtest/gtest.h>

#include "store/postgres/pg_db.h"
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

// Add stores a flush's counts and requests in one statement each (arrays unnested): values
// that are special in an array literal come back as they went in, and one Add is five
// round trips however many rows and keys it carries.
TEST(PgUsageStoreTest, RequestsOfAFlushGoInOneStatementWhateverTheirText) {
  auto store = OpenPgUsageStore(PgTestServer::Shared().CreateDatabase());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<RequestRecord> requests;
  const std::string odd[] = {"a,b", "{x}", "q\"uote", "back\\slash", "NULL", "", " sp "};
  for (int i = 0; i < 7; ++i) {
    requests.push_back({"key_odd", 1000 + i, "/v1/" + odd[i], 200 + i, i, "req-" + odd[i]});
  }
  for (int i = 0; i < 200; ++i) requests.push_back({"key_many", 5000 + i, "/v1/x", 200, 2, "r"});
  std::vector<DailyUsage> counts;
  for (int k = 0; k < 30; ++k)
    counts.push_back({"key_" + std::to_string(k), 20000, 1, 0, 0, 0, 0, 2});
  counts.push_back({"key_0", 20000, 1, 0, 0, 0, 0, 2});  // the same (key, day) twice: summed
  const uint64_t before = PgRoundTrips();
  ASSERT_TRUE((*store)->Add(counts, requests, 100).ok());
  // BEGIN, the counts, the requests, the trim of every key touched, COMMIT.
  EXPECT_EQ(PgRoundTrips() - before, 5u);
  auto daily = (*store)->Daily("key_0", 20000, 20000);
  ASSERT_TRUE(daily.ok());
  ASSERT_EQ(daily->size(), 1u);
  EXPECT_EQ((*daily)[0].ok, 2);
  auto recent = (*store)->Recent("key_odd", 10);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  ASSERT_EQ(recent->size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ((*recent)[6 - i], requests[i]) << odd[i];
  auto many = (*store)->Recent("key_many", 1000);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->size(), 100u);  // kept: the newest 100
  // Adding the same requests again adds nothing.
  ASSERT_TRUE((*store)->Add({}, std::span(requests).first(7), 100).ok());
  EXPECT_EQ((*store)->Recent("key_odd", 10)->size(), 7u);
}

}  // namespace
}  // namespace soundtrend::store::postgres
