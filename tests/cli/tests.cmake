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

# ---- hecaton prepare / train (single) ----------------------------------------
set(HC_CORPUS ${CMAKE_CURRENT_BINARY_DIR}/licenses.h5)
set(HC_FIX ${CMAKE_CURRENT_SOURCE_DIR}/cli)
add_test(NAME cli.prepare_corpus
         COMMAND sh -c "${MPIEXEC_EXECUTABLE} --oversubscribe -np 1 $0 prepare /usr/share/common-licenses/* -o $1"
                 ${HC_BIN} ${HC_CORPUS})
set_tests_properties(cli.prepare_corpus PROPERTIES ENVIRONMENT "${HC_TEST_ENV}"
                     FIXTURES_SETUP corpus TIMEOUT 120)

function(hc_train_test name want pattern)
  hc_cli_test(${name} ${want} ${pattern} ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES FIXTURES_REQUIRED corpus)
endfunction()
set(HC_TRAIN ${HC_RUN} 1 ${HC_BIN} train --data ${HC_CORPUS} --steps 2 --val-every 0)

hc_train_test(train_missing_data fail "nonexistent.h5: cannot open token file"
              ${HC_RUN} 1 ${HC_BIN} train --data /nonexistent.h5)
hc_train_test(train_corrupt_data fail "corrupt.h5: not a readable HDF5 file"
              ${HC_RUN} 1 ${HC_BIN} train --data ${HC_FIX}/corrupt.h5)
hc_train_test(train_token_beyond_vocab fail "token id [0-9]+ does not fit the model's vocab_size 100"
              ${HC_TRAIN} --model ${HC_FIX}/vocab100.ini)
hc_train_test(train_seq_too_long fail "--seq 100 is longer than the model's max_seq_len 64"
              ${HC_TRAIN} --seq 100)
hc_train_test(train_config_missing_key fail "missing_key.ini: .model. ffn_dim: required key missing"
              ${HC_TRAIN} --model ${HC_FIX}/missing_key.ini)
hc_train_test(train_single_needs_one_rank fail "runs on one rank, but mpirun started 2"
              ${HC_RUN} 2 ${HC_BIN} train --method single --data ${HC_CORPUS})
hc_train_test(train_bad_number fail "--lr 'fast': expected a number"
              ${HC_TRAIN} --lr fast)
# A run stopped by bad input leaves an existing checkpoint untouched.
set(HC_KEEP ${CMAKE_CURRENT_BINARY_DIR}/keep.h5)
add_test(NAME cli.train_bad_input_overwrites_nothing
         COMMAND sh -c "src=$0 keep=$1; shift; cp $src $keep && ! \"$@\" --save $keep >/dev/null 2>&1 && cmp $src $keep"
                 ${HC_FIX}/corrupt.h5 ${HC_KEEP} ${HC_TRAIN} --seq 100)
set_tests_properties(cli.train_bad_input_overwrites_nothing PROPERTIES
                     ENVIRONMENT "${HC_TEST_ENV}" FIXTURES_REQUIRED corpus TIMEOUT 120)
# A checkpoint of another model is refused, naming the difference.
set(HC_CK64 ${CMAKE_CURRENT_BINARY_DIR}/tiny64.h5)
add_test(NAME cli.train_resume_other_model
         COMMAND sh -c "\"$@\" --save $0 >/dev/null && ${HC_EXPECT} fail \"different model: dim 64 in the file, 128\" -- \"$@\" --model tiny-128 --seq 32 --resume $0"
                 ${HC_CK64} ${HC_TRAIN})
set_tests_properties(cli.train_resume_other_model PROPERTIES
                     ENVIRONMENT "${HC_TEST_ENV}" FIXTURES_REQUIRED corpus TIMEOUT 120)
add_test(NAME cli.train_end_to_end
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/train.sh ${HC_BIN} ${HC_CORPUS}
                 ${CMAKE_CURRENT_BINARY_DIR}/train-e2e)
set_tests_properties(cli.train_end_to_end PROPERTIES ENVIRONMENT "${HC_TEST_ENV}"
                     FIXTURES_REQUIRED corpus TIMEOUT 300)
add_test(NAME cli.dump_grads_across_methods
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/dump_across_methods.sh ${HC_BIN} ${HC_CORPUS}
                 ${CMAKE_CURRENT_BINARY_DIR}/dumps)
set_tests_properties(cli.dump_grads_across_methods PROPERTIES ENVIRONMENT "${HC_TEST_ENV}"
                     FIXTURES_REQUIRED corpus TIMEOUT 300)
hc_cli_test(gradcheck_perturb_unknown fail "--perturb 'bogus': no such tensor"
            ${HC_RUN} 4 ${HC_BIN} gradcheck --mesh 2x2 --perturb bogus)
# Resuming with another batch shape is refused (the data position counts batches).
set(HC_CKB ${CMAKE_CURRENT_BINARY_DIR}/batch8.h5)
add_test(NAME cli.train_resume_other_batch
         COMMAND sh -c "\"$@\" --save $0 >/dev/null && ${HC_EXPECT} fail \"written with batch 8 x seq 64, this run uses 4 x 64\" -- \"$@\" --batch 4 --resume $0"
                 ${HC_CKB} ${HC_TRAIN})
set_tests_properties(cli.train_resume_other_batch PROPERTIES
                     ENVIRONMENT "${HC_TEST_ENV}" FIXTURES_REQUIRED corpus TIMEOUT 120)

# The analytic estimator equals the dry-run: bytes exactly, times within 1%,
# on at least three models and three meshes per method.
function(hc_estimate_test method)
  add_test(NAME cli.estimate_vs_dry_${method}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/estimate_vs_dry.sh ${HC_BIN}
                   ${CMAKE_CURRENT_BINARY_DIR}/estimate-${method} ${method} ${ARGN})
  set_tests_properties(cli.estimate_vs_dry_${method} PROPERTIES ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 300)
endfunction()
hc_estimate_test(hecaton "2x2 tiny-64" "1x4 tiny-128" "4x1 llama2-7b" "2x3 tiny-96" "3x3 tiny-144")
hc_estimate_test(megatron "2x2 tiny-64" "1x4 tiny-128" "4x1 llama2-7b" "2x3 tiny-96" "3x3 tiny-144")
hc_estimate_test(megatron-sp "2x2 tiny-64" "1x4 tiny-128" "4x1 llama2-7b" "2x3 tiny-96")
hc_estimate_test(summa "1x1 tiny-64" "2x2 tiny-128" "4x4 llama2-7b" "3x3 tiny-96")
# The SRAM working-set model: SRAM size, I/O placement and DRAM bandwidth
# change the estimator's DRAM bytes and step time (Llama2-70B on 8x8); a tiny
# model that fits moves nothing; a dry run's summary says, per operation,
# what fits, what is tiled and what streams.
add_test(NAME cli.estimate_sram
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/sram.sh ${HC_BIN} ${CMAKE_CURRENT_BINARY_DIR}/sram
                 ${CMAKE_SOURCE_DIR}/models/hw/standard.ini)
set_tests_properties(cli.estimate_sram PROPERTIES ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 300
                     WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
hc_cli_test(dry_run_sram_table ok "w1,w3 +backward +[0-9.]+ MiB +tiled"
            ${HC_RUN} 4 ${HC_BIN} train --dry-run --mesh 2x2 --model llama2-7b --batch 4 --seq 256 --steps 1)
# ... and the HDF5 report keeps the table (`hecaton report` prints it back).
add_test(NAME cli.report_sram_table
         COMMAND sh -c "\"$@\" >/dev/null && ${HC_EXPECT} ok \"adamw +optimizer .* streams\" -- ${HC_BIN} report $0"
                 ${CMAKE_CURRENT_BINARY_DIR}/sram_table.h5 ${HC_RUN} 4 ${HC_BIN} train --dry-run --mesh 2x2
                 --model llama2-7b --batch 4 --seq 256 --steps 1 --report ${CMAKE_CURRENT_BINARY_DIR}/sram_table.h5)
set_tests_properties(cli.report_sram_table PROPERTIES ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 120
                     WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME cli.hecaton_chunks
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/chunks.sh ${HC_BIN} ${HC_CORPUS}
                 ${CMAKE_CURRENT_BINARY_DIR}/chunks)
set_tests_properties(cli.hecaton_chunks PROPERTIES ENVIRONMENT "${HC_TEST_ENV}"
                     FIXTURES_REQUIRED corpus TIMEOUT 300)
hc_cli_test(gradcheck_chunks_3x3 ok "gradcheck PASSED: method hecaton, mesh 3x3"
            ${HC_RUN} 9 ${HC_BIN} gradcheck --mesh 3x3 --model tiny-96 --chunks 4)
# Resuming a checkpoint already at --steps is refused; bad outputs fail before the run.
add_test(NAME cli.train_resume_nothing_to_do
         COMMAND sh -c "\"$@\" --save $0 >/dev/null && ${HC_EXPECT} fail \"checkpoint is at step 2, --steps 2: nothing to do\" -- \"$@\" --resume $0"
                 ${CMAKE_CURRENT_BINARY_DIR}/done.h5 ${HC_TRAIN})
set_tests_properties(cli.train_resume_nothing_to_do PROPERTIES
                     ENVIRONMENT "${HC_TEST_ENV}" FIXTURES_REQUIRED corpus TIMEOUT 120)
hc_train_test(train_unwritable_output fail "/nonexistent/dir/ck.h5: cannot be written"
              ${HC_TRAIN} --save /nonexistent/dir/ck.h5)
hc_cli_test(estimate_unknown_method fail "--method 'foo': expected"
            ${HC_RUN} 1 ${HC_BIN} estimate --method foo)
hc_cli_test(train_chunks_not_a_number fail "--chunks 'abc'"
            ${HC_RUN} 1 ${HC_BIN} train --chunks abc --dry-run)

# The single-process reference reports its own FLOPs, time and energy on one
# die, and says no link exists instead of printing zeros as measurements.
hc_train_test(train_single_cost_flops ok "compute [1-9][0-9.]*e[+-][0-9]+. by phase: forward [1-9].* [1-9][0-9.]*e[+][0-9]+ FLOP, 0 B on links"
              ${HC_TRAIN} --method single)
hc_train_test(train_single_cost_no_link ok "^  one die [(]1x1 mesh[)]: no die-to-die link exists"
              ${HC_TRAIN} --method single)

# Bad input to every command, one entry per case.
include(${CMAKE_CURRENT_SOURCE_DIR}/cli/bad_input.cmake)

# train --check: step 1 of a mesh run against the single-process reference.
hc_train_test(train_check_hecaton_2x2 ok "gradient check of step 1 against the single-process reference: loss 5[.][0-9]+ vs 5[.][0-9]+. 21 gradient tensors, worst .* [0-9.]+e-0[5-9] of the tensor's largest value [(]bound 1e-04[)]: PASSED"
              ${HC_RUN} 4 ${HC_BIN} train --data ${HC_CORPUS} --steps 2 --val-every 0 --method hecaton --mesh 2x2 --check)
hc_train_test(train_check_summa_2x2 ok "gradient check of step 1 .* 21 gradient tensors, worst .*: PASSED"
              ${HC_RUN} 4 ${HC_BIN} train --data ${HC_CORPUS} --steps 2 --val-every 0 --method summa --mesh 2x2 --check)
# A model that fits on the die gets one line, not a table of "fits" rows.
hc_train_test(train_sram_all_fit_one_line ok "^SRAM working sets: all 19 operations fit on the die [(]largest [0-9.]+ KiB[)], no DRAM traffic$"
              ${HC_RUN} 4 ${HC_BIN} train --data ${HC_CORPUS} --steps 2 --val-every 0 --method hecaton --mesh 2x2)
