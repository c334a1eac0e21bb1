#include "store/sqlite/sqlite_usage_store.h"

#include <gtest/gtest.h>

#include "store/usage_store_suite.h"

namespace soundtrend::store {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Sqlite, UsageStoreSuite,
    ::testing::Values(UsageStoreSuiteParam{
        "sqlite", [](const std::string& path) { return sqlite::OpenSqliteUsageStore(path); }}),
    UsageStoreSuiteName);

}  // namespace
}  // namespace soundtrend::store
