#include "store/postgres/pg_db.h"

#include <gtest/gtest.h>

#include "common/process_counters.h"
#include "store/postgres/pg_test_server.h"

namespace soundtrend::store::postgres {
namespace {

// Each statement, script and connect is one round trip (bench/cluster.sh reads the
// counter from /metrics to report round trips per 1,000 requests).
TEST(PgDbTest, CountsEveryRoundTrip) {
  const std::string url = PgTestServer::Shared().CreateDatabase();
  const uint64_t start = PgRoundTrips();
  auto db = PgConnection::Open(url);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(PgRoundTrips(), start + 1);  // the connect
  ASSERT_TRUE((*db)->Exec("SELECT $1::int", {7}).ok());
  ASSERT_TRUE((*db)->ExecScript("SELECT 1; SELECT 2").ok());
  int rows = 0;
  ASSERT_TRUE((*db)
                  ->ForEachRow("SELECT generate_series(1, 3)", {},
                               [&](const PgResult&) {
                                 ++rows;
                                 return Status::Ok();
                               })
                  .ok());
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(PgRoundTrips(), start + 4);
  EXPECT_NE(RenderProcessCounters().find("soundtrend_pg_round_trips_total " +
                                         std::to_string(PgRoundTrips()) + "\n"),
            std::string::npos);
}

}  // namespace
}  // namespace soundtrend::store::postgres
