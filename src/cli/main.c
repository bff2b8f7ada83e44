/* main.c: `hecaton <command> [options]`, one MPI rank per chiplet. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hecaton/mesh.h"
#include "hecaton/util.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: mpirun -np N hecaton <command> [options]\n"
          "commands:\n"
          "  train               train a Llama-family model (loss, validation, checkpoints)\n"
          "  prepare             text or llm.c token shards -> HDF5 token file\n"
          "  estimate            the analytic estimator: any mesh size, no ranks needed\n"
          "  plot                a CSV column against another, as an SVG line chart\n"
          "  compare             one step under several methods, side by side\n"
          "  report              a saved run's report: summary, CSV, heatmap, trace\n"
          "  gradcheck           a method on the mesh against the single-process reference\n"
          "  bench-step          wall time of a mesh training step vs the reference\n"
          "  bench-train         GFLOP/s of a training step vs the machine's sgemm peak\n"
          "  bench-collectives   simulated and real cost of each collective on rows,\n"
          "                      columns and the whole mesh, 1 KiB .. 64 MiB\n"
          "run 'hecaton <command> --help' for its options.\n");
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  hc_set_abort_hook(hc_mpi_abort_all); /* an internal error stops every rank */
  int rank, rc = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    if (rank == 0) usage(argc < 2 ? stderr : stdout);
    rc = argc < 2;
  } else if (!strcmp(argv[1], "plot")) {
    rc = hc_cmd_plot(argc, argv);
  } else if (!strcmp(argv[1], "estimate")) {
    rc = hc_cmd_estimate(argc, argv);
  } else if (!strcmp(argv[1], "report")) {
    rc = hc_cmd_report(argc, argv);
  } else if (!strcmp(argv[1], "compare")) {
    rc = hc_cmd_compare(argc, argv);
  } else if (!strcmp(argv[1], "bench-step")) {
    rc = hc_cmd_bench_step(argc, argv);
  } else if (!strcmp(argv[1], "gradcheck")) {
    rc = hc_cmd_gradcheck(argc, argv);
  } else if (!strcmp(argv[1], "bench-train")) {
    rc = hc_cmd_bench_train(argc, argv);
  } else if (!strcmp(argv[1], "train")) {
    rc = hc_cmd_train(argc, argv);
  } else if (!strcmp(argv[1], "prepare")) {
    rc = hc_cmd_prepare(argc, argv);
  } else if (!strcmp(argv[1], "bench-collectives")) {
    rc = hc_cmd_bench_collectives(argc, argv);
  } else {
    if (rank == 0) {
      fprintf(stderr, "hecaton: error: unknown command '%s'\n", argv[1]);
      usage(stderr);
    }
  }
  MPI_Finalize();
  return rc;
}
