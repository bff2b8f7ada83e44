/* main.c: `hecaton <command> [options]`, one MPI rank per chiplet. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hecaton/mesh.h"
#include "hecaton/util.h"

/* The commands: name, what it does (the usage text), its entry point. */
static const struct {
  const char *name, *summary;
  int (*run)(int argc, char **argv);
} kCommands[] = {
    {"train", "train a Llama-family model (loss, validation, checkpoints)", hc_cmd_train},
    {"prepare", "text or llm.c token shards -> HDF5 token file", hc_cmd_prepare},
    {"import", "a Hugging Face Llama folder (safetensors) -> hecaton checkpoint", hc_cmd_import},
    {"export", "a hecaton checkpoint -> Hugging Face Llama folder (safetensors)", hc_cmd_export},
    {"estimate", "the analytic estimator: any mesh size, no ranks needed", hc_cmd_estimate},
    {"plot", "a CSV column against another, as an SVG line chart", hc_cmd_plot},
    {"sweep", "the estimator over values of hardware and workload keys: CSV, SVG", hc_cmd_sweep},
    {"compare", "one step under several methods, side by side", hc_cmd_compare},
    {"report", "a saved run's report: summary, CSV, heatmap, trace", hc_cmd_report},
    {"gradcheck", "a method on the mesh against the single-process reference", hc_cmd_gradcheck},
    {"bench-step", "wall time of a mesh training step vs the reference", hc_cmd_bench_step},
    {"bench-train", "GFLOP/s of a training step vs the machine's sgemm peak", hc_cmd_bench_train},
    {"bench-collectives", "simulated and real cost of each collective on rows,\n"
                          "                      columns and the whole mesh, 1 KiB .. 64 MiB",
     hc_cmd_bench_collectives},
};
#define N_COMMANDS (sizeof kCommands / sizeof kCommands[0])

static void usage(FILE *f) {
  fprintf(f, "usage: mpirun -np N hecaton <command> [options]\ncommands:\n");
  for (size_t k = 0; k < N_COMMANDS; k++)
    fprintf(f, "  %-19s %s\n", kCommands[k].name, kCommands[k].summary);
  fprintf(f, "run 'hecaton <command> --help' for its options.\n");
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  hc_set_abort_hook(hc_mpi_abort_all); /* an internal error stops every rank */
  int rank, rc = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  size_t k = 0;
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    if (rank == 0) usage(argc < 2 ? stderr : stdout);
    rc = argc < 2;
  } else {
    while (k < N_COMMANDS && strcmp(argv[1], kCommands[k].name)) k++;
    if (k < N_COMMANDS) {
      rc = kCommands[k].run(argc, argv);
    } else if (rank == 0) {
      fprintf(stderr, "hecaton: error: unknown command '%s'\n", argv[1]);
      usage(stderr);
    }
  }
  MPI_Finalize();
  return rc;
}
