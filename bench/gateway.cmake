# Gateway micro-benchmarks (a program that prints numbers, not a test). Owner: gateway.
add_executable(gateway_bench ${CMAKE_CURRENT_SOURCE_DIR}/gateway_bench.cc)
target_link_libraries(gateway_bench PRIVATE st_gateway st_ledger st_store_ledger)
