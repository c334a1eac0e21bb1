// UsageStore over SQLite: tables usage_daily and usage_recent (migrations/0004_usage.sql) in the
// service's database file. Thread-safety: one thread at a time (one connection).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/usage_store.h"

namespace soundtrend::store::sqlite {

Result<std::unique_ptr<UsageStore>> OpenSqliteUsageStore(const std::string& path);

}  // namespace soundtrend::store::sqlite
