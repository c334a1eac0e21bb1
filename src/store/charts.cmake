# The chart store: SQLite implementation and the suite every implementation must pass.
# The segment formats (chart_segments.h) are shared with the PostgreSQL store.
st_library(store_chart_segments SOURCES chart_segments.cc DEPS st_common)
st_library(store_charts SOURCES sqlite/sqlite_chart_store.cc
  DEPS st_store_chart_segments st_store_sqlite_db st_store_sqlite_schema st_common)

# Reusable GoogleTest suite (an OBJECT library so its TEST_P registrations always link).
add_library(st_chart_store_suite OBJECT chart_store_suite.cc)
target_include_directories(st_chart_store_suite PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(st_chart_store_suite PUBLIC st_common GTest::gtest GTest::gmock)

st_test(sqlite_chart_store_test
  SOURCES sqlite/sqlite_chart_store_test.cc
  DEPS st_store_charts st_chart_store_suite)

# The in-memory chart store (tests of the engine, publisher and build), held to the suite.
st_library(store_memory SOURCES memory_chart_store.cc DEPS st_common)
st_test(memory_chart_store_test SOURCES memory_chart_store_test.cc
  DEPS st_store_memory st_chart_store_suite)
