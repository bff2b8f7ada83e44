# The Hecaton 2D method on the command line: gradcheck against the
# single-process reference on many meshes (and negative controls that must
# fail), bad input, numeric vs dry-run ledgers, training equivalence with
# the reference, checkpoints across meshes, paper-scale dry runs.
# Included by tests/CMakeLists.txt after cli/tests.cmake, whose variables
# (HC_EXPECT, HC_RUN, HC_BIN, HC_CORPUS, HC_TEST_ENV) and functions
# (hc_cli_test, hc_train_test) it uses. All tests: ctest -R 'cli\.hecaton_'.
set(HC_HEC ${CMAKE_CURRENT_SOURCE_DIR}/cli)
set(HC_HEC_WORK ${CMAKE_CURRENT_BINARY_DIR}/hecaton)
# Scripts that start mpirun themselves take the launcher from HC_MPIEXEC.
set(HC_HEC_ENV ${HC_TEST_ENV} HC_MPIEXEC=${MPIEXEC_EXECUTABLE})

# hc_hec_script(name timeout script args...): a tests/cli/hecaton_*.sh
# end-to-end script on the corpus.
function(hc_hec_script name timeout script)
  add_test(NAME cli.${name} COMMAND ${HC_HEC}/${script} ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES ENVIRONMENT "${HC_HEC_ENV}" TIMEOUT ${timeout}
                       FIXTURES_REQUIRED corpus WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()

# ---- gradcheck: the 2D method against the reference -------------------------
# hc_gradcheck(suffix R C model [options]): -np R*C, must print PASSED for
# exactly this mesh and model and exit 0 (a failing tensor exits 1).
function(hc_gradcheck suffix R C model)
  math(EXPR np "${R} * ${C}")
  hc_cli_test(hecaton_gradcheck_${suffix} ok
              "^gradcheck PASSED: method hecaton, mesh ${R}x${C}, model ${model}$"
              ${HC_RUN} ${np} ${HC_BIN} gradcheck --method hecaton --mesh ${R}x${C}
              --model ${model} ${ARGN})
endfunction()
hc_gradcheck(1x1 1 1 tiny-64)
hc_gradcheck(2x2 2 2 tiny-64)
hc_gradcheck(2x3_tiny96 2 3 tiny-96)
hc_gradcheck(3x2_tiny96 3 2 tiny-96)
hc_gradcheck(3x3_tiny96 3 3 tiny-96)
hc_gradcheck(4x4 4 4 tiny-64)
hc_gradcheck(1x4 1 4 tiny-64)
hc_gradcheck(4x1 4 1 tiny-64)
hc_gradcheck(2x2_tiny128_saved_bidir 2 2 tiny-128 --save-gathered --algo bidir)
hc_gradcheck(3x3_tiny96_saved_bidir_3steps 3 3 tiny-96 --save-gathered --algo bidir
             --batch 6 --seq 32 --steps 3)

# Negative controls: --perturb adds 0.01 to one element of one shard of a
# gradient; the check must fail (exit 1) and name that tensor, and only it,
# in the step-1 gradient table.
function(hc_gradcheck_perturb suffix R C model tensor)
  math(EXPR np "${R} * ${C}")
  add_test(NAME cli.hecaton_gradcheck_perturb_${suffix}
           COMMAND ${HC_HEC}/hecaton_gradcheck_perturb.sh ${tensor} --
                   ${HC_RUN} ${np} ${HC_BIN} gradcheck --method hecaton --mesh ${R}x${C}
                   --model ${model} --perturb ${tensor})
  set_tests_properties(cli.hecaton_gradcheck_perturb_${suffix} PROPERTIES
                       ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 180
                       WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()
hc_gradcheck_perturb(2x2_wk 2 2 tiny-64 layers.1.attention.wk.weight)
hc_gradcheck_perturb(3x3_norm 3 3 tiny-96 norm.weight)
hc_gradcheck_perturb(3x2_output 3 2 tiny-96 output.weight)

# ---- bad input: one message from rank 0, non-zero exit -----------------------
hc_cli_test(hecaton_gradcheck_heads_vs_rows fail
            "the Hecaton method needs n_heads [(]4[)] divisible by the mesh rows [(]R = 3[)]: nearest valid R: 2 or 4"
            ${HC_RUN} 6 ${HC_BIN} gradcheck --method hecaton --mesh 3x2 --model tiny-64)
hc_cli_test(hecaton_gradcheck_dim_vs_columns fail
            "the Hecaton method needs dim [(]64[)] divisible by the mesh columns [(]C = 3[)]: nearest valid C: 2 or 4"
            ${HC_RUN} 6 ${HC_BIN} gradcheck --method hecaton --mesh 2x3 --model tiny-64)
hc_train_test(hecaton_train_heads_vs_rows fail
              "the Hecaton method needs n_heads [(]4[)] divisible by the mesh rows [(]R = 3[)]: nearest valid R: 2 or 4"
              ${HC_RUN} 6 ${HC_BIN} train --method hecaton --mesh 3x2 --model tiny-64 --batch 6
              --data ${HC_CORPUS} --steps 2 --val-every 0)
hc_cli_test(hecaton_dry_run_batch_vs_columns fail
            "the Hecaton method needs batch [(]4[)] divisible by the mesh columns [(]C = 3[)]: nearest valid C: 2 or 4"
            ${HC_RUN} 6 ${HC_BIN} train --method hecaton --mesh 2x3 --model tiny-96 --batch 4
            --steps 1 --dry-run)
hc_train_test(hecaton_train_np_mismatch fail
              "--mesh 2x3 needs 6 ranks [(]one per chiplet[)] but mpirun started 4"
              ${HC_RUN} 4 ${HC_BIN} train --method hecaton --mesh 2x3 --model tiny-96 --batch 6
              --data ${HC_CORPUS} --steps 2 --val-every 0)
hc_cli_test(hecaton_gradcheck_np_mismatch fail
            "--mesh 3x3 needs 9 ranks [(]one per chiplet[)] but mpirun started 4"
            ${HC_RUN} 4 ${HC_BIN} gradcheck --method hecaton --mesh 3x3 --model tiny-96)
# A tiny-96 checkpoint written on a 2x2 mesh, resumed as tiny-64 on 2x2.
add_test(NAME cli.hecaton_resume_other_model
         COMMAND sh -c "rm -f \"$0\" && \"$@\" --model tiny-96 --save \"$0\" >/dev/null && ${HC_EXPECT} fail \"checkpoint is of a different model: dim 96 in the file, 64 in the model config 'tiny-64'\" -- \"$@\" --model tiny-64 --resume \"$0\""
                 ${CMAKE_CURRENT_BINARY_DIR}/hecaton-tiny96-2x2.h5
                 ${HC_RUN} 4 ${HC_BIN} train --method hecaton --mesh 2x2 --data ${HC_CORPUS}
                 --seq 32 --steps 2 --val-every 0)
set_tests_properties(cli.hecaton_resume_other_model PROPERTIES
                     ENVIRONMENT "${HC_TEST_ENV}" FIXTURES_REQUIRED corpus TIMEOUT 180)

# ---- numeric run and dry run leave identical ledgers ---------------------------
# (on 2x2 with validation after every step: validation is kept out of the ledger)
hc_hec_script(hecaton_ledger_numeric_vs_dry_2x2 180 hecaton_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/ledger-2x2 4 2x2 --val-every 1)
hc_hec_script(hecaton_ledger_numeric_vs_dry_2x3 180 hecaton_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/ledger-2x3 6 2x3
              --model tiny-96 --batch 6 --seq 32)

# ---- training equivalence with the single-process reference --------------------
# 100 steps, every step's loss within the relative bound. Measured on the
# development machine (OpenBLAS, one thread), max relative loss difference:
# 2x2 tiny-64 4.2e-7 (bound 2e-6); 3x3 tiny-96 2.2e-6 (bound 1e-5);
# 2x3 tiny-96 bidir + save-gathered 4.1e-6 (bound 2e-5). Gradient norms
# (max 4.9e-5, 4.2e-5, 9.6e-5) are held to 250 x the bound.
hc_hec_script(hecaton_equiv_single_2x2 240 hecaton_equiv.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/equiv-2x2 4 2x2 100 2e-6)
hc_hec_script(hecaton_equiv_single_3x3_tiny96 240 hecaton_equiv.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/equiv-3x3 9 3x3 100 1e-5
              --model tiny-96 --batch 6 --seq 32)
hc_hec_script(hecaton_equiv_single_2x3_tiny96_saved_bidir 240 hecaton_equiv.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/equiv-2x3 6 2x3 100 2e-5
              --model tiny-96 --batch 6 --seq 32 --save-gathered --algo bidir)

# ---- checkpoints across meshes (2x3 -> 3x3, 2x2 -> single) ---------------------
# Measured max relative loss difference of the resumed steps: 6.6e-8 and 0.
hc_hec_script(hecaton_checkpoint_across_meshes 240 hecaton_checkpoint.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/checkpoint 5e-7)

# ---- paper scale, dry run: 64 chiplets, one step ----------------------------------
# Completes in a few seconds (mostly starting 64 ranks); parameters per
# chiplet = N x 4 B / 64 in both columns.
function(hc_paper_dry_run suffix model nparams param_mem)
  add_test(NAME cli.hecaton_dry_run_8x8_${suffix}
           COMMAND ${HC_HEC}/hecaton_expect_all.sh
                   "^# hecaton train: method hecaton on a 8x8 mesh [(]dry-run"
                   "model ${model} [(]${nparams} parameters"
                   "^  bytes sent per chiplet [(]busiest[)]: [0-9.]+ GiB; simulated NoP time [(]slowest chiplet[)]: [0-9.e+-]+ s$"
                   "^  parameters +${param_mem} +${param_mem}$"
                   "^emulator: .* wall, peak memory per rank"
                   -- ${HC_RUN} 64 ${HC_BIN} train --method hecaton --mesh 8x8 --model ${model}
                   --batch 8 --seq 4096 --steps 1 --dry-run)
  set_tests_properties(cli.hecaton_dry_run_8x8_${suffix} PROPERTIES
                       ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 300
                       WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()
hc_paper_dry_run(llama2_70b llama2-70b 68976648192 "4[.]02 GiB")
hc_paper_dry_run(llama3_405b llama3.1-405b 405853388800 "23[.]6 GiB")

# ---- resume and crash safety ----------------------------------------------------
# 20 steps == 10 + resume 10 byte for byte (1x1, 2x2); 2x2 -> 1x4 within 1e-5
# (measured 1.2e-7).
hc_hec_script(resume_split_equals_whole 240 resume.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/resume 1e-5)
# A rank SIGKILLed during checkpoint writes, six times at different moments.
hc_hec_script(crash_during_checkpoint 300 crash_safety.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/crash)
# One flipped bit in a token file or a checkpoint is reported, not trained on.
hc_hec_script(bitflip_reported 180 bitflip.sh ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/bitflip)
# hecaton report: a saved run read back (text, CSV, pictures, bad input).
hc_hec_script(report_reads_run_back 180 report.sh ${HC_BIN} ${HC_CORPUS} ${HC_HEC_WORK}/report)
# A dry-run at paper scale shows its progress: a line per layer of forward
# and backward on rank 0 (Llama2-7B: 32 layers), with the elapsed time.
hc_cli_test(dry_run_progress_per_layer ok "^  dry-run: backward layer 32/32 done, [0-9.]+ s elapsed$"
            ${HC_RUN} 4 ${HC_BIN} train --method hecaton --mesh 2x2 --model llama2-7b --batch 4
            --seq 2048 --steps 1 --dry-run)
# compare shows its progress: a line per method on rank 0 (stderr), with the
# elapsed time.
hc_cli_test(compare_progress_per_method ok "^compare: summa done [(]5/5[)], [0-9.]+ s elapsed$"
            ${HC_RUN} 4 ${HC_BIN} compare --mesh 2x2 --model llama2-7b --batch 4 --seq 512 --dry-run)
