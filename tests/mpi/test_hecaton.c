/* test_hecaton.c: the Hecaton method's traffic against closed forms.
 * One forward and backward of a tiny model; every chiplet's bytes sent,
 * per op kind, must equal the sum over the schedule of DESIGN.md section 3
 * of its ring collectives' shares, with the gathered linear inputs saved
 * (then the per-layer linear bytes are DESIGN's
 * 2(n-1)/n^2 (6h + 2h_kv' + 3f) T e on an n x n mesh) and gathered again.
 * Run as: mpiexec -n R*C test_hecaton --mesh RxC --model FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hecaton/comm.h"
#include "hecaton/parallel.h"
#include "hecaton/util.h"

static hc_mesh g_mesh;
static hc_hw g_hw;
static hc_model_config g_cfg;

/* Elements a ring member at position q sends. */
static double ag(int p, double n_local) { return (p - 1) * n_local; }   /* all-gather */
static double rs(int p, double n_out) { return (p - 1) * n_out; }       /* reduce-scatter */
static double ar(int p, size_t n, int q) {                              /* all-reduce */
  /* blocks of n/p (the first n % p one longer): reduce-scatter sends every
   * block but q's own, all-gather every block but (q+1)'s. */
  size_t base = n / (size_t)p, extra = n % (size_t)p;
#define CNT(k) (double)(base + ((size_t)(k) < extra))
  return p == 1 ? 0 : 2.0 * (double)n - CNT(q) - CNT((q + 1) % p);
#undef CNT
}

typedef struct {
  double linear, norm, embed, loss; /* bytes */
} bytes_by_op;

static bytes_by_op formula(const hc_method *m, int save) {
  int R = g_mesh.topo.R, C = g_mesh.topo.C, i = g_mesh.i, j = g_mesh.j;
  double e = g_hw.elem_bytes, L = g_cfg.n_layers, d = hc_model_head_dim(&g_cfg);
  double n1 = (double)m->T1 * m->h1, T2 = m->T2;
  double q = T2 * m->nh2 * d, kv = T2 * m->nkv2 * d, f = T2 * m->f2, v = T2 * m->V2;
  double again = save ? 0 : 1;
  double qkv = ag(R, n1) + rs(C, q) + 2 * rs(C, kv) + ag(C, q) + 2 * ag(C, kv) + rs(R, n1) + again * ag(R, n1);
  double wo = ag(C, q) + rs(R, n1) + ag(R, n1) + rs(C, q) + again * ag(C, q);
  double w13 = ag(R, n1) + 2 * rs(C, f) + 2 * ag(C, f) + rs(R, n1) + again * ag(R, n1);
  double w2 = ag(C, f) + rs(R, n1) + ag(R, n1) + rs(C, f) + again * ag(C, f);
  double head = ag(R, n1) + rs(C, v) + ag(C, v) + rs(R, n1) + again * ag(R, n1);
  /* Replicated KV heads: their gradients are all-reduced over the rows that share them. */
  int nkv = g_cfg.n_kv_heads, kr = nkv % R == 0 ? 1 : R / nkv;
  double kv_numel = m->nkv2 * d * m->h1;
  double replicas = kr > 1 ? 2 * ar(kr, (size_t)kv_numel, i % kr) : 0;
  bytes_by_op b;
  b.linear = e * (L * (qkv + wo + w13 + w2 + replicas) + head);
  /* RMSNorm: 2 per layer + final; forward and backward each all-reduce T1
   * fp32 sums over the row; the gains' gradients all-reduce over the column. */
  b.norm = 4.0 * (2 * L + 1) * 2 * ar(C, (size_t)m->T1, j) + e * (2 * L + 1) * ar(R, (size_t)m->h1, i);
  b.embed = e * (rs(R, n1) + ag(R, n1));
  /* Loss: max, target logit, sum of exp over the column (fp32); the loss
   * scalar over the row. */
  b.loss = 4.0 * (3 * ar(R, (size_t)T2, i) + ar(C, 1, j));
  return b;
}

static double sent(const hc_ledger *l, int op) {
  return (double)(l->tag[HC_PHASE_FWD][op].sent + l->tag[HC_PHASE_BWD][op].sent);
}

static void check(int save, int phantom) {
  hc_ledger l;
  hc_comm c;
  hc_ledger_init(&l, &g_mesh.topo, &g_hw, g_mesh.rank);
  hc_comm_init(&c, &g_mesh, &l, HC_ALGO_RING, phantom);
  int R = g_mesh.topo.R, C = g_mesh.topo.C, lcm = R > C ? R : C;
  while (lcm % R || lcm % C) lcm++;
  int b = 2 * lcm, s = 12;
  hc_hecaton_opts o = {.save_gathered = save, .algo = HC_ALGO_DEFAULT};
  hc_method m;
  hc_params p;
  hc_hecaton_method(&m, &p, &c, &g_cfg, b, s, phantom, &o);
  hc_params_init(&p, 3);
  hc_model md;
  hc_model_init(&md, &m);
  int *batch = hc_calloc((size_t)b * (size_t)(s + 1), sizeof(int));
  for (int k = 0; k < b * (s + 1); k++) batch[k] = (k * 37) % g_cfg.vocab_size;
  hc_params_zero_grads(&p);
  hc_model_forward(&md, batch);
  hc_model_backward(&md);
  bytes_by_op want = formula(&m, save);
  struct { const char *name; int op; double want; } rows[] = {
      {"linear", HC_OPK_LINEAR, want.linear}, {"norm", HC_OPK_NORM, want.norm},
      {"embedding", HC_OPK_EMBED, want.embed}, {"loss", HC_OPK_LOSS, want.loss}};
  for (size_t k = 0; k < 4; k++) {
    double got = sent(&l, rows[k].op);
    HC_CHECK_ALL(got == rows[k].want,
                 "chiplet (%d,%d) of %dx%d, %s, %s: sent %.0f bytes, closed form %.0f",
                 g_mesh.i, g_mesh.j, R, C, save ? "inputs saved" : "inputs gathered again",
                 rows[k].name, got, rows[k].want);
  }
  /* DESIGN's per-layer form for square meshes, inputs saved:
   * 2(n-1)/n^2 (6h + 2h_kv' + 3f) T e, h_kv' = max(n_kv, n) d. */
  if (save && R == C) {
    int n = R;
    double d = hc_model_head_dim(&g_cfg), hkv = (g_cfg.n_kv_heads > n ? g_cfg.n_kv_heads : n) * d;
    double T = (double)b * s, e = g_hw.elem_bytes;
    double layer = 2.0 * (n - 1) / ((double)n * n) * (6.0 * g_cfg.dim + 2 * hkv + 3.0 * g_cfg.ffn_dim) * T * e;
    double v = (double)m.T2 * m.V2, n1 = (double)m.T1 * m.h1;
    double head = e * (2 * (n - 1) * n1 + 2 * (n - 1) * v);
    int kr = g_cfg.n_kv_heads % n == 0 ? 1 : n / g_cfg.n_kv_heads;
    double replicas = kr > 1 ? e * 2 * ar(kr, (size_t)(m.nkv2 * d * m.h1), g_mesh.i % kr) : 0;
    double got = (sent(&l, HC_OPK_LINEAR) - head) / g_cfg.n_layers - replicas;
    HC_CHECK_ALL(got == layer, "%dx%d: linear bytes per layer %.0f, DESIGN's closed form %.0f", n,
                 n, got, layer);
  }
  free(batch);
  hc_model_free(&md);
  hc_hecaton_free(&m);
  hc_comm_free(&c);
  hc_ledger_free(&l);
}

static void test_saved_data(void) { check(1, 0); }
static void test_regathered_data(void) { check(0, 0); }
static void test_saved_phantom(void) { check(1, 1); }
static void test_regathered_phantom(void) { check(0, 1); }

static int setup(void) {
  const char *spec = NULL, *model = NULL;
  for (int a = 1; a + 1 < hc_test_argc; a++) {
    if (!strcmp(hc_test_argv[a], "--mesh")) spec = hc_test_argv[a + 1];
    if (!strcmp(hc_test_argv[a], "--model")) model = hc_test_argv[a + 1];
  }
  char err[HC_ERRLEN] = "";
  if (!spec || !model || hc_hw_load(HECATON_SOURCE_DIR "/models/hw/standard.ini", &g_hw, err, sizeof err) ||
      hc_model_config_load(model, &g_cfg, err, sizeof err)) {
    if (hc_test_rank == 0) fprintf(stderr, "usage: test_hecaton --mesh RxC --model FILE (%s)\n", err);
    return -1;
  }
  return hc_mesh_create(&g_mesh, spec, g_hw.io_edges);
}

int main(int argc, char **argv) {
  const hc_test tests[] = {
      {"bytes per op == closed form, inputs saved", test_saved_data},
      {"bytes per op == closed form, inputs gathered again", test_regathered_data},
      {"the same in phantom mode, inputs saved", test_saved_phantom},
      {"the same in phantom mode, inputs gathered again", test_regathered_phantom},
  };
  return hc_mpi_main(argc, argv, "hecaton", tests, sizeof tests / sizeof tests[0], setup);
}
