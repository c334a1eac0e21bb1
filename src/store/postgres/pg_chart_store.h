// ChartStore on PostgreSQL (store/chart_store.h; passes store/chart_store_suite.h): the
// charts' data shared by every node. Schema: migrations/0002_charts.sql; data packed in
// segments (store/chart_segments.h) as in the SQLite store. One connection, calls
// serialized. Every statement has bound parameters.
#pragma once

#include <memory>
#include <string>

#include "store/chart_store.h"
#include "store/postgres/pg_key_store.h"  // PgOpenOptions

namespace soundtrend::store::postgres {

struct PgChartStoreOptions {
  PgOpenOptions open;
  // Tests: ApplyBatch fails after writing this many rows (-1: never).
  int64_t fail_apply_after_rows = -1;
};

Result<std::unique_ptr<ChartStore>> OpenPgChartStore(const std::string& url,
                                                     PgChartStoreOptions options = {});

}  // namespace soundtrend::store::postgres
