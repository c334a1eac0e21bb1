# The operator's experience over the real binary (issue 13; label `integration`): databases
# that must exist, --json, strict validation, exit codes, the configuration file, JSON logs
# and SIGUSR1, backup under load and restore, /readyz, the systemd unit.
if(TARGET soundtrend)
  st_test(operator_cli_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/operator/cli_test.cc
    DEPS simdjson::simdjson
    LABELS integration)
  st_test(operator_serve_test
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/operator/serve_ops_test.cc
    DEPS st_common simdjson::simdjson Boost::system
    LABELS integration)
  foreach(t operator_cli_test operator_serve_test)
    target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${t} PRIVATE SOUNDTREND_BINARY="$<TARGET_FILE:soundtrend>"
                                            ST_DEPLOY_DIR="${PROJECT_SOURCE_DIR}/deploy")
    add_dependencies(${t} soundtrend)
  endforeach()
endif()
