# Redis: rate limits shared by every node (serve --redis; hiredis from libhiredis-dev), the
# GCRA script (embedded), and the private test server. Owner: cluster (redis).
find_path(HIREDIS_INCLUDE_DIR hiredis/async.h REQUIRED)
find_library(HIREDIS_LIBRARY hiredis REQUIRED)
st_embed_files(redis_scripts BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR}/redis FILES gcra.lua)
st_library(store_redis SOURCES redis/redis_rate_store.cc redis/redis_url.cc
  DEPS st_embed_redis_scripts st_common ${HIREDIS_LIBRARY} Boost::system spdlog::spdlog
       fmt::fmt Threads::Threads)
target_include_directories(st_store_redis PUBLIC ${HIREDIS_INCLUDE_DIR})

# Test-only: a private redis-server on a free loopback port.
st_library(redis_test_server SOURCES redis/redis_test_server.cc DEPS st_common ${HIREDIS_LIBRARY})
target_include_directories(st_redis_test_server PUBLIC ${HIREDIS_INCLUDE_DIR})

# ParseRedisUrl: the --redis URL forms (no server).
st_test(redis_url_test SOURCES redis/redis_url_test.cc DEPS st_store_redis LABELS "redis;unit")

# A Redis that wants a password (serve --redis redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]):
# AUTH and SELECT on connect, a wrong password an outage. A server per test.
st_test(redis_auth_test SOURCES redis/redis_auth_test.cc
  DEPS st_store_redis st_redis_test_server st_gateway LABELS "redis;unit")

# One ctest entry (one process): the tests share one server.
st_test(redis_store_test SOURCES redis/redis_rate_store_test.cc
  DEPS st_store_redis st_redis_test_server st_gateway ONE_PROCESS LABELS "redis;unit"
  PROPERTIES TIMEOUT 120)
