# Gateway tests over real sockets and the real binary (label `integration`). Owner: gateway.
set(ST_GATEWAY_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/gateway)

# Race for the last credits: real server in-process, real BillingGateway on SQLite and on
# PostgreSQL (tests/backends.cmake: gateway_race_test.postgres runs the PostgreSQL cases).
st_test_on_backends(gateway_race_test
  SOURCES ${ST_GATEWAY_TEST_DIR}/race_test.cc
  DEPS st_serve st_api st_api_gateway st_api_test_doubles st_gateway st_store_ledger st_http
       spdlog::spdlog
  LABELS integration)

# The real binary: SIGKILL mid-load then restart (charges vs answers), and CLI changes
# reaching a running server.
# Each on SQLite and on PostgreSQL (gateway_binary_test.postgres: the PostgreSQL cases).
if(TARGET soundtrend)
  st_test_on_backends(gateway_binary_test
    SOURCES ${ST_GATEWAY_TEST_DIR}/crash_test.cc
    DEPS st_serve st_store_ledger st_http
    LABELS integration)
  target_compile_definitions(gateway_binary_test
    PRIVATE SOUNDTREND_BINARY="$<TARGET_FILE:soundtrend>")
  add_dependencies(gateway_binary_test soundtrend)
endif()
