# The key store (keys, grants, the credit ledger): interface store/key_store.h, its
# conformance suite, and the SQLite implementation.
st_library(store_ledger SOURCES sqlite/sqlite_key_store.cc DEPS st_store_sqlite_db st_store_sqlite_schema st_store_codec)

# Reusable GoogleTest suite (an OBJECT library so its TEST_P registrations always link).
add_library(st_key_store_suite OBJECT key_store_suite.cc)
target_include_directories(st_key_store_suite PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(st_key_store_suite PUBLIC st_common GTest::gtest GTest::gmock)

st_test(sqlite_key_store_test
  SOURCES sqlite/sqlite_key_store_test.cc
  DEPS st_store_ledger st_key_store_suite)
