/* test_collectives.c: every collective and algorithm on rows, columns and
 * the whole mesh against MPI's own, the ledger against closed forms, phantom
 * mode against data mode, and rule-A times against the formula.
 * Run as: mpiexec -n R*C test_collectives --mesh RxC */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hecaton/comm.h"
#include "hecaton/report.h"
#include "hecaton/compare.h"
#include "hecaton/util.h"

static hc_mesh g_mesh;
static hc_hw g_hw;

/* A ledger and a communicator over the test mesh, data or phantom mode. */
typedef struct {
  hc_ledger l;
  hc_comm c;
} env;

static void env_open(env *e, const hc_hw *hw, int phantom) {
  hc_ledger_init(&e->l, &g_mesh.topo, hw, g_mesh.rank);
  hc_comm_init(&e->c, &g_mesh, &e->l, HC_ALGO_RING, phantom);
}
static void env_close(env *e) {
  hc_comm_free(&e->c);
  hc_ledger_free(&e->l);
}

static hc_group *group_of(hc_comm *c, int k) {
  return k == 0 ? &c->row : k == 1 ? &c->col : &c->all;
}
static const hc_algo kAlgos[2] = {HC_ALGO_RING, HC_ALGO_BIDIR};

/* Small integers: sums are exact in any order, so results must match MPI's
 * bit for bit. */
static void fill_ints(float *x, size_t n, unsigned seed) {
  for (size_t k = 0; k < n; k++) {
    seed = seed * 1103515245u + 12345u;
    x[k] = (float)((int)((seed >> 16) % 17) - 8);
  }
}
static void fill_reals(float *x, size_t n, unsigned seed) {
  for (size_t k = 0; k < n; k++) {
    seed = seed * 1103515245u + 12345u;
    x[k] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
}

static int same(const char *what, const float *got, const float *want, size_t n, double tol) {
  hc_cmp c = hc_compare(got, want, n, tol, tol);
  char msg[512];
  return HC_CHECK_ALL(c.nbad == 0, "%s", hc_cmp_describe(&c, what, tol, tol, msg, sizeof msg));
}

/* Counts that do not divide evenly: member k gets base + k % 3. */
static void uneven(size_t *cnt, int p, size_t base) {
  for (int k = 0; k < p; k++) cnt[k] = base + (size_t)(k % 3);
}

static void test_allgather_matches_mpi(void) {
  env e;
  env_open(&e, &g_hw, 0);
  size_t bases[] = {1, 5, 1000};
  for (int gk = 0; gk < 3; gk++)
    for (int a = 0; a < 2; a++)
      for (size_t bi = 0; bi < 3; bi++) {
        hc_group *g = group_of(&e.c, gk);
        int p = g->n;
        size_t cnt[64], total = 0;
        int icnt[64], idsp[64];
        uneven(cnt, p, bases[bi]);
        for (int k = 0; k < p; k++) idsp[k] = (int)total, icnt[k] = (int)cnt[k], total += cnt[k];
        float *send = hc_malloc(cnt[g->me] * sizeof(float));
        float *got = hc_malloc(total * sizeof(float)), *want = hc_malloc(total * sizeof(float));
        fill_reals(send, cnt[g->me], 17u * (unsigned)g_mesh.rank + (unsigned)bi);
        hc_allgatherv(&e.c, g, send, got, cnt, kAlgos[a]);
        MPI_Allgatherv(send, icnt[g->me], MPI_FLOAT, want, icnt, idsp, MPI_FLOAT, g->comm);
        char what[128];
        snprintf(what, sizeof what, "all-gather %s %s base %zu", g->name, hc_algo_name(kAlgos[a]),
                 bases[bi]);
        same(what, got, want, total, 0);
        free(send), free(got), free(want);
      }
  env_close(&e);
}

static void test_reduce_scatter_matches_mpi(void) {
  env e;
  env_open(&e, &g_hw, 0);
  for (int gk = 0; gk < 3; gk++)
    for (int a = 0; a < 2; a++)
      for (int op = 0; op < 2; op++)
        for (int even = 0; even < 2; even++) {
          hc_group *g = group_of(&e.c, gk);
          int p = g->n, icnt[64];
          size_t cnt[64], total = 0;
          if (even) for (int k = 0; k < p; k++) cnt[k] = 64;
          else uneven(cnt, p, 3);
          for (int k = 0; k < p; k++) icnt[k] = (int)cnt[k], total += cnt[k];
          float *send = hc_malloc(total * sizeof(float));
          float *got = hc_malloc(cnt[g->me] * sizeof(float)), *want = hc_malloc(cnt[g->me] * sizeof(float));
          fill_ints(send, total, 31u * (unsigned)g_mesh.rank + 7u);
          hc_reduce_scatterv(&e.c, g, send, got, cnt, op ? HC_RED_MAX : HC_RED_SUM, kAlgos[a]);
          MPI_Reduce_scatter(send, want, icnt, MPI_FLOAT, op ? MPI_MAX : MPI_SUM, g->comm);
          char what[128];
          snprintf(what, sizeof what, "reduce-scatter(%s) %s %s %s", op ? "max" : "sum", g->name,
                   hc_algo_name(kAlgos[a]), even ? "even" : "uneven");
          same(what, got, want, cnt[g->me], 0);
          /* The block form equals MPI_Reduce_scatter_block. */
          if (even) {
            hc_reduce_scatter(&e.c, g, send, got, 64, HC_RED_SUM, kAlgos[a]);
            MPI_Reduce_scatter_block(send, want, 64, MPI_FLOAT, MPI_SUM, g->comm);
            same("reduce-scatter block", got, want, 64, 0);
          }
          free(send), free(got), free(want);
        }
  env_close(&e);
}

static void test_allreduce_matches_mpi(void) {
  env e;
  env_open(&e, &g_hw, 0);
  size_t sizes[] = {1, 7, 1001, 4096};
  for (int gk = 0; gk < 3; gk++)
    for (int a = 0; a < 2; a++)
      for (int op = 0; op < 2; op++)
        for (size_t si = 0; si < 4; si++) {
          hc_group *g = group_of(&e.c, gk);
          size_t n = sizes[si];
          float *send = hc_malloc(n * sizeof(float)), *got = hc_malloc(n * sizeof(float));
          float *want = hc_malloc(n * sizeof(float));
          fill_ints(send, n, 13u * (unsigned)g_mesh.rank + (unsigned)si);
          hc_allreduce(&e.c, g, send, got, n, op ? HC_RED_MAX : HC_RED_SUM, kAlgos[a]);
          MPI_Allreduce(send, want, (int)n, MPI_FLOAT, op ? MPI_MAX : MPI_SUM, g->comm);
          char what[128];
          snprintf(what, sizeof what, "all-reduce(%s) %s %s n=%zu", op ? "max" : "sum", g->name,
                   hc_algo_name(kAlgos[a]), n);
          same(what, got, want, n, 0);
          /* In place, on real numbers (order of summation may differ). */
          fill_reals(send, n, 5u * (unsigned)g_mesh.rank + 1u);
          memcpy(got, send, n * sizeof(float));
          hc_allreduce(&e.c, g, got, got, n, HC_RED_SUM, kAlgos[a]);
          MPI_Allreduce(send, want, (int)n, MPI_FLOAT, MPI_SUM, g->comm);
          same("all-reduce in place (reals)", got, want, n, 1e-6 * g->n);
          free(send), free(got), free(want);
        }
  env_close(&e);
}

static void test_bcast_reduce_match_mpi(void) {
  env e;
  env_open(&e, &g_hw, 0);
  for (int gk = 0; gk < 3; gk++)
    for (int a = 0; a < 2; a++)
      for (int root = 0; root < group_of(&e.c, gk)->n; root++) {
        hc_group *g = group_of(&e.c, gk);
        size_t n = 333;
        float *x = hc_malloc(n * sizeof(float)), *y = hc_malloc(n * sizeof(float));
        float *got = hc_malloc(n * sizeof(float)), *want = hc_malloc(n * sizeof(float));
        fill_ints(x, n, 3u * (unsigned)g_mesh.rank + (unsigned)root);
        memcpy(y, x, n * sizeof(float));
        hc_bcast(&e.c, g, x, n, root, kAlgos[a]);
        MPI_Bcast(y, (int)n, MPI_FLOAT, root, g->comm);
        char what[128];
        snprintf(what, sizeof what, "broadcast %s %s root %d", g->name, hc_algo_name(kAlgos[a]), root);
        same(what, x, y, n, 0);
        for (int op = 0; op < 2; op++) {
          fill_ints(x, n, 11u * (unsigned)g_mesh.rank + (unsigned)root);
          memset(got, 0, n * sizeof(float));
          memset(want, 0, n * sizeof(float));
          hc_reduce(&e.c, g, x, got, n, root, op ? HC_RED_MAX : HC_RED_SUM, kAlgos[a]);
          MPI_Reduce(x, want, (int)n, MPI_FLOAT, op ? MPI_MAX : MPI_SUM, root, g->comm);
          snprintf(what, sizeof what, "reduce(%s) %s %s root %d", op ? "max" : "sum", g->name,
                   hc_algo_name(kAlgos[a]), root);
          same(what, got, want, n, 0);
        }
        free(x), free(y), free(got), free(want);
      }
  env_close(&e);
}

/* Sum over the group of this rank's bytes sent since `before`. */
static double group_sent(hc_ledger *l, hc_group *g, uint64_t before) {
  double mine = (double)(hc_ledger_totals(l).sent - before), all;
  MPI_Allreduce(&mine, &all, 1, MPI_DOUBLE, MPI_SUM, g->comm);
  return all;
}

static void test_ledger_closed_forms(void) {
  env e;
  env_open(&e, &g_hw, 0);
  const double eb = g_hw.elem_bytes;
  for (int gk = 0; gk < 3; gk++) {
    hc_group *g = group_of(&e.c, gk);
    int p = g->n;
    size_t blk = 96, n = blk * (size_t)p; /* divisible: closed forms are exact */
    double M = (double)n * eb;
    float *x = hc_calloc(n, sizeof(float)), *y = hc_calloc(n, sizeof(float));
    for (int a = 0; a < 2; a++) {
      const char *an = hc_algo_name(kAlgos[a]);
      uint64_t s0 = hc_ledger_totals(&e.l).sent;
      hc_allgather(&e.c, g, x, y, blk, kAlgos[a]);
      double mine = (double)(hc_ledger_totals(&e.l).sent - s0);
      if (kAlgos[a] == HC_ALGO_RING) /* every member sends (p-1)/p M */
        HC_CHECK_ALL(mine == (p - 1) * M / p, "ring all-gather %s: member sent %.0f, want %.0f",
                     g->name, mine, (p - 1) * M / p);
      double tot = group_sent(&e.l, g, s0);
      HC_CHECK_ALL(tot == (p - 1) * M, "%s all-gather %s: group sent %.0f, want (p-1)M = %.0f",
                   an, g->name, tot, (p - 1) * M);

      s0 = hc_ledger_totals(&e.l).sent;
      hc_reduce_scatter(&e.c, g, y, x, blk, HC_RED_SUM, kAlgos[a]);
      mine = (double)(hc_ledger_totals(&e.l).sent - s0);
      if (kAlgos[a] == HC_ALGO_RING)
        HC_CHECK_ALL(mine == (p - 1) * M / p, "ring reduce-scatter %s: member sent %.0f, want %.0f",
                     g->name, mine, (p - 1) * M / p);
      tot = group_sent(&e.l, g, s0);
      HC_CHECK_ALL(tot == (p - 1) * M, "%s reduce-scatter %s: group sent %.0f, want %.0f", an,
                   g->name, tot, (p - 1) * M);

      s0 = hc_ledger_totals(&e.l).sent;
      hc_allreduce(&e.c, g, y, y, n, HC_RED_SUM, kAlgos[a]);
      mine = (double)(hc_ledger_totals(&e.l).sent - s0);
      if (kAlgos[a] == HC_ALGO_RING)
        HC_CHECK_ALL(mine == 2.0 * (p - 1) * M / p, "ring all-reduce %s: member sent %.0f, want %.0f",
                     g->name, mine, 2.0 * (p - 1) * M / p);

      s0 = hc_ledger_totals(&e.l).sent;
      hc_bcast(&e.c, g, y, n, p - 1, kAlgos[a]);
      tot = group_sent(&e.l, g, s0);
      HC_CHECK_ALL(tot == (p - 1) * M, "%s broadcast %s: group sent %.0f, want %.0f", an, g->name,
                   tot, (p - 1) * M);
      s0 = hc_ledger_totals(&e.l).sent;
      hc_reduce(&e.c, g, y, x, n, 0, HC_RED_SUM, kAlgos[a]);
      tot = group_sent(&e.l, g, s0);
      HC_CHECK_ALL(tot == (p - 1) * M, "%s reduce %s: group sent %.0f, want %.0f", an, g->name,
                   tot, (p - 1) * M);
    }
    free(x), free(y);
  }
  env_close(&e);
}

/* Ring all-gather on a row: every eastward link of the row carries (p-1)
 * blocks, and the closing edge sends (p-1) blocks back over every westward
 * link; nothing else in the mesh is touched. */
static void test_ledger_per_link(void) {
  env e;
  env_open(&e, &g_hw, 0);
  hc_group *g = &e.c.row;
  int p = g->n, C = g_mesh.topo.C;
  size_t blk = 50;
  float *x = hc_calloc(blk * (size_t)p, sizeof(float));
  hc_allgather(&e.c, g, x, x, blk, HC_ALGO_RING);
  hc_ledger_report rep;
  hc_ledger_gather(&e.l, g_mesh.cart, &rep);
  int ok = 1, bad_link = -1;
  uint64_t got = 0, want = 0;
  if (g_mesh.rank == 0) {
    for (int l = 0; l < rep.nlinks && ok; l++) {
      int from, to;
      uint64_t b = hc_report_link_total(&rep, l);
      want = 0;
      if (!hc_link_ends(&rep.topo, l, &from, &to) && to != HC_IO_DIE && from != HC_IO_DIE &&
          from / C == to / C) /* a link along a row */
        want = (uint64_t)(p - 1) * blk * (uint64_t)g_hw.elem_bytes;
      if (b != want) ok = 0, bad_link = l, got = b;
    }
    hc_ledger_report_free(&rep);
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  char name[64] = "";
  if (bad_link >= 0) hc_link_name(&g_mesh.topo, bad_link, name, sizeof name);
  HC_CHECK_ALL(ok, "link %s carries %llu bytes, want %llu", name, (unsigned long long)got,
               (unsigned long long)want);
  free(x);
  env_close(&e);
}

/* The same calls in phantom mode (NULL buffers) leave the identical ledger. */
static void run_mix(hc_comm *c, int phantom) {
  size_t n = 1234;
  float *x = phantom ? NULL : hc_calloc(n * 64, sizeof(float));
  float *y = phantom ? NULL : hc_calloc(n * 64, sizeof(float));
  size_t cnt[64];
  for (int gk = 0; gk < 3; gk++)
    for (int a = 0; a < 2; a++) {
      hc_group *g = group_of(c, gk);
      hc_ledger_set_tag(c->ledger, gk == 2 ? HC_PHASE_BWD : HC_PHASE_FWD, HC_OPK_LINEAR + gk);
      uneven(cnt, g->n, 17);
      hc_allgatherv(c, g, x, y, cnt, kAlgos[a]);
      hc_reduce_scatterv(c, g, y, x, cnt, HC_RED_SUM, kAlgos[a]);
      hc_allreduce(c, g, x, x, n, HC_RED_MAX, kAlgos[a]);
      hc_bcast(c, g, x, n, g->n / 2, kAlgos[a]);
      hc_reduce(c, g, x, y, n, g->n - 1, HC_RED_SUM, kAlgos[a]);
    }
  free(x), free(y);
}

static void test_phantom_ledger_identical(void) {
  env d, ph;
  env_open(&d, &g_hw, 0);
  env_open(&ph, &g_hw, 1);
  run_mix(&d.c, 0);
  run_mix(&ph.c, 1);
  size_t nl = (size_t)HC_NPHASES * HC_NOPKINDS * (size_t)d.l.nlinks;
  HC_CHECK_ALL(memcmp(d.l.link_bytes, ph.l.link_bytes, nl * sizeof(uint64_t)) == 0,
               "phantom per-link bytes differ from data mode");
  HC_CHECK_ALL(memcmp(d.l.tag, ph.l.tag, sizeof d.l.tag) == 0,
               "phantom counters (bytes, messages, hops, time) differ from data mode");
  int same_coll = 1;
  for (int k = 0; k < HC_NCOLLS; k++)
    same_coll &= d.l.coll[k].calls == ph.l.coll[k].calls &&
                 d.l.coll[k].bytes == ph.l.coll[k].bytes &&
                 d.l.coll[k].sim_time == ph.l.coll[k].sim_time;
  HC_CHECK_ALL(same_coll, "phantom collective statistics differ from data mode");
  HC_CHECK_ALL(hc_ledger_totals(&d.l).sent > 0 || g_mesh.size == 1, "data mode counted nothing");
  env_close(&d);
  env_close(&ph);
}

/* Simulated seconds of one call, by a fresh ledger with hardware hw. */
static double time_of(const hc_hw *hw, int gk, int coll, hc_algo a, size_t n) {
  env e;
  env_open(&e, hw, 1);
  hc_group *g = group_of(&e.c, gk);
  if (coll == HC_COLL_ALLGATHER) hc_allgather(&e.c, g, NULL, NULL, n / (size_t)g->n, a);
  else hc_allreduce(&e.c, g, NULL, NULL, n, HC_RED_SUM, a);
  double t = e.l.coll[coll].sim_time;
  env_close(&e);
  return t;
}

static int close_rel(double a, double b) { return fabs(a - b) <= 1e-12 + 1e-9 * fabs(b); }

/* Rule A on rows and columns, where the closed form is exact:
 *  ring  all-gather: (p-1) steps of o + (p-1) alpha + b/(B eta) (the closing
 *        edge crosses p-1 links, no link carries more than one block);
 *  bidir all-gather: (p-1) steps of o + alpha + b/(B eta);
 *  all-reduce: twice the steps, blocks of n/p. */
static double formula(const hc_hw *hw, int p, int coll, hc_algo a, size_t n) {
  if (p == 1) return 0;
  double b = (double)(n / (size_t)p) * hw->elem_bytes;
  int hops = a == HC_ALGO_RING ? p - 1 : 1;
  double step = hw->msg_overhead + hops * hw->link_latency + b / (hw->link_bw * hw->link_eff);
  return (coll == HC_COLL_ALLREDUCE ? 2 : 1) * (p - 1) * step;
}

static void test_time_rule_a(void) {
  size_t n = 7200; /* divisible by 1..6, 8, 9 */
  hc_hw fast = g_hw, slow_link = g_hw;
  fast.link_bw *= 2;
  slow_link.link_latency *= 3;
  const hc_hw *hws[3] = {&g_hw, &fast, &slow_link};
  for (int gk = 0; gk < 2; gk++)
    for (int a = 0; a < 2; a++)
      for (int coll = HC_COLL_ALLGATHER; coll <= HC_COLL_ALLREDUCE; coll += 2)
        for (int h = 0; h < 3; h++) {
          int p = gk == 0 ? g_mesh.topo.C : g_mesh.topo.R;
          double got = time_of(hws[h], gk, coll, kAlgos[a], n);
          double want = formula(hws[h], p, coll, kAlgos[a], n);
          HC_CHECK_ALL(close_rel(got, want), "%s %s over %s (p=%d, hw %d): %.6e s, formula %.6e s",
                       hc_coll_name(coll), hc_algo_name(kAlgos[a]), gk ? "column" : "row", p, h,
                       got, want);
        }
  /* Direction and amount: doubling B removes half of the bandwidth term;
   * tripling alpha adds 2 (p-1) hops alpha per step. */
  int p = g_mesh.topo.C;
  if (p > 1) {
    double t0 = time_of(&g_hw, 0, HC_COLL_ALLGATHER, HC_ALGO_RING, n);
    double tb = time_of(&fast, 0, HC_COLL_ALLGATHER, HC_ALGO_RING, n);
    double ta = time_of(&slow_link, 0, HC_COLL_ALLGATHER, HC_ALGO_RING, n);
    double bw_term = (p - 1) * (double)(n / (size_t)p) * g_hw.elem_bytes / (g_hw.link_bw * g_hw.link_eff);
    HC_CHECK_ALL(tb < t0 && close_rel(t0 - tb, bw_term / 2),
                 "2x bandwidth saved %.6e s, want %.6e s", t0 - tb, bw_term / 2);
    HC_CHECK_ALL(ta > t0 && close_rel(ta - t0, 2.0 * (p - 1) * (p - 1) * g_hw.link_latency),
                 "3x latency added %.6e s, want %.6e s", ta - t0,
                 2.0 * (p - 1) * (p - 1) * g_hw.link_latency);
  }
}

/* The whole-mesh ring: a Hamiltonian cycle costs one hop per step; the
 * snake's closing edge costs its Manhattan length (it shares no link with
 * the snake, so the bandwidth term is one block either way). */
static void test_time_mesh_ring(void) {
  env e;
  env_open(&e, &g_hw, 1);
  hc_group *g = &e.c.all;
  int p = g->n;
  size_t n = 7200;
  hc_allgather(&e.c, g, NULL, NULL, n / (size_t)p, HC_ALGO_RING);
  double got = e.l.coll[HC_COLL_ALLGATHER].sim_time, want = 0;
  if (p > 1) {
    int first = g->ring[0], last = g->ring[p - 1], C = g_mesh.topo.C;
    int close_hops = abs(first / C - last / C) + abs(first % C - last % C);
    HC_CHECK_ALL(g->ring_is_cycle == (close_hops == 1), "ring_is_cycle %d but closing edge %d hops",
                 g->ring_is_cycle, close_hops);
    double b = (double)(n / (size_t)p) * g_hw.elem_bytes;
    want = (p - 1) * (g_hw.msg_overhead + close_hops * g_hw.link_latency +
                      b / (g_hw.link_bw * g_hw.link_eff));
  }
  HC_CHECK_ALL(close_rel(got, want), "mesh ring all-gather (%dx%d): %.6e s, want %.6e s",
               g_mesh.topo.R, g_mesh.topo.C, got, want);
  env_close(&e);
}

/* The HDF5 report holds the same per-link totals as the gathered ledger. */
static void test_report_h5(void) {
  env e;
  env_open(&e, &g_hw, 0);
  run_mix(&e.c, 0);
  hc_ledger_report rep;
  hc_ledger_gather(&e.l, g_mesh.cart, &rep);
  char path[512], err[HC_ERRLEN] = "";
  int ok = 1;
  unsigned long long in_mem = 0, in_file = 0;
  if (g_mesh.rank == 0) {
    snprintf(path, sizeof path, "%s/ledger-%dx%d.h5", hc_test_tmpdir(), g_mesh.topo.R,
             g_mesh.topo.C);
    ok = hc_ledger_write_h5(&rep, path, err, sizeof err) == 0;
    for (int l = 0; l < rep.nlinks; l++) in_mem += hc_report_link_total(&rep, l);
    hid_t f = ok ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (f >= 0) {
      int L = hc_topo_count_links(&rep.topo);
      uint64_t *b = hc_calloc((size_t)L, sizeof(uint64_t));
      hid_t ds = H5Dopen2(f, "/metrics/links/bytes", H5P_DEFAULT);
      ok = ds >= 0 && H5Dread(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, b) >= 0;
      if (ds >= 0) H5Dclose(ds);
      for (int l = 0; l < L; l++) in_file += b[l];
      free(b);
      H5Fclose(f);
    } else {
      ok = 0;
    }
    hc_ledger_report_free(&rep);
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  HC_CHECK_ALL(ok, "writing or reading the HDF5 report failed: %s", err);
  MPI_Bcast(&in_mem, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  MPI_Bcast(&in_file, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  HC_CHECK_ALL(in_mem == in_file && (in_mem > 0 || g_mesh.size == 1),
               "report file holds %llu link bytes, ledger %llu", in_file, in_mem);
  env_close(&e);
}

static int setup(void) {
  const char *spec = NULL;
  for (int a = 1; a + 1 < hc_test_argc; a++)
    if (!strcmp(hc_test_argv[a], "--mesh")) spec = hc_test_argv[a + 1];
  char err[HC_ERRLEN];
  if (!spec || hc_hw_load(HECATON_SOURCE_DIR "/models/hw/standard.ini", &g_hw, err, sizeof err)) {
    if (hc_test_rank == 0) fprintf(stderr, "usage: test_collectives --mesh RxC (%s)\n", spec ? err : "");
    return -1;
  }
  return hc_mesh_create(&g_mesh, spec, g_hw.io_edges);
}

int main(int argc, char **argv) {
  const hc_test tests[] = {
      {"all-gather(v) == MPI_Allgatherv", test_allgather_matches_mpi},
      {"reduce-scatter(v) == MPI_Reduce_scatter", test_reduce_scatter_matches_mpi},
      {"all-reduce == MPI_Allreduce", test_allreduce_matches_mpi},
      {"broadcast/reduce == MPI_Bcast/MPI_Reduce", test_bcast_reduce_match_mpi},
      {"ledger totals == closed forms", test_ledger_closed_forms},
      {"ledger per-link bytes of a row ring", test_ledger_per_link},
      {"phantom mode ledger == data mode ledger", test_phantom_ledger_identical},
      {"rule A times == formula, B and alpha", test_time_rule_a},
      {"whole-mesh ring time", test_time_mesh_ring},
      {"HDF5 ledger report", test_report_h5},
  };
  return hc_mpi_main(argc, argv, "collectives", tests, sizeof tests / sizeof tests[0], setup);
}
