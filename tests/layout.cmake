# The module layout's include rules (tests/layout/check_layout.sh): only app/ names a store
# implementation; dependencies point one way. Owner: cluster.
find_program(ST_BASH bash)
if(ST_BASH)
  add_test(NAME layout.include_rules
    COMMAND ${ST_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/layout/check_layout.sh ${PROJECT_SOURCE_DIR})
  add_test(NAME layout.check_self_test
    COMMAND ${ST_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/layout/check_layout.sh --self-test)
  set_tests_properties(layout.include_rules layout.check_self_test PROPERTIES LABELS layout)
endif()
