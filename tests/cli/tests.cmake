# Command-line behaviour: bad input gives one message from rank 0 and a
# non-zero exit of every rank, never a hang; good input works.
set(HC_EXPECT ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect.sh)
set(HC_RUN ${MPIEXEC_EXECUTABLE} ${HC_MPIEXEC_FLAGS} ${MPIEXEC_NUMPROC_FLAG})
set(HC_BIN $<TARGET_FILE:hecaton_cli>)

function(hc_cli_test name want pattern)
  add_test(NAME cli.${name} COMMAND ${HC_EXPECT} ${want} ${pattern} -- ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 180
                       WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()

hc_cli_test(np_mismatch fail "needs 4 ranks.*started 1"
            ${HC_RUN} 1 ${HC_BIN} bench-collectives --mesh 2x2)
hc_cli_test(np_mismatch_9 fail "needs 9 ranks.*started 4"
            ${HC_RUN} 4 ${HC_BIN} bench-collectives --mesh 3x3 --dry-run)
hc_cli_test(mesh_malformed fail "malformed --mesh"
            ${HC_RUN} 4 ${HC_BIN} bench-collectives --mesh 2by2)
hc_cli_test(mesh_zero fail "at least 1"
            ${HC_RUN} 2 ${HC_BIN} bench-collectives --mesh 0x2)
hc_cli_test(hw_missing fail "nonexistent.ini: cannot open"
            ${HC_RUN} 2 ${HC_BIN} bench-collectives --hw /nonexistent.ini)
hc_cli_test(hw_bad_value fail "bad_hw.ini:10: .link. bandwidth: 'lots' is not a number"
            ${HC_RUN} 2 ${HC_BIN} bench-collectives --hw ${CMAKE_CURRENT_SOURCE_DIR}/cli/bad_hw.ini)
hc_cli_test(unknown_option fail "unknown option '--frobnicate'"
            ${HC_RUN} 2 ${HC_BIN} bench-collectives --frobnicate)
hc_cli_test(unknown_command fail "unknown command 'fly'" ${HC_RUN} 2 ${HC_BIN} fly)
hc_cli_test(bench_dry_run ok "^all-reduce +mesh +6 +4096 "
            ${HC_RUN} 6 ${HC_BIN} bench-collectives --mesh 2x3 --dry-run --max-size 4K)
hc_cli_test(bench_data_bidir ok "^reduce-scatter +column +2 +2048 "
            ${HC_RUN} 4 ${HC_BIN} bench-collectives --mesh 2x2 --algo bidir --max-size 2K)
# The report lands under its real name only when complete.
add_test(NAME cli.bench_report
         COMMAND sh -c "rm -f \"$0\" && \"$@\" && h5ls -r \"$0\" | grep -q 'links/bytes ' && ! ls \"$0\".tmp.* 2>/dev/null"
                 ${CMAKE_CURRENT_BINARY_DIR}/bench-report.h5
                 ${HC_RUN} 4 ${HC_BIN} bench-collectives --mesh 2x2 --max-size 2K
                 --report ${CMAKE_CURRENT_BINARY_DIR}/bench-report.h5)
set_tests_properties(cli.bench_report PROPERTIES ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 180)
hc_cli_test(report_unwritable fail "cannot write the HDF5 report"
            ${HC_RUN} 2 ${HC_BIN} bench-collectives --max-size 1K --report /nonexistent/dir/r.h5)
