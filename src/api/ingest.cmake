# POST /admin/v1/ingest (admin_ingest.h): the ingest module behind the admin token.
st_library(api_ingest
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/admin_ingest.cc
  DEPS st_api_gateway st_ingest st_store_charts st_http spdlog::spdlog)

if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/admin_ingest_test.cc)
  st_test(api_ingest_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/admin_ingest_test.cc
    DEPS st_api_ingest st_store_charts simdjson::simdjson ZLIB::ZLIB)
endif()

# The soundtrend binary links st_api; make it carry this endpoint too (st_api is defined
# after this file is included, hence the deferred call).
cmake_language(DEFER CALL st_link_api_ingest)
function(st_link_api_ingest)
  if(TARGET st_api)
    target_link_libraries(st_api PUBLIC st_api_ingest)
  endif()
endfunction()
