# Tests that run on both stores (issue 10): value-parametrized gtests instantiated with
# ST_INSTANTIATE_ON_BACKENDS (tests/gateway/backend_param.h), cases named ".../Sqlite" and
# ".../Postgres". Owner: cluster.
#   st_test_on_backends(NAME SOURCES ... DEPS ... LABELS ... [PROPERTIES ...] [TIMEOUT s])
# - every case but the PostgreSQL ones: one ctest entry each, as st_test makes them;
# - the PostgreSQL cases: one ctest entry NAME.postgres, labels LABELS + `postgres`, so that
#   they share one private PostgreSQL server (PgTestServer::Shared(), started once per
#   process; initdb + start take a few seconds).
# PostgreSQL is required to configure (find_package REQUIRED in src/store/postgres.cmake),
# so st_pg_test_server always exists here.
function(st_test_on_backends name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS;PROPERTIES" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} st_pg_test_server
    GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  gtest_discover_tests(${name} TEST_FILTER "-*/Postgres" NO_PRETTY_VALUES
    PROPERTIES LABELS "${ARG_LABELS}" ${ARG_PROPERTIES} DISCOVERY_TIMEOUT 60)
  add_test(NAME ${name}.postgres COMMAND ${name} --gtest_filter=*/Postgres)
  set_tests_properties(${name}.postgres PROPERTIES LABELS "${ARG_LABELS};postgres"
    TIMEOUT ${ARG_TIMEOUT} ${ARG_PROPERTIES})
endfunction()
