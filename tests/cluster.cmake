# Cluster tests (issue 10): the real binary on a private PostgreSQL (label `cluster`).
# Owner: cluster. One ctest entry per binary: its tests share one PostgreSQL server.
# st_cluster_fixture (tests/cluster/cluster_fixture.h): a temp dir, a fresh database, the
# CLI, a demo ingested, N serve nodes; every cluster test file uses it:
#   st_cluster_test(NAME file.cc LABELS "cluster;postgres" [TIMEOUT s] [DEPS ...])
if(TARGET soundtrend AND TARGET st_pg_test_server)
  add_library(st_cluster_fixture STATIC ${CMAKE_CURRENT_SOURCE_DIR}/cluster/cluster_fixture.cc)
  target_include_directories(st_cluster_fixture PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(st_cluster_fixture PUBLIC st_pg_test_server st_http
    Boost::system GTest::gtest)
  target_compile_definitions(st_cluster_fixture
    PUBLIC SOUNDTREND_BINARY="$<TARGET_FILE:soundtrend>")
  add_dependencies(st_cluster_fixture soundtrend)

  function(st_cluster_test name source)
    cmake_parse_arguments(ARG "" "TIMEOUT" "LABELS;DEPS" ${ARGN})
    if(NOT ARG_LABELS)
      set(ARG_LABELS "cluster;postgres")
    endif()
    if(NOT ARG_TIMEOUT)
      set(ARG_TIMEOUT 300)
    endif()
    add_executable(cluster_${name}_test ${CMAKE_CURRENT_SOURCE_DIR}/cluster/${source})
    target_link_libraries(cluster_${name}_test PRIVATE st_cluster_fixture ${ARG_DEPS}
      GTest::gtest_main)
    add_test(NAME cluster.${name} COMMAND cluster_${name}_test)
    set_tests_properties(cluster.${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
  endfunction()

  st_cluster_test(pg_node pg_node_test.cc)
  # A node SIGKILLed under load and restarted; PostgreSQL away for 5 s under load
  # (owner: cluster-ops).
  st_cluster_test(fault fault_test.cc)
  # Keys and charts across nodes (owner: cluster2).
  st_cluster_test(sync sync_test.cc TIMEOUT 180)
endif()

# Rate limits shared through Redis across three nodes (owner: redis): one PostgreSQL, one
# Redis per test, started by the test.
if(TARGET st_cluster_fixture AND TARGET st_redis_test_server)
  st_cluster_test(redis_node redis_node_test.cc LABELS "cluster;postgres;redis"
    DEPS st_redis_test_server)
endif()
