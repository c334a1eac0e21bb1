# The OpenAPI document (src/api/openapi/openapi.json) against two checkers (label
# `contract`), with the npm packages of tests/openapi (installed by scripts/test.sh:
# `npm ci --prefix tests/openapi`):
# - openapi_lint: `redocly lint` (recommended rules): no error and no warning;
# - openapi_exchanges_validate: every exchange the contract tests recorded (tests/contract.cmake)
#   validated against the document (tests/openapi/validate_exchanges.mjs).
set(ST_OPENAPI_DIR ${CMAKE_CURRENT_SOURCE_DIR}/openapi)
set(ST_OPENAPI_DOC ${PROJECT_SOURCE_DIR}/src/api/openapi/openapi.json)
find_program(ST_NODE node REQUIRED)

add_test(NAME openapi_exchanges_reset
         COMMAND ${CMAKE_COMMAND} -E rm -rf ${ST_EXCHANGE_DIR})
add_test(NAME openapi_exchanges_mkdir
         COMMAND ${CMAKE_COMMAND} -E make_directory ${ST_EXCHANGE_DIR})
set_tests_properties(openapi_exchanges_reset PROPERTIES FIXTURES_SETUP openapi_exchange_reset
                     LABELS contract)
set_tests_properties(openapi_exchanges_mkdir PROPERTIES FIXTURES_SETUP openapi_exchange_dir
                     FIXTURES_REQUIRED openapi_exchange_reset LABELS contract)

add_test(NAME openapi_lint
         COMMAND ${ST_OPENAPI_DIR}/node_modules/.bin/redocly lint --format=stylish ${ST_OPENAPI_DOC}
         WORKING_DIRECTORY ${ST_OPENAPI_DIR})
set_tests_properties(openapi_lint PROPERTIES LABELS contract
  ENVIRONMENT "REDOCLY_TELEMETRY=off;REDOCLY_SUPPRESS_UPDATE_NOTICE=true"
  # "valid" with warnings still exits 0: fail on any warning too.
  FAIL_REGULAR_EXPRESSION "[0-9]+ warnings?|error")

add_test(NAME openapi_exchanges_validate
         COMMAND ${ST_NODE} ${ST_OPENAPI_DIR}/validate_exchanges.mjs ${ST_OPENAPI_DOC}
                 ${ST_EXCHANGE_DIR} --min 300
                 --require /v1/tiktok/trending/music --require /v1/tiktok/trending/music/detail
                 --require /v1/tiktok/trending/music/editions
         WORKING_DIRECTORY ${ST_OPENAPI_DIR})
set_tests_properties(openapi_exchanges_validate PROPERTIES LABELS contract
                     FIXTURES_REQUIRED openapi_exchanges)
