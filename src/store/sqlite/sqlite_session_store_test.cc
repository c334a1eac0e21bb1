#include "store/sqlite/sqlite_session_store.h"

#include <gtest/gtest.h>

#include "store/session_store_suite.h"

namespace soundtrend::store {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Sqlite, SessionStoreSuite,
    ::testing::Values(SessionStoreSuiteParam{
        "sqlite", [](const std::string& path) { return sqlite::OpenSqliteSessionStore(path); }}),
    SessionStoreSuiteName);

}  // namespace
}  // namespace soundtrend::store
