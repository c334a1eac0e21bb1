# st_library(NAME SOURCES ... DEPS ...): a module library `st_NAME`, include root = src/.
function(st_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(st_${name} STATIC ${ARG_SOURCES})
  target_include_directories(st_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(st_${name} PUBLIC ${ARG_DEPS})
endfunction()

# st_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
# Tests carry the label "unit" unless LABELS says otherwise.
function(st_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
