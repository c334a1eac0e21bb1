# Ingest tests over the real binary (label `integration`). Owner: ingest.
if(TARGET soundtrend)
  st_test(ingest_crash_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/ingest/crash_test.cc
    DEPS st_ingest st_store_charts SQLite::SQLite3 ZLIB::ZLIB
    LABELS integration)
  target_compile_definitions(ingest_crash_test
    PRIVATE SOUNDTREND_BINARY="$<TARGET_FILE:soundtrend>")
  add_dependencies(ingest_crash_test soundtrend)
endif()
