# MPI tests at 1, 4, 6 and 9 ranks (DEVELOPERS.md), square and non-square.
foreach(mesh 1x1 2x2 2x3 3x2 3x3 1x4 4x1)
  string(REPLACE "x" ";" rc ${mesh})
  list(GET rc 0 r)
  list(GET rc 1 c)
  math(EXPR np "${r} * ${c}")
  hc_mpi_test(test_collectives ${np} --mesh ${mesh})
endforeach()

# The Hecaton method's traffic against closed forms, square and not.
foreach(case "2x2;tiny-64" "2x3;tiny-96" "3x3;tiny-96" "4x4;tiny-64" "1x1;tiny-64")
  list(GET case 0 mesh)
  list(GET case 1 model)
  string(REPLACE "x" ";" rc ${mesh})
  list(GET rc 0 r)
  list(GET rc 1 c)
  math(EXPR np "${r} * ${c}")
  hc_mpi_test(test_hecaton ${np} --mesh ${mesh} --model ${CMAKE_SOURCE_DIR}/models/${model}.ini)
endforeach()

# The baselines' traffic against closed forms, on two mesh shapes each.
foreach(case "megatron;2x2;tiny-64" "megatron;3x3;tiny-144" "megatron;2x3;tiny-96"
             "megatron-sp;2x2;tiny-64" "megatron-sp;3x3;tiny-144"
             "megatron-dp;2x2;tiny-96" "megatron-dp;2x3;tiny-64" "megatron-dp;3x3;tiny-96"
             "megatron-dp;3x3;tiny-64" "megatron-dp;1x1;tiny-64"
             "summa;2x2;tiny-64" "summa;3x3;tiny-144" "summa;3x3;tiny-96")
  list(GET case 0 method)
  list(GET case 1 mesh)
  list(GET case 2 model)
  string(REPLACE "x" ";" rc ${mesh})
  list(GET rc 0 r)
  list(GET rc 1 c)
  math(EXPR np "${r} * ${c}")
  hc_mpi_test(test_baselines ${np} --method ${method} --mesh ${mesh}
              --model ${CMAKE_SOURCE_DIR}/models/${model}.ini)
endforeach()
# Full activation recomputation: the forward's collectives again, one
# layer's activations kept.
foreach(case "megatron;2x2;tiny-64" "megatron-sp;3x3;tiny-144" "megatron-dp;2x3;tiny-64")
  list(GET case 0 method)
  list(GET case 1 mesh)
  list(GET case 2 model)
  string(REPLACE "x" ";" rc ${mesh})
  list(GET rc 0 r)
  list(GET rc 1 c)
  math(EXPR np "${r} * ${c}")
  hc_mpi_test(test_baselines ${np} --method ${method} --mesh ${mesh}
              --model ${CMAKE_SOURCE_DIR}/models/${model}.ini --recompute full)
endforeach()
# Activation recomputation none / selective / full under every mesh method:
# saved floats, attention FLOPs and the SRAM model's spill against closed
# forms, none and selective the same traffic, gradients the same bit for bit.
foreach(case "hecaton;2x2;tiny-64" "hecaton;2x3;tiny-96" "megatron;2x2;tiny-64"
             "megatron-sp;2x3;tiny-96" "megatron-dp;2x3;tiny-64" "summa;2x2;tiny-64")
  list(GET case 0 method)
  list(GET case 1 mesh)
  list(GET case 2 model)
  string(REPLACE "x" ";" rc ${mesh})
  list(GET rc 0 r)
  list(GET rc 1 c)
  math(EXPR np "${r} * ${c}")
  hc_mpi_test(test_recompute ${np} --method ${method} --mesh ${mesh}
              --model ${CMAKE_SOURCE_DIR}/models/${model}.ini)
endforeach()
