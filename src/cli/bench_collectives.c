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

/* What the command measures, from its options. */
typedef struct {
  hc_cli_common common;
  size_t lo, hi;   /* payload sizes in bytes */
  int iters;       /* 0: 3 up to 1 MiB, then 1 */
  int want[3];     /* row, column, mesh */
} bench_opts;

static int parse_options(int argc, char **argv, bench_opts *o, char *err, size_t errlen) {
  const char *algo = "ring", *minsz = "1K", *maxsz = "64M", *groups = "row,column,mesh";
  *o = (bench_opts){.common = {.hw_path = "models/hw/standard.ini"}};
  const hc_cli_opt opts[] = {
      HC_STRING("mesh", &o->common.mesh),  HC_STRING("hw", &o->common.hw_path),
      HC_STRING("algo", &algo),            HC_STRING("min-size", &minsz),
      HC_STRING("max-size", &maxsz),       HC_INT("iters", &o->iters, 1),
      HC_STRING("groups", &groups),        HC_FLAG("dry-run", &o->common.phantom),
      HC_STRING("report", &o->common.report),
  };
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, errlen);
  if (rc) return rc;
  if (hc_cli_algo(algo, &o->common.algo, err, errlen)) return -1;
  if (hc_parse_size(minsz, &o->lo) || o->lo < 1)
    return hc_err(err, errlen, "--min-size '%s': expected a size like 1K or 64M", minsz);
  if (hc_parse_size(maxsz, &o->hi))
    return hc_err(err, errlen, "--max-size '%s': expected a size like 1K or 64M", maxsz);
  if (o->lo > o->hi) return hc_err(err, errlen, "--min-size %s is above --max-size %s", minsz, maxsz);
  o->want[0] = strstr(groups, "row") != NULL, o->want[1] = strstr(groups, "column") != NULL;
  o->want[2] = strstr(groups, "mesh") != NULL;
  if (!o->want[0] && !o->want[1] && !o->want[2])
    return hc_err(err, errlen, "--groups '%s': expected a list of row, column, mesh", groups);
  return 0;
}

static void print_header(const hc_cli_env *env, int phantom) {
  const hc_hw *hw = &env->hw;
  printf("# hecaton bench-collectives: mesh %dx%d (%d chiplets), hardware '%s', algorithm %s, %s\n",
         env->mesh.topo.R, env->mesh.topo.C, env->mesh.size, hw->name, hc_algo_name(env->comm.algo),
         phantom ? "dry-run (no data moved)" : "data mode");
  printf("# link %.4g GB/s x eff %.2f, alpha %.3g s/hop, overhead %.3g s/msg, %d B/element; "
         "whole-mesh ring is %s\n",
         hw->link_bw / 1e9, hw->link_eff, hw->link_latency, hw->msg_overhead, hw->elem_bytes,
         env->comm.all.ring_is_cycle ? "a Hamiltonian cycle" : "a snake with a multi-hop closing edge");
  printf("%-15s %-7s %3s %10s %13s %11s %11s %12s\n", "collective", "group", "p", "bytes",
         "sim time(us)", "algbw GB/s", "busbw GB/s", "wall(us)");
}

/* One collective on one group, every payload size: a row each on rank 0. */
static void bench_sizes(hc_cli_env *env, const bench_opts *o, int coll, hc_group *g, float *a,
                        float *b, size_t *counts) {
  int e = env->hw.elem_bytes;
  for (size_t sz = o->lo; sz <= o->hi; sz *= 2) {
    size_t n = sz / (size_t)e;
    int it = o->iters ? o->iters : (sz <= ((size_t)1 << 20) ? 3 : 1);
    double sim0 = env->ledger.coll[coll].sim_time, t0 = hc_wtime();
    for (int k = 0; k < it; k++) one_call(&env->comm, g, coll, a, b, n, counts);
    double wall = (hc_wtime() - t0) / it;
    double sim = (env->ledger.coll[coll].sim_time - sim0) / it, v[2] = {sim, wall}, vmax[2];
    /* Host-side bookkeeping, not chiplet traffic: not in the ledger. */
    MPI_Allreduce(v, vmax, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (env->mesh.rank == 0) {
      double alg = vmax[0] > 0 ? (double)(n * (size_t)e) / vmax[0] / 1e9 : 0;
      printf("%-15s %-7s %3d %10zu %13.3f %11.2f %11.2f %12.1f\n", hc_coll_name(coll), g->name,
             g->n, n * (size_t)e, vmax[0] * 1e6, alg, alg * bus_factor(coll, g->n),
             o->common.phantom ? 0.0 : vmax[1] * 1e6);
      fflush(stdout);
    }
    if (sz > o->hi / 2) break; /* no overflow past the top */
  }
}

int hc_cmd_bench_collectives(int argc, char **argv) {
  char err[HC_ERRLEN];
  bench_opts o;
  int rc = parse_options(argc, argv, &o, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  if (hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) return 1;
  hc_cli_env env;
  if (hc_cli_env_init(&env, &o.common)) return 1;
  hc_comm *c = &env.comm;
  hc_group *grp[3] = {&c->row, &c->col, &c->all};
  size_t max_elems = o.hi / (size_t)env.hw.elem_bytes + 1;
  float *a = NULL, *b = NULL;
  if (!o.common.phantom) {
    a = hc_malloc(max_elems * sizeof(float));
    b = hc_malloc(max_elems * sizeof(float));
    for (size_t k = 0; k < max_elems; k++) a[k] = (float)((k * 7 + (size_t)env.mesh.rank) % 13);
  }
  size_t *counts = hc_malloc((size_t)env.mesh.size * sizeof(size_t));
  if (env.mesh.rank == 0) print_header(&env, o.common.phantom);
  for (int coll = 0; coll < HC_NCOLLS; coll++)
    for (int gi = 0; gi < 3; gi++)
      if (o.want[gi]) bench_sizes(&env, &o, coll, grp[gi], a, b, counts);
  free(a), free(b), free(counts);
  if (env.mesh.rank == 0) printf("# totals over the whole run\n");
  rc = hc_cli_finish_ledger(&env, o.common.report, 1);
  hc_cli_env_free(&env);
  return rc ? 1 : 0;
}
