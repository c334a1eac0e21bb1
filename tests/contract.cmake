# Contract tests: the real HTTP server over a socket (label `contract`), and the reference
# page's Python/JavaScript examples run against it (label `examples`). Owner: serve.
set(ST_CONTRACT_DIR ${CMAKE_CURRENT_SOURCE_DIR}/contract)

# Both record their exchanges for the OpenAPI check (tests/openapi.cmake).
set(ST_EXCHANGE_DIR ${CMAKE_BINARY_DIR}/openapi_exchanges)
set(ST_RECORD_EXCHANGES ENVIRONMENT "ST_EXCHANGE_DIR=${ST_EXCHANGE_DIR}"
    FIXTURES_REQUIRED openapi_exchange_dir FIXTURES_SETUP openapi_exchanges)
st_test(contract_test
  SOURCES ${ST_CONTRACT_DIR}/trending_contract_test.cc ${ST_CONTRACT_DIR}/service_contract_test.cc
  DEPS st_api st_api_test_doubles st_http simdjson::simdjson spdlog::spdlog
  LABELS contract PROPERTIES ${ST_RECORD_EXCHANGES})

# The real wiring (store, engine, gateway) in-process, on SQLite and on PostgreSQL
# (serve_app_test.postgres: the PostgreSQL cases; tests/backends.cmake), and the binary as a
# process.
st_test_on_backends(serve_app_test
  SOURCES ${ST_CONTRACT_DIR}/serve_app_test.cc
  DEPS st_serve simdjson::simdjson spdlog::spdlog
  LABELS contract PROPERTIES ${ST_RECORD_EXCHANGES})
target_compile_definitions(serve_app_test PRIVATE SOUNDTREND_BINARY="$<TARGET_FILE:soundtrend>")
add_dependencies(serve_app_test soundtrend)

# The reference page's examples (tests/examples/README.md), run by python3 and node against
# the test doubles and against a real node with demo data on SQLite and on PostgreSQL
# (examples_test.postgres: the PostgreSQL cases; tests/backends.cmake).
st_test_on_backends(examples_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/examples/examples_test.cc
  DEPS st_serve st_demo st_ingest st_api st_api_test_doubles st_http simdjson::simdjson
       spdlog::spdlog
  LABELS examples)
target_include_directories(examples_test PRIVATE ${ST_CONTRACT_DIR})
target_compile_definitions(examples_test PRIVATE ST_EXAMPLES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/examples")

# docs/api.md §4 late data on a running server (charts engineer).
st_test(late_data_test
  SOURCES ${ST_CONTRACT_DIR}/late_data_test.cc
  DEPS st_serve spdlog::spdlog
  LABELS contract)

# Issue 11: the detail endpoint, rank_type and as_of over a socket (charts engineer); its
# exchanges are validated against the OpenAPI document too.
st_test(detail_contract_test
  SOURCES ${ST_CONTRACT_DIR}/detail_contract_test.cc
  DEPS st_api st_api_test_doubles st_engine st_http simdjson::simdjson spdlog::spdlog
  LABELS contract PROPERTIES ${ST_RECORD_EXCHANGES})
