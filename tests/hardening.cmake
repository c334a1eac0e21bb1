# Issue 12 (hardening) regressions over the real binary (label `integration`). Owner: hardening.
if(TARGET soundtrend)
  st_test(hardening_binary_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/hardening/binary_test.cc
    DEPS st_common st_store_ledger Boost::system ZLIB::ZLIB Threads::Threads
    LABELS integration)
  target_include_directories(hardening_binary_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                                                           ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(hardening_binary_test
    PRIVATE SOUNDTREND_BINARY="$<TARGET_FILE:soundtrend>")
  add_dependencies(hardening_binary_test soundtrend)
endif()
