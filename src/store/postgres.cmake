# PostgreSQL stores (libpq): the connection wrapper, the schema migrations (numbered .sql
# files in postgres/migrations/, embedded), the stores, and the private test server.
# Owner: cluster.
find_package(PostgreSQL REQUIRED)
st_embed_files(postgres_migrations BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR}/postgres/migrations
  FILES 0001_keys.sql 0002_charts.sql 0003_sessions.sql 0004_usage.sql
  0005_leases.sql)
st_library(store_postgres
  SOURCES postgres/pg_db.cc postgres/pg_schema.cc postgres/pg_key_store.cc
          postgres/pg_chart_store.cc postgres/pg_session_store.cc postgres/pg_usage_store.cc
          postgres/pg_change_feed.cc
  DEPS st_store_migrations st_store_codec st_store_chart_segments st_embed_postgres_migrations st_common
       PostgreSQL::PostgreSQL)

# Test-only: a private server (bench/postgres_cluster.sh) and a fresh database per test.
st_library(pg_test_server SOURCES postgres/pg_test_server.cc DEPS st_store_postgres)
target_compile_definitions(st_pg_test_server
  PRIVATE ST_PG_CLUSTER_SCRIPT="${PROJECT_SOURCE_DIR}/bench/postgres_cluster.sh")

# One ctest entry for the whole binary (not one per test case): the tests share one
# private server, started once (initdb + start take a few seconds).
add_executable(pg_store_test postgres/pg_db_test.cc postgres/pg_key_store_test.cc postgres/pg_schema_test.cc
  postgres/pg_chart_store_test.cc postgres/pg_session_store_test.cc
  postgres/pg_usage_store_test.cc postgres/pg_lease_test.cc)
target_link_libraries(pg_store_test PRIVATE st_store_postgres st_pg_test_server
  st_key_store_suite st_chart_store_suite st_session_store_suite st_usage_store_suite GTest::gtest GTest::gmock GTest::gtest_main)
add_test(NAME postgres.stores COMMAND pg_store_test)
set_tests_properties(postgres.stores PROPERTIES LABELS "postgres;unit" TIMEOUT 300)
