# Cluster tests (issue 10): the real binary on a private PostgreSQL (label `cluster`).
# Owner: cluster. One ctest entry per binary: its tests share one PostgreSQL server.
if(TARGET soundtrend AND TARGET st_pg_test_server)
  add_executable(cluster_pg_node_test ${CMAKE_CURRENT_SOURCE_DIR}/cluster/pg_node_test.cc)
  target_include_directories(cluster_pg_node_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(cluster_pg_node_test PRIVATE st_pg_test_server st_http
    Boost::system GTest::gtest GTest::gtest_main)
  target_compile_definitions(cluster_pg_node_test
    PRIVATE SOUNDTREND_BINARY="$<TARGET_FILE:soundtrend>")
  add_dependencies(cluster_pg_node_test soundtrend)
  add_test(NAME cluster.pg_node COMMAND cluster_pg_node_test)
  set_tests_properties(cluster.pg_node PROPERTIES LABELS "cluster;postgres" TIMEOUT 300)
endif()
