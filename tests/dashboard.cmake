# Dashboard tests over real sockets (label `dashboard`); the browser tests are registered
# by web/CMakeLists.txt. Owner: dashboard.
st_test(dashboard_api_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dashboard/dashboard_api_test.cc
  DEPS st_dashboard st_store_sessions st_store_usage st_api st_api_test_doubles st_http simdjson::simdjson
       spdlog::spdlog
  LABELS dashboard)
target_include_directories(dashboard_api_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
