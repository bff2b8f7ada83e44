# `hecaton sweep` (src/cli/sweep.c): the cross product in the CSV, the link
# bandwidth moving every method's step time, a row for a method that cannot
# run, the charts (tests/cli/sweep.sh); bad input gives one message; and the
# wafer-scale HBM hardware file loads and runs Llama2-70B on 16x16. Included
# by tests/CMakeLists.txt after cli/tests.cmake (hc_cli_test, HC_RUN, HC_BIN).
add_test(NAME cli.sweep_cross_product_and_bandwidth
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/sweep.sh ${HC_BIN} ${CMAKE_CURRENT_BINARY_DIR}/sweep)
set_tests_properties(cli.sweep_cross_product_and_bandwidth PROPERTIES ENVIRONMENT "${HC_TEST_ENV}"
                     TIMEOUT 300 WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})

set(HC_SWEEP ${HC_RUN} 1 ${HC_BIN} sweep --model tiny-64 --mesh 2x2 --csv ${CMAKE_CURRENT_BINARY_DIR}/sweep-bad.csv)
hc_cli_test(sweep_unknown_key fail "unknown key 'colour' \\(keys: die_peak_flops, "
            ${HC_SWEEP} --param colour=1,2)
hc_cli_test(sweep_bad_value fail "--param link_bandwidth 'fast': expected a positive number"
            ${HC_SWEEP} --param link_bandwidth=1e9,fast)
hc_cli_test(sweep_no_values fail "--param 'link_bandwidth=': no values"
            ${HC_SWEEP} --param link_bandwidth=)
hc_cli_test(sweep_empty_value fail "--param 'batch=4,,8': an empty value"
            ${HC_SWEEP} --param batch=4,,8)
hc_cli_test(sweep_no_equals fail "--param 'batch': expected KEY=V1,V2"
            ${HC_SWEEP} --param batch)
hc_cli_test(sweep_no_param fail "give at least one --param" ${HC_SWEEP})
hc_cli_test(sweep_param_needs_value fail "option --param needs a value" ${HC_SWEEP} --param)
hc_cli_test(sweep_key_twice fail "key 'batch' given twice" ${HC_SWEEP} --param batch=4 --param batch=8)
hc_cli_test(sweep_bad_edges fail "--param io_edges 'up': expected edges joined by"
            ${HC_SWEEP} --param io_edges=west+east,up)
hc_cli_test(sweep_fraction_above_one fail "--param link_efficiency '1.5': expected a fraction"
            ${HC_SWEEP} --param link_efficiency=0.9,1.5)
hc_cli_test(sweep_bad_mesh fail "--param mesh '2by2': expected RxC"
            ${HC_SWEEP} --param mesh=2x2,2by2)
hc_cli_test(sweep_bad_recompute fail "--param recompute '2': expected none, selective or full"
            ${HC_SWEEP} --param recompute=none,2)
hc_cli_test(sweep_unknown_method fail "--methods 'foo': expected"
            ${HC_SWEEP} --param batch=4 --methods hecaton,foo)
hc_cli_test(sweep_svg_name fail "--svg 'chart.png': expected a name ending in .svg"
            ${HC_SWEEP} --param batch=4 --svg chart.png)
hc_cli_test(sweep_csv_unwritable fail "cannot be written"
            ${HC_RUN} 1 ${HC_BIN} sweep --model tiny-64 --mesh 2x2 --param batch=4 --csv /nonexistent/dir/s.csv)

# The HBM wafer-scale hardware file (models/hw/wafer-hbm.ini) loads, and the
# estimator runs Llama2-70B on 16x16 with it (Hecaton).
hc_cli_test(hw_wafer_hbm_llama2_70b_16x16 ok "^hecaton +[0-9.]+ [GT]iB "
            ${HC_RUN} 1 ${HC_BIN} estimate --model llama2-70b --mesh 16x16 --batch 32 --seq 4096
            --hw models/hw/wafer-hbm.ini --method hecaton)
