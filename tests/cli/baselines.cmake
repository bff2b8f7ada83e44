# The baselines on the command line (--method megatron, megatron-sp,
# megatron-dp, summa):
# gradcheck against the single-process reference on many meshes, negative
# controls that must fail, bad input, numeric vs dry-run ledgers, and
# `hecaton compare` (all four methods side by side) agreeing with each
# method's own dry run, up to paper scale.
# Included by tests/CMakeLists.txt after cli/tests.cmake and cli/hecaton.cmake,
# whose variables (HC_EXPECT, HC_RUN, HC_BIN, HC_CORPUS, HC_TEST_ENV, HC_HEC,
# HC_HEC_WORK) and functions (hc_cli_test, hc_train_test, hc_hec_script) it
# uses. All tests: ctest -R 'cli\.baselines_'.
set(HC_BL_WORK ${HC_HEC_WORK}/baselines)

# ---- gradcheck: each baseline against the reference --------------------------
# hc_bl_gradcheck(method suffix R C model [options]): -np R*C, must print
# PASSED for exactly this method, mesh and model and exit 0.
function(hc_bl_gradcheck method suffix R C model)
  math(EXPR np "${R} * ${C}")
  hc_cli_test(baselines_gradcheck_${method}_${suffix} ok
              "^gradcheck PASSED: method ${method}, mesh ${R}x${C}, model ${model}$"
              ${HC_RUN} ${np} ${HC_BIN} gradcheck --method ${method} --mesh ${R}x${C}
              --model ${model} ${ARGN})
endfunction()
# Megatron's ring: a Hamiltonian cycle on 2x2 and 2x3, a snake with a
# multi-hop closing edge on 1x4 and 3x3; KV heads replicated on 4 (tiny-64),
# 6 (tiny-96) and 9 (tiny-144) chiplets.
foreach(m megatron megatron-sp)
  hc_bl_gradcheck(${m} 1x1 1 1 tiny-64)
  hc_bl_gradcheck(${m} 2x2 2 2 tiny-64)
  hc_bl_gradcheck(${m} 1x4 1 4 tiny-64)
  hc_bl_gradcheck(${m} 3x3_tiny144 3 3 tiny-144 --batch 9)
  hc_bl_gradcheck(${m} 2x3_tiny96 2 3 tiny-96)
endforeach()
hc_bl_gradcheck(megatron-sp 3x2_tiny96_saved_bidir 3 2 tiny-96 --save-gathered --algo bidir)
# Megatron-DP: blocks of g chiplets, D = R*C/g data-parallel groups (g is
# the largest that runs): g = 2, D = 2 (1x2 blocks); g = 2, D = 3; g = 3,
# D = 3 over three steps (1x3 blocks, the KV head replicated on each); pure
# data parallelism (g = 1, D = 9); D = 1 (Megatron-SP).
hc_bl_gradcheck(megatron-dp 1x1 1 1 tiny-64)
hc_bl_gradcheck(megatron-dp 2x2_tiny96 2 2 tiny-96)
hc_bl_gradcheck(megatron-dp 2x3 2 3 tiny-64)
hc_bl_gradcheck(megatron-dp 3x3_tiny96_3steps 3 3 tiny-96 --steps 3)
hc_bl_gradcheck(megatron-dp 3x3_pure_dp 3 3 tiny-64 --batch 9)
hc_bl_gradcheck(megatron-dp 2x2_tp_only 2 2 tiny-64)
# Full activation recomputation (--recompute): each layer runs forward again
# before its backward, from its saved input only.
hc_bl_gradcheck(megatron 2x2_recompute 2 2 tiny-64 --recompute)
hc_bl_gradcheck(megatron-sp 2x3_tiny96_recompute_saved 2 3 tiny-96 --recompute --save-gathered)
hc_bl_gradcheck(megatron-dp 2x3_recompute 2 3 tiny-64 --recompute)
hc_bl_gradcheck(megatron-dp 3x3_tiny96_recompute_3steps 3 3 tiny-96 --recompute --steps 3)
# --recompute none (the attention probabilities kept for backward) and full
# under every method, and the explicit forms of the option.
hc_bl_gradcheck(hecaton 2x2_recompute_none 2 2 tiny-64 --recompute none)
hc_bl_gradcheck(hecaton 2x3_tiny96_recompute_full_saved 2 3 tiny-96 --recompute=full --save-gathered --steps 3)
hc_bl_gradcheck(hecaton 2x2_recompute_full_chunks 2 2 tiny-64 --recompute full --chunks 2)
hc_bl_gradcheck(megatron 2x2_recompute_none 2 2 tiny-64 --recompute none)
hc_bl_gradcheck(megatron-sp 2x3_tiny96_recompute_selective 2 3 tiny-96 --recompute=selective)
hc_bl_gradcheck(megatron-dp 2x3_recompute_none 2 3 tiny-64 --recompute none --steps 3)
hc_bl_gradcheck(summa 2x2_recompute_none 2 2 tiny-64 --recompute none)
hc_bl_gradcheck(summa 3x3_tiny96_recompute_full 3 3 tiny-96 --recompute full)
hc_cli_test(recompute_bad_mode fail "--recompute 'some': expected none, selective or full"
            ${HC_RUN} 1 ${HC_BIN} estimate --recompute some)
hc_cli_test(recompute_bad_mode_train fail "--recompute 'half': expected none, selective or full"
            ${HC_RUN} 4 ${HC_BIN} train --mesh 2x2 --dry-run --recompute=half)
# Per method and mode: the estimator against a dry run, FLOPs and saved
# activations against closed forms, none and selective the same bytes; the
# estimator's SRAM table equal to compare --dry-run's.
add_test(NAME cli.recompute_modes_estimate_dry
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/recompute.sh ${HC_BIN} ${HC_BL_WORK}/recompute)
set_tests_properties(cli.recompute_modes_estimate_dry PROPERTIES ENVIRONMENT "${HC_TEST_ENV}"
                     TIMEOUT 600 WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
hc_bl_gradcheck(summa 1x1 1 1 tiny-64)
hc_bl_gradcheck(summa 2x2 2 2 tiny-64)
hc_bl_gradcheck(summa 3x3_tiny96 3 3 tiny-96)
hc_bl_gradcheck(summa 3x3_tiny144 3 3 tiny-144)
hc_bl_gradcheck(summa 3x3_tiny96_bidir_3steps 3 3 tiny-96 --algo bidir --batch 6 --seq 32 --steps 3)

# Negative controls (tests/cli/hecaton_gradcheck_perturb.sh, which takes the
# whole command): --perturb adds 0.01 to one element of one shard of one
# gradient; the check must fail (exit 1) and name that tensor, and only it,
# in the step-1 gradient table, while loss and logits pass.
function(hc_bl_gradcheck_perturb method suffix R C model tensor)
  math(EXPR np "${R} * ${C}")
  add_test(NAME cli.baselines_gradcheck_perturb_${method}_${suffix}
           COMMAND ${HC_HEC}/hecaton_gradcheck_perturb.sh ${tensor} --
                   ${HC_RUN} ${np} ${HC_BIN} gradcheck --method ${method} --mesh ${R}x${C}
                   --model ${model} --perturb ${tensor} ${ARGN})
  set_tests_properties(cli.baselines_gradcheck_perturb_${method}_${suffix} PROPERTIES
                       ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 180
                       WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()
# a replicated KV head (tiny-64 on 4 chiplets), the replicated final norm
# (its gradient is a sum of token shards under sequence parallelism), a
# SUMMA weight block
hc_bl_gradcheck_perturb(megatron 2x2_wk 2 2 tiny-64 layers.1.attention.wk.weight)
hc_bl_gradcheck_perturb(megatron 3x3_output 3 3 tiny-144 output.weight --batch 9)
hc_bl_gradcheck_perturb(megatron-sp 2x2_norm 2 2 tiny-64 norm.weight)
hc_bl_gradcheck_perturb(megatron-sp 2x3_attention_norm 2 3 tiny-96 layers.0.attention_norm.weight)
hc_bl_gradcheck_perturb(megatron-dp 2x3_wq 2 3 tiny-64 layers.1.attention.wq.weight)
hc_bl_gradcheck_perturb(summa 3x3_w2 3 3 tiny-96 layers.0.feed_forward.w2.weight)
hc_bl_gradcheck_perturb(summa 2x2_embeddings 2 2 tiny-64 tok_embeddings.weight)

# ---- bad input: one message from rank 0, non-zero exit -----------------------
hc_cli_test(baselines_summa_not_square fail
            "SUMMA needs a square mesh, not 2x3"
            ${HC_RUN} 6 ${HC_BIN} gradcheck --method summa --mesh 2x3 --model tiny-96)
hc_cli_test(baselines_summa_dry_run_not_square fail
            "SUMMA needs a square mesh, not 3x2"
            ${HC_RUN} 6 ${HC_BIN} train --method summa --mesh 3x2 --model tiny-96 --batch 6
            --steps 1 --dry-run)
hc_cli_test(baselines_summa_heads_vs_q fail
            "SUMMA on 3x3 needs n_heads [(]4[)] divisible by 3: nearest valid q: 2 or 4"
            ${HC_RUN} 9 ${HC_BIN} gradcheck --method summa --mesh 3x3 --model tiny-64)
hc_cli_test(baselines_megatron_heads_vs_chiplets fail
            "Megatron tensor parallelism over all 3 chiplets needs n_heads [(]4[)] divisible by 3: nearest valid chiplet counts: 2 or 4"
            ${HC_RUN} 3 ${HC_BIN} gradcheck --method megatron --mesh 1x3 --model tiny-64)
hc_train_test(baselines_megatron_train_heads_vs_chiplets fail
              "Megatron tensor parallelism over all 4 chiplets needs n_heads [(]6[)] divisible by 4: nearest valid chiplet counts: 3 or 6"
              ${HC_RUN} 4 ${HC_BIN} train --method megatron --mesh 2x2 --model tiny-96
              --data ${HC_CORPUS} --steps 2 --val-every 0)
hc_cli_test(baselines_megatron_sp_heads_vs_chiplets fail
            "Megatron tensor parallelism over all 3 chiplets needs n_heads [(]4[)] divisible by 3"
            ${HC_RUN} 3 ${HC_BIN} gradcheck --method megatron-sp --mesh 1x3 --model tiny-64)
# 1 x 16 = 16 tokens over 6 chiplets (plain Megatron runs this batch)
hc_cli_test(baselines_megatron_sp_tokens_vs_chiplets fail
            "Megatron sequence parallelism needs the 16 tokens of a step [(]batch x seq[)] divisible by the 6 chiplets"
            ${HC_RUN} 6 ${HC_BIN} gradcheck --method megatron-sp --mesh 2x3 --model tiny-96
            --batch 1 --seq 16)
hc_cli_test(baselines_megatron_sp_dry_run_tokens_vs_chiplets fail
            "Megatron sequence parallelism needs the 16 tokens of a step [(]batch x seq[)] divisible by the 6 chiplets"
            ${HC_RUN} 6 ${HC_BIN} train --method megatron-sp --mesh 2x3 --model tiny-96
            --batch 1 --seq 16 --steps 1 --dry-run)
# 1 x 3: g = 1 (3 does not divide 4 heads), so 3 groups, which 4 sequences do not fill
hc_cli_test(baselines_megatron_dp_no_group_size fail
            "Megatron-DP on 1x3 finds no tensor-parallel group size g"
            ${HC_RUN} 3 ${HC_BIN} gradcheck --method megatron-dp --mesh 1x3 --model tiny-64
            --batch 4 --seq 16)
hc_cli_test(baselines_megatron_tokens_not_sharded ok
            "^  bytes sent per chiplet [(]busiest[)]: "
            ${HC_RUN} 6 ${HC_BIN} train --method megatron --mesh 2x3 --model tiny-96
            --batch 1 --seq 16 --steps 1 --dry-run)

# ---- numeric run and dry run leave identical ledgers ---------------------------
# baselines_ledger.sh: 2 steps numeric (on the corpus) vs --dry-run, h5diff of
# links, chiplets and collective bytes/calls/sim time, printed tables; the
# control (another method's dry run) must differ.
hc_hec_script(baselines_ledger_megatron_2x2 180 baselines_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_BL_WORK}/ledger-megatron-2x2 4 2x2 megatron megatron-sp)
hc_hec_script(baselines_ledger_megatron_3x3_tiny144 180 baselines_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_BL_WORK}/ledger-megatron-3x3 9 3x3 megatron summa
              --model tiny-144 --batch 9 --seq 32)
# (with validation after every step: validation is kept out of the ledger)
hc_hec_script(baselines_ledger_megatron_sp_2x2 180 baselines_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_BL_WORK}/ledger-megatron-sp-2x2 4 2x2 megatron-sp megatron
              --val-every 1)
hc_hec_script(baselines_ledger_megatron_dp_2x2_tiny96 180 baselines_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_BL_WORK}/ledger-megatron-dp-2x2 4 2x2 megatron-dp hecaton
              --model tiny-96)
hc_hec_script(baselines_ledger_megatron_dp_3x3_tiny96 180 baselines_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_BL_WORK}/ledger-megatron-dp-3x3 9 3x3 megatron-dp summa
              --model tiny-96 --batch 6 --seq 48)
hc_hec_script(baselines_ledger_summa_2x2 180 baselines_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_BL_WORK}/ledger-summa-2x2 4 2x2 summa hecaton)
hc_hec_script(baselines_ledger_summa_3x3_tiny96 180 baselines_ledger.sh
              ${HC_BIN} ${HC_CORPUS} ${HC_BL_WORK}/ledger-summa-3x3 9 3x3 summa hecaton
              --model tiny-96 --batch 6 --seq 32)

# ---- hecaton compare ------------------------------------------------------------
# baselines_compare.sh: the CSV row of every method that runs agrees with an
# individual `train --steps 1 --dry-run --report` of that method (bytes per
# chiplet and weights exactly, NoP time to 1e-8 relative,
# ratios to hecaton); a method that cannot run says why.
# 2x3 in data mode: SUMMA cannot run (not square), the other three run.
function(hc_bl_compare name timeout)
  add_test(NAME cli.${name} COMMAND ${HC_HEC}/baselines_compare.sh ${ARGN})
  set_tests_properties(cli.${name} PROPERTIES ENVIRONMENT "${HC_HEC_ENV}" TIMEOUT ${timeout}
                       WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()
hc_bl_compare(baselines_compare_2x3_summa_cannot_run 120
              ${HC_BIN} ${HC_BL_WORK}/compare-2x3 6 2x3 summa:square
              --model tiny-96 --batch 12 --seq 64)
hc_bl_compare(baselines_compare_2x2 120
              ${HC_BIN} ${HC_BL_WORK}/compare-2x2 4 2x2 -
              --model tiny-64 --batch 4 --seq 64)
# Paper scale, dry run: 64 chiplets, all four methods run (about 40 s: the
# comparison and four individual 64-rank dry runs).
hc_bl_compare(baselines_compare_8x8_llama2_70b 400
              ${HC_BIN} ${HC_BL_WORK}/compare-8x8 64 8x8 -
              --model llama2-70b --batch 8 --seq 4096 --dry-run)

# ---- megatron-dp at wafer scale -------------------------------------------------
# The estimator equals the dry run for megatron-dp (estimate_vs_dry.sh via
# cli/tests.cmake's hc_estimate_test): g = 2, D = 2; g = 2, D = 3;
# g = 2, D = 4; 2x2 blocks, D = 4.
hc_estimate_test(megatron-dp "2x2 tiny-96" "2x3 tiny-64" "4x2 tiny-96" "4x4 tiny-64")
# Where Megatron alone cannot run (more chiplets than heads), megatron-dp
# does: Llama2-70B on 16x16 and 32x32 (blocks of 64 chiplets, 8x8).
foreach(mesh 16x16 32x32)
  hc_cli_test(baselines_megatron_dp_estimate_${mesh} ok
              "^megatron-dp +[0-9.]+ GiB +[0-9.e+-]+ +[0-9.e+-]+"
              ${HC_RUN} 1 ${HC_BIN} estimate --model llama2-70b --mesh ${mesh} --batch 32
              --seq 4096 --method megatron-dp,megatron-sp)
endforeach()
