# MPI tests at 1, 4, 6 and 9 ranks (DEVELOPERS.md), square and non-square.
foreach(mesh 1x1 2x2 2x3 3x2 3x3 1x4 4x1)
  string(REPLACE "x" ";" rc ${mesh})
  list(GET rc 0 r)
  list(GET rc 1 c)
  math(EXPR np "${r} * ${c}")
  hc_mpi_test(test_collectives ${np} --mesh ${mesh})
endforeach()
