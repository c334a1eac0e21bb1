# The gateway's endpoints: GET /v1/account and the admin API for keys, credits, ledger.
st_library(api_gateway
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/account.cc ${CMAKE_CURRENT_SOURCE_DIR}/admin_keys.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/keyed_response.cc ${CMAKE_CURRENT_SOURCE_DIR}/paid_endpoint.cc
  DEPS st_gateway st_http simdjson::simdjson spdlog::spdlog)

st_test(api_gateway_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/admin_keys_test.cc
  DEPS st_api_gateway st_store_ledger simdjson::simdjson)

# The soundtrend binary links st_api; make it carry these endpoints too (st_api is defined
# after this file is included, hence the deferred call).
cmake_language(DEFER CALL st_link_api_gateway)
function(st_link_api_gateway)
  if(TARGET st_api)
    target_link_libraries(st_api PUBLIC st_api_gateway)
  endif()
endfunction()
