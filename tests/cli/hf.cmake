# Hugging Face Llama checkpoints (import, export, train --init) against
# tests/tools/hf_llama.py (torch float64), and their bad input
# (tests/cli/hf_bad_input.sh, one ctest entry per case).
set(HC_HF_WORK ${CMAKE_CURRENT_BINARY_DIR}/hf)
foreach(mode grads roundtrip)
  add_test(NAME cli.hf_llama.${mode}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/hf_llama.sh ${HC_BIN} ${HC_HF_WORK} ${mode})
  set_tests_properties(cli.hf_llama.${mode} PROPERTIES
                       ENVIRONMENT "${HC_TEST_ENV};HC_MPIEXEC=${MPIEXEC_EXECUTABLE}" TIMEOUT 600)
endforeach()

set(HC_HF_BAD ${CMAKE_CURRENT_SOURCE_DIR}/cli/hf_bad_input.sh)
set(HC_HF_BAD_WORK ${CMAKE_CURRENT_BINARY_DIR}/hf_bad_input)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${HC_HF_BAD})
execute_process(COMMAND bash ${HC_HF_BAD} --list OUTPUT_VARIABLE HC_HF_BAD_CASES
                RESULT_VARIABLE HC_HF_BAD_RC)
if(NOT HC_HF_BAD_RC EQUAL 0)
  message(FATAL_ERROR "tests/cli/hf_bad_input.sh --list failed")
endif()
string(REGEX REPLACE "\n$" "" HC_HF_BAD_CASES "${HC_HF_BAD_CASES}")
string(REPLACE "\n" ";" HC_HF_BAD_CASES "${HC_HF_BAD_CASES}")
set(HC_HF_BAD_ENV ${HC_TEST_ENV} HC_MPIEXEC=${MPIEXEC_EXECUTABLE})
add_test(NAME cli.hf_bad_input.setup
         COMMAND ${HC_HF_BAD} ${HC_BIN} ${HC_CORPUS} ${HC_HF_BAD_WORK} setup)
set_tests_properties(cli.hf_bad_input.setup PROPERTIES ENVIRONMENT "${HC_HF_BAD_ENV}" TIMEOUT 600
                     FIXTURES_SETUP hf_bad_input)
foreach(case ${HC_HF_BAD_CASES})
  add_test(NAME cli.hf_bad_input.${case}
           COMMAND ${HC_HF_BAD} ${HC_BIN} ${HC_CORPUS} ${HC_HF_BAD_WORK} ${case})
  set_tests_properties(cli.hf_bad_input.${case} PROPERTIES ENVIRONMENT "${HC_HF_BAD_ENV}"
                       TIMEOUT 180 FIXTURES_REQUIRED hf_bad_input
                       WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endforeach()

# Each rank reads only its block of the safetensors file (strace counts).
add_test(NAME cli.hf_shard_reads
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/hf_shard_reads.sh ${HC_BIN}
                 ${CMAKE_CURRENT_BINARY_DIR}/hf_shard_reads)
set_tests_properties(cli.hf_shard_reads PROPERTIES
                     ENVIRONMENT "${HC_TEST_ENV};HC_MPIEXEC=${MPIEXEC_EXECUTABLE}" TIMEOUT 300)
