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
