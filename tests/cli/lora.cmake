# LoRA finetuning (--lora): gradcheck of the adapters under every method
# against the single-process reference on 1, 4, 6 and 9 ranks, a negative
# control, bad options, and training that lowers the loss with the base
# frozen. The single-process LoRA itself is checked against its definition
# in unit.test_lora. Uses hc_cli_test and hc_bl_gradcheck (baselines.cmake).
# All tests: ctest -R 'cli\.lora_'.
function(hc_lora_gradcheck method suffix R C model)
  math(EXPR np "${R} * ${C}")
  hc_cli_test(lora_gradcheck_${method}_${suffix} ok
              "^gradcheck PASSED: method ${method}, mesh ${R}x${C}, model ${model}$"
              ${HC_RUN} ${np} ${HC_BIN} gradcheck --method ${method} --mesh ${R}x${C}
              --model ${model} --lora 4 --lora-alpha 8 ${ARGN})
endfunction()
hc_lora_gradcheck(single 1x1 1 1 tiny-64 --lora-targets all)
foreach(m hecaton megatron megatron-sp summa megatron-dp)
  hc_lora_gradcheck(${m} 2x2 2 2 tiny-64 --lora-targets all)
endforeach()
hc_lora_gradcheck(hecaton 2x3_tiny96 2 3 tiny-96 --lora-targets wq,wk,wv,wo)
hc_lora_gradcheck(megatron-sp 2x3_tiny96 2 3 tiny-96 --lora-targets w1,w2,w3)
hc_lora_gradcheck(megatron-dp 2x3 2 3 tiny-64 --lora-targets all)
hc_lora_gradcheck(hecaton 3x3_tiny144 3 3 tiny-144 --batch 9 --lora-targets all)
hc_lora_gradcheck(summa 3x3_tiny144 3 3 tiny-144 --batch 9 --lora-targets wq,wv,w2)
# KV heads replicated: over rows (hecaton 4x1, 2x3 above), columns (summa),
# tensor-parallel members and data-parallel copies (megatron-dp 3x3).
hc_lora_gradcheck(hecaton 4x1 4 1 tiny-64 --lora-targets wk,wv)
hc_lora_gradcheck(summa 2x2_tiny96 2 2 tiny-96 --lora-targets all)
hc_lora_gradcheck(megatron-dp 3x3_tiny96 3 3 tiny-96 --lora-targets all)
hc_lora_gradcheck(hecaton 2x2_recompute 2 2 tiny-64 --recompute full --lora-targets all)
# Negative control: a wrong adapter gradient on one chiplet must be caught.
hc_cli_test(lora_gradcheck_perturbed fail "gradcheck FAILED"
            ${HC_RUN} 4 ${HC_BIN} gradcheck --method hecaton --mesh 2x2 --model tiny-64
            --lora 4 --perturb layers.1.attention.wv.lora_a)
# Bad options: one message, exit 1.
hc_cli_test(lora_bad_targets fail "--lora-targets 'wq,wz': expected"
            ${HC_RUN} 1 ${HC_BIN} gradcheck --lora 4 --lora-targets wq,wz)
hc_cli_test(lora_alpha_alone fail "need --lora RANK"
            ${HC_RUN} 1 ${HC_BIN} train --lora-alpha 8 --steps 1)
hc_cli_test(lora_rank_zero fail "--lora '0'"
            ${HC_RUN} 1 ${HC_BIN} train --lora 0 --steps 1)
hc_cli_test(lora_rank_too_big fail "must not exceed the smallest dimension"
            ${HC_RUN} 1 ${HC_BIN} train --lora 4096 --steps 1)
# The cost of LoRA against full training (estimator, 8x8 and 16x16, Llama2-70B
# and Llama3.1-405B; a dry run's memory report on 2x2).
add_test(NAME cli.lora_cost COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/lora_cost.sh ${HC_BIN} ${HC_RUN})
set_tests_properties(cli.lora_cost PROPERTIES ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 300
                     WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
# Pretrain, export, LoRA-finetune on another corpus under Hecaton 2x2, merge.
add_test(NAME cli.lora_finetune
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/lora_finetune.sh ${HC_BIN} ${HC_CORPUS}
                 ${CMAKE_CURRENT_BINARY_DIR}/lora_finetune ${HC_RUN})
set_tests_properties(cli.lora_finetune PROPERTIES ENVIRONMENT "${HC_TEST_ENV}" TIMEOUT 300
                     FIXTURES_REQUIRED corpus WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
# compare: the methods side by side for LoRA finetuning as for training.
hc_cli_test(lora_compare ok "^summa +[0-9.]+ KiB"
            ${HC_RUN} 4 ${HC_BIN} compare --mesh 2x2 --model tiny-64 --lora 4 --lora-targets all)
hc_cli_test(lora_compare_header ok "^# hecaton compare: .*LoRA rank 4 .alpha 8.$"
            ${HC_RUN} 4 ${HC_BIN} compare --mesh 2x2 --model tiny-64 --lora 4 --lora-alpha 8
            --methods hecaton,summa)
# LoRA at paper scale: the estimator equals a 64-rank dry run on 8x8
# (estimate_vs_dry.sh): Llama2-70B under three methods, Llama3.1-405B too
# under Hecaton.
foreach(run "hecaton;8x8 llama2-70b;8x8 llama3.1-405b" "megatron-sp;8x8 llama2-70b"
            "summa;8x8 llama2-70b")
  list(GET run 0 method)
  list(SUBLIST run 1 -1 cfgs)
  add_test(NAME cli.lora_estimate_vs_dry_${method}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/estimate_vs_dry.sh ${HC_BIN}
                   ${CMAKE_CURRENT_BINARY_DIR}/lora_evd_${method} ${method} ${cfgs})
  set_tests_properties(cli.lora_estimate_vs_dry_${method} PROPERTIES
                       ENVIRONMENT "${HC_TEST_ENV};HC_EXTRA=--lora 16 --lora-targets all" TIMEOUT 300)
endforeach()
