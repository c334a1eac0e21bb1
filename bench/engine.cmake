# The chart engine at platform scale, with the PostgreSQL comparison (see engine_bench.cc).
# Not a test: prints numbers. bench/platform.sh runs it with the ingest benchmark.
add_executable(engine_bench ${CMAKE_CURRENT_LIST_DIR}/engine_bench.cc)
target_link_libraries(engine_bench PRIVATE st_engine)
target_compile_definitions(engine_bench PRIVATE SOUNDTREND_BENCH_DIR="${CMAKE_CURRENT_LIST_DIR}")
