# The dashboard's stores. The session store: interface store/session_store.h, its conformance suite,
# the SQLite implementation (schema: sqlite/migrations/0003_sessions.sql). Owner: dashboard.
st_library(store_sessions SOURCES sqlite/sqlite_session_store.cc
  DEPS st_store_sqlite_db st_store_sqlite_schema st_common)

add_library(st_session_store_suite OBJECT session_store_suite.cc)
target_include_directories(st_session_store_suite PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(st_session_store_suite PUBLIC st_common GTest::gtest GTest::gmock)

st_test(sqlite_session_store_test
  SOURCES sqlite/sqlite_session_store_test.cc
  DEPS st_store_sessions st_session_store_suite)

# The dashboard's usage counters: interface store/usage_store.h, its suite, SQLite
# (schema: sqlite/migrations/0004_usage.sql).
st_library(store_usage SOURCES sqlite/sqlite_usage_store.cc
  DEPS st_store_sqlite_db st_store_sqlite_schema st_common)

add_library(st_usage_store_suite OBJECT usage_store_suite.cc)
target_include_directories(st_usage_store_suite PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(st_usage_store_suite PUBLIC st_common GTest::gtest GTest::gmock)

st_test(sqlite_usage_store_test
  SOURCES sqlite/sqlite_usage_store_test.cc
  DEPS st_store_usage st_usage_store_suite)
