# Bad input to every command (tests/cli/bad_input.sh): one ctest entry per
# case of the script's table, so that a failure names the case. The shared
# fixtures (INI files, token files, llm.c shards, checkpoints) are made at
# run time by the setup entry.
set(HC_BAD_INPUT ${CMAKE_CURRENT_SOURCE_DIR}/cli/bad_input.sh)
set(HC_BAD_WORK ${CMAKE_CURRENT_BINARY_DIR}/bad_input)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${HC_BAD_INPUT})
execute_process(COMMAND bash ${HC_BAD_INPUT} --list OUTPUT_VARIABLE HC_BAD_CASES
                RESULT_VARIABLE HC_BAD_RC)
if(NOT HC_BAD_RC EQUAL 0)
  message(FATAL_ERROR "tests/cli/bad_input.sh --list failed")
endif()
string(REGEX REPLACE "\n$" "" HC_BAD_CASES "${HC_BAD_CASES}")
string(REPLACE "\n" ";" HC_BAD_CASES "${HC_BAD_CASES}")
set(HC_BAD_ENV ${HC_TEST_ENV} HC_MPIEXEC=${MPIEXEC_EXECUTABLE})

add_test(NAME cli.bad_input.setup
         COMMAND ${HC_BAD_INPUT} ${HC_BIN} ${HC_CORPUS} ${HC_BAD_WORK} setup)
set_tests_properties(cli.bad_input.setup PROPERTIES ENVIRONMENT "${HC_BAD_ENV}" TIMEOUT 600
                     FIXTURES_SETUP bad_input FIXTURES_REQUIRED corpus)
foreach(case ${HC_BAD_CASES})
  add_test(NAME cli.bad_input.${case}
           COMMAND ${HC_BAD_INPUT} ${HC_BIN} ${HC_CORPUS} ${HC_BAD_WORK} ${case})
  set_tests_properties(cli.bad_input.${case} PROPERTIES ENVIRONMENT "${HC_BAD_ENV}" TIMEOUT 180
                       FIXTURES_REQUIRED "corpus;bad_input")
endforeach()
