# Demo engineer's tests over the real binary (the generator's unit tests are in src/demo).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME e2e.DemoIngestBuildServe
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/demo_pipeline_test.py
                   $<TARGET_FILE:soundtrend>)
  set_tests_properties(e2e.DemoIngestBuildServe PROPERTIES LABELS e2e TIMEOUT 120)
else()
  message(STATUS "python3 not found: e2e.DemoIngestBuildServe not registered")
endif()

# The README's first command (issue 13): the real scripts/run.sh, first and second run.
# It reconfigures and builds the release preset (a no-op once built), so it is registered
# only for that build directory.
if(Python3_Interpreter_FOUND AND CMAKE_BINARY_DIR STREQUAL "${PROJECT_SOURCE_DIR}/build/release")
  add_test(NAME e2e.RunScript
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/run_script_test.py
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(e2e.RunScript PROPERTIES LABELS e2e TIMEOUT 300 RUN_SERIAL TRUE)
endif()
