# Ingest tests over the real binary (label `integration`). Owner: ingest.
if(TARGET soundtrend)
  foreach(test ingest_crash_test ingest_cli_test)
    string(REPLACE "ingest_" "" source ${test})
    st_test(${test}
      SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/ingest/${source}.cc
      DEPS st_ingest st_store_charts SQLite::SQLite3 ZLIB::ZLIB
      LABELS integration)
    target_include_directories(${test} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${test} PRIVATE SOUNDTREND_BINARY="$<TARGET_FILE:soundtrend>")
    add_dependencies(${test} soundtrend)
  endforeach()
endif()
