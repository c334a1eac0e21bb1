# Raw ingest rate on one core (see ingest_bench.cc). Not a test: prints numbers.
add_executable(ingest_bench ${CMAKE_CURRENT_LIST_DIR}/ingest_bench.cc)
target_link_libraries(ingest_bench PRIVATE st_ingest st_store_charts)
