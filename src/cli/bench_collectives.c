/* bench_collectives.c: `hecaton bench-collectives`, in the spirit of the OSU
 * micro-benchmarks: for each collective, group (row, column, whole mesh)
 * and payload size, the simulated time under rule A with the bandwidths it
 * implies, next to the real wall time of the emulation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/args.h"
#include "hecaton/util.h"

static void help(void) {
  printf(
      "usage: mpirun -np R*C hecaton bench-collectives [options]\n"
      "  --mesh RxC         chiplet mesh (default: the squarest mesh of -np)\n"
      "  --hw FILE          hardware file (default models/hw/standard.ini)\n"
      "  --algo ring|bidir  collective algorithm (default ring)\n"
      "  --min-size SIZE    smallest payload on the wire (default 1K)\n"
      "  --max-size SIZE    largest payload on the wire (default 64M)\n"
      "  --iters N          timed calls per size (default 3 up to 1 MiB, then 1)\n"
      "  --groups LIST      row,column,mesh (default all three)\n"
      "  --dry-run          phantom mode: count and time, move no data\n"
      "  --report FILE.h5   write the ledger (per-link table) as HDF5\n"
      "Payload: all-gather output, reduce-scatter input, all-reduce/broadcast/\n"
      "reduce buffer, in bytes on the wire (element size from the hardware file).\n"
      "algbw = payload / simulated time; busbw = algbw x (p-1)/p for all-gather and\n"
      "reduce-scatter, x 2(p-1)/p for all-reduce, x 1 for broadcast and reduce.\n");
}

static double bus_factor(int coll, int p) {
  if (coll == HC_COLL_ALLREDUCE) return 2.0 * (p - 1) / p;
  if (coll == HC_COLL_ALLGATHER || coll == HC_COLL_REDUCE_SCATTER) return (double)(p - 1) / p;
  return 1.0;
}

static void one_call(hc_comm *c, hc_group *g, int coll, float *a, float *b, size_t n,
                     size_t *counts) {
  int p = g->n;
  for (int k = 0; k < p; k++) counts[k] = n / (size_t)p + ((size_t)k < n % (size_t)p);
  switch (coll) {
    case HC_COLL_ALLGATHER: hc_allgatherv(c, g, a, b, counts, HC_ALGO_DEFAULT); break;
    case HC_COLL_REDUCE_SCATTER:
      hc_reduce_scatterv(c, g, a, b, counts, HC_RED_SUM, HC_ALGO_DEFAULT);
      break;
    case HC_COLL_ALLREDUCE: hc_allreduce(c, g, a, b, n, HC_RED_SUM, HC_ALGO_DEFAULT); break;
    case HC_COLL_BCAST: hc_bcast(c, g, a, n, 0, HC_ALGO_DEFAULT); break;
    case HC_COLL_REDUCE: hc_reduce(c, g, a, b, n, 0, HC_RED_SUM, HC_ALGO_DEFAULT); break;
  }
}

int hc_cmd_bench_collectives(int argc, char **argv) {
  const char *mesh = NULL, *hw = "models/hw/standard.ini", *algo = "ring", *minsz = "1K",
             *maxsz = "64M", *iters_s = NULL, *groups = "row,column,mesh", *dry = NULL,
             *report = NULL, *helpf = NULL;
  const hc_cli_opt opts[] = {
      {"--mesh", 1, &mesh},       {"--hw", 1, &hw},         {"--algo", 1, &algo},
      {"--min-size", 1, &minsz},  {"--max-size", 1, &maxsz}, {"--iters", 1, &iters_s},
      {"--groups", 1, &groups},   {"--dry-run", 0, &dry},   {"--report", 1, &report},
      {"--help", 0, &helpf},
  };
  char err[HC_ERRLEN];
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  hc_cli_common o = {0};
  size_t lo = 0, hi = 0;
  int iters = 0, bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err,
                                    sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0) help();
    return 0;
  }
  if (!bad && hc_parse_algo(algo, &o.algo))
    bad = hc_err(err, sizeof err, "--algo '%s': expected ring or bidir", algo) != 0;
  if (!bad && (hc_parse_size(minsz, &lo) || lo < 1))
    bad = hc_err(err, sizeof err, "--min-size '%s': expected a size like 1K or 64M", minsz) != 0;
  if (!bad && hc_parse_size(maxsz, &hi))
    bad = hc_err(err, sizeof err, "--max-size '%s': expected a size like 1K or 64M", maxsz) != 0;
  if (!bad && lo > hi)
    bad = hc_err(err, sizeof err, "--min-size %s is above --max-size %s", minsz, maxsz) != 0;
  bad = bad || hc_arg_int(iters_s, "--iters", 1, &iters, err, sizeof err);
  int want[3] = {strstr(groups, "row") != NULL, strstr(groups, "column") != NULL,
                 strstr(groups, "mesh") != NULL};
  if (!bad && !want[0] && !want[1] && !want[2])
    bad = hc_err(err, sizeof err, "--groups '%s': expected a list of row, column, mesh", groups) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;

  o.mesh = mesh, o.hw_path = hw, o.phantom = dry != NULL, o.report = report;
  hc_cli_env env;
  if (hc_cli_env_init(&env, &o)) return 1;
  hc_comm *c = &env.comm;
  hc_group *grp[3] = {&c->row, &c->col, &c->all};
  int e = env.hw.elem_bytes;
  size_t max_elems = hi / (size_t)e + 1;
  float *a = NULL, *b = NULL;
  if (!o.phantom) {
    a = hc_malloc(max_elems * sizeof(float));
    b = hc_malloc(max_elems * sizeof(float));
    for (size_t k = 0; k < max_elems; k++) a[k] = (float)((k * 7 + (size_t)rank) % 13);
  }
  size_t *counts = hc_malloc((size_t)env.mesh.size * sizeof(size_t));

  if (rank == 0) {
    printf("# hecaton bench-collectives: mesh %dx%d (%d chiplets), hardware '%s', algorithm %s, %s\n",
           env.mesh.topo.R, env.mesh.topo.C, env.mesh.size, env.hw.name,
           hc_algo_name(c->algo), o.phantom ? "dry-run (no data moved)" : "data mode");
    printf("# link %.4g GB/s x eff %.2f, alpha %.3g s/hop, overhead %.3g s/msg, %d B/element; "
           "whole-mesh ring is %s\n",
           env.hw.link_bw / 1e9, env.hw.link_eff, env.hw.link_latency, env.hw.msg_overhead, e,
           c->all.ring_is_cycle ? "a Hamiltonian cycle" : "a snake with a multi-hop closing edge");
    printf("%-15s %-7s %3s %10s %13s %11s %11s %12s\n", "collective", "group", "p", "bytes",
           "sim time(us)", "algbw GB/s", "busbw GB/s", "wall(us)");
  }
  for (int coll = 0; coll < HC_NCOLLS; coll++)
    for (int gi = 0; gi < 3; gi++) {
      if (!want[gi]) continue;
      hc_group *g = grp[gi];
      for (size_t sz = lo; sz <= hi; sz *= 2) {
        size_t n = sz / (size_t)e;
        int it = iters ? iters : (sz <= ((size_t)1 << 20) ? 3 : 1);
        double sim0 = env.ledger.coll[coll].sim_time, t0 = hc_wtime();
        for (int k = 0; k < it; k++) one_call(c, g, coll, a, b, n, counts);
        double wall = (hc_wtime() - t0) / it;
        double sim = (env.ledger.coll[coll].sim_time - sim0) / it, v[2] = {sim, wall}, vmax[2];
        /* Host-side bookkeeping, not chiplet traffic: not in the ledger. */
        MPI_Allreduce(v, vmax, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (rank == 0) {
          double alg = vmax[0] > 0 ? (double)(n * (size_t)e) / vmax[0] / 1e9 : 0;
          printf("%-15s %-7s %3d %10zu %13.3f %11.2f %11.2f %12.1f\n", hc_coll_name(coll),
                 g->name, g->n, n * (size_t)e, vmax[0] * 1e6, alg, alg * bus_factor(coll, g->n),
                 o.phantom ? 0.0 : vmax[1] * 1e6);
          fflush(stdout);
        }
        if (sz > hi / 2) break; /* no overflow past the top */
      }
    }
  free(a), free(b), free(counts);
  if (rank == 0) printf("# totals over the whole run\n");
  int rc = hc_cli_finish_ledger(&env, report, 1);
  hc_cli_env_free(&env);
  return rc ? 1 : 0;
}
