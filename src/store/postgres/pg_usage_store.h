// UsageStore on PostgreSQL (store/usage_store.h; passes store/usage_store_suite.h): the
// dashboard's per-key counters, summed over every node. Schema: migrations/0004_usage.sql.
#pragma once

#include <memory>
#include <string>

#include "store/postgres/pg_key_store.h"  // PgOpenOptions
#include "store/usage_store.h"

namespace soundtrend::store::postgres {

Result<std::unique_ptr<UsageStore>> OpenPgUsageStore(const std::string& url,
                                                     PgOpenOptions options = {});

}  // namespace soundtrend::store::postgres
