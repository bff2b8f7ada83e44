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
