# The chart engine at platform scale (see engine_bench.cc). Not a test: prints numbers.
add_executable(engine_bench ${CMAKE_CURRENT_LIST_DIR}/engine_bench.cc)
target_link_libraries(engine_bench PRIVATE st_engine)
