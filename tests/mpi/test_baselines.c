/* test_baselines.c: the baselines' traffic against closed forms (one
 * forward and backward of a tiny model, data and phantom mode).
 *   megatron:    per chiplet, exactly: 4 all-reduces of T x h per layer
 *                (8 (N-1)/N T h e with even blocks), one more for the LM
 *                head's input gradient, one for the embedding, the
 *                replicated KV heads' gradients, and the loss statistics;
 *   megatron-sp: per chiplet: 8 (N-1) T/N h e per layer from the all-gathers
 *                and reduce-scatters, 2 (N-1) T/N h e more for gathering the
 *                inputs again in backward;
 *   megatron-dp: megatron-sp's forms in each block of g chiplets on its b/D
 *                sequences (N = g, T = T/D), the loss summed over the D
 *                blocks (one fp32 all-reduce: 2 (D-1) x 4 bytes summed
 *                over a data-parallel group), and the gradient all-reduce
 *                over the blocks, summed over the mesh 2 (D-1)/D P_c e for
 *                P_c parameter floats per chiplet (exact: a group's D
 *                chiplets hold the same shards);
 *   --recompute: full activation recomputation (megatron methods): the
 *                forward's collectives once more per layer (2 all-reduces
 *                of T x h; with SP 2 all-gathers and 2 reduce-scatters), and
 *                the saved activations (hc_model_saved_floats) fall by L-1
 *                layers' worth of everything but the residual stream;
 *   summa:       summed over the mesh, a linear group with K inputs shared
 *                by outputs N_k moves 3 (q-1) (T K + K sum_k N_k) elements.
 * Run as: mpiexec -n R*C test_baselines --mesh RxC --model FILE --method M */
#include <math.h>
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
static const char *g_method;
static int g_recompute; /* --recompute full: 1 */

/* Elements a ring member at position q sends in an all-reduce of n. */
static double ar(int p, size_t n, int q) {
  size_t base = n / (size_t)p, extra = n % (size_t)p;
#define CNT(k) (double)(base + ((size_t)(k) < extra))
  return p == 1 ? 0 : 2.0 * (double)n - CNT(q) - CNT((q + 1) % p);
#undef CNT
}

static double sent(const hc_ledger *l, int op) {
  return (double)(l->tag[HC_PHASE_FWD][op].sent + l->tag[HC_PHASE_BWD][op].sent);
}

static void check(int phantom) {
  hc_ledger l;
  hc_comm c;
  hc_ledger_init(&l, &g_mesh.topo, &g_hw, g_mesh.rank);
  hc_comm_init(&c, &g_mesh, &l, HC_ALGO_RING, phantom);
  int R = g_mesh.topo.R, C = g_mesh.topo.C, N = R * C, r = g_mesh.rank;
  int b = 2 * N, s = 12;
  hc_method m;
  hc_params p;
  int dp = !strcmp(g_method, "megatron-dp"), sp = dp || !strcmp(g_method, "megatron-sp");
  int D = dp ? N / hc_megatron_dp_size(&g_cfg, R, C, b, s) : 1;
  if (!strcmp(g_method, "summa")) hc_summa_method(&m, &p, &c, &g_cfg, b, s, phantom);
  else if (dp) hc_megatron_dp_method(&m, &p, &c, &g_cfg, b, s, phantom, 0);
  else hc_megatron_method(&m, &p, &c, &g_cfg, b, s, sp, phantom, 0);
  m.recompute = g_recompute ? HC_RECOMPUTE_FULL : HC_RECOMPUTE_SELECTIVE;
  hc_params_init(&p, 3);
  hc_model md;
  hc_model_init(&md, &m);
  int *batch = hc_calloc((size_t)b * (size_t)(s + 1), sizeof(int));
  for (int k = 0; k < b * (s + 1); k++) batch[k] = (k * 37) % g_cfg.vocab_size;
  hc_params_zero_grads(&p);
  hc_model_forward(&md, batch);
  hc_model_backward(&md);

  double e = g_hw.elem_bytes, L = g_cfg.n_layers, h = g_cfg.dim, f = g_cfg.ffn_dim;
  double d = hc_model_head_dim(&g_cfg), T = (double)b * s, V = g_cfg.vocab_size;
  int nkv = g_cfg.n_kv_heads;
  if (strcmp(g_method, "summa")) { /* Megatron, per chiplet */
    /* megatron-dp: one block's Megatron-SP on its sequences. (r is this
     * chiplet's ring position only where the blocks divide evenly.) */
    N /= D, T /= D;
    size_t Th = (size_t)(T * h);
    int kr = nkv % N == 0 ? 1 : N / nkv;
    double replicas = kr > 1 ? 2 * ar(kr, (size_t)(m.nkv2 * d * h), r % kr) : 0;
    double lin, emb, norm;
    if (!sp) {
      lin = e * (L * ((4 + 2 * g_recompute) * ar(N, Th, r) + replicas) + ar(N, Th, r));
      emb = e * ar(N, Th, r), norm = 0;
    } else {
      double blk = (N - 1) * (T / N) * h; /* one all-gather or reduce-scatter */
      lin = e * (L * (8 * blk + 2 * blk + 4 * g_recompute * blk + replicas) + 3 * blk);
      emb = e * 2 * blk;
      norm = e * (2 * L + 1) * ar(N, (size_t)h, r);
    }
    double loss = 4.0 * 3 * ar(N, (size_t)T, r);
    if (D > 1) { /* the loss scalar and the gradients, summed over the mesh */
      double mine[2] = {sent(&l, HC_OPK_LOSS) - loss, sent(&l, HC_OPK_OTHER)}, tot[2];
      double want[2] = {4.0 * 2 * (D - 1) * N, 2.0 * (D - 1) / D * e * (double)p.n_params}, wsum;
      MPI_Allreduce(mine, tot, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      MPI_Allreduce(&want[1], &wsum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      HC_CHECK_ALL(tot[0] == want[0], "%s on %dx%d: loss scalar bytes over the mesh %.0f, closed "
                   "form %.0f", g_method, R, C, tot[0], want[0]);
      HC_CHECK_ALL(fabs(tot[1] - wsum) <= 1e-9 * wsum,
                   "%s on %dx%d: gradient all-reduce bytes over the mesh %.0f, closed form 2 (D-1)/D"
                   " P e = %.0f (D = %d)", g_method, R, C, tot[1], wsum, D);
      /* A ring member sends the scalar once or twice (its ends once). */
      HC_CHECK_ALL(mine[0] == 4 || mine[0] == 8, "%s: chiplet %d sends %.0f bytes of the loss "
                   "scalar, expected 4 or 8", g_method, r, mine[0]);
      loss += mine[0];
    } else {
      HC_CHECK_ALL(sent(&l, HC_OPK_OTHER) == 0, "%s: %.0f bytes under 'other'", g_method,
                   sent(&l, HC_OPK_OTHER));
    }
    struct { const char *name; int op; double want; } rows[] = {
        {"linear", HC_OPK_LINEAR, lin}, {"embedding", HC_OPK_EMBED, emb},
        {"norm", HC_OPK_NORM, norm}, {"loss", HC_OPK_LOSS, loss}};
    for (size_t k = 0; k < 4; k++)
      HC_CHECK_ALL(sent(&l, rows[k].op) == rows[k].want,
                   "%s on %dx%d, chiplet %d, %s: sent %.0f bytes, closed form %.0f", g_method, R,
                   C, r, rows[k].name, sent(&l, rows[k].op), rows[k].want);
    if (!sp && kr == 1 && N > 1 && !g_recompute) { /* DESIGN's 8 (N-1)/N T h e per layer (even blocks) */
      double layer = (sent(&l, HC_OPK_LINEAR) - e * ar(N, Th, r)) / L;
      HC_CHECK_ALL(layer == 8.0 * (N - 1) / N * T * h * e,
                   "megatron per-layer bytes %.0f, 8 (N-1)/N T h e = %.0f", layer,
                   8.0 * (N - 1) / N * T * h * e);
    }
  } else { /* SUMMA, summed over the mesh */
    int q = R;
    double kvN = q * m.nkv2 * d; /* KV outputs as the mesh sees them (replicas counted) */
    double grp = 0;
#define GROUP(K, NSUM) (grp += 3.0 * (q - 1) * ((T) * (K) + (K) * (NSUM)))
    GROUP(h, h + 2 * kvN); /* q, k, v share their input */
    GROUP(h, h);           /* wo */
    GROUP(h, 2 * f);       /* w1, w3 */
    GROUP(f, h);           /* w2 */
#undef GROUP
    double head = 3.0 * (q - 1) * (T * h + h * V);
    int kr = nkv % q == 0 ? 1 : q / nkv;
    double mine_rep = kr > 1 ? 2 * ar(kr, (size_t)(m.nkv2 * d * m.h1), g_mesh.j % kr) : 0;
    double mine = sent(&l, HC_OPK_LINEAR), total, rep;
    MPI_Allreduce(&mine, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(&mine_rep, &rep, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double want = e * (L * grp + head) + e * L * rep;
    HC_CHECK_ALL(total == want, "summa on %dx%d: linear bytes over the mesh %.0f, closed form %.0f",
                 q, q, total, want);
  }
  if (g_recompute) { /* one layer's activations kept, not L */
    hc_act_size sz[HC_NACTS];
    hc_model_act_table(&m, sz);
    double layer = 0, kept = hc_model_saved_floats(&m);
    for (int k = HC_ACT_XN1; k <= HC_ACT_HSW; k++) layer += (double)sz[k].per;
    m.recompute = HC_RECOMPUTE_SELECTIVE;
    double all = hc_model_saved_floats(&m);
    m.recompute = HC_RECOMPUTE_FULL;
    HC_CHECK_ALL(kept == all - (L - 1) * layer,
                 "%s --recompute: saved floats %.0f, closed form %.0f - (L-1) x %.0f = %.0f",
                 g_method, kept, all, layer, all - (L - 1) * layer);
  }
  free(batch);
  hc_model_free(&md);
  if (!strcmp(g_method, "summa")) hc_summa_free(&m);
  else hc_megatron_free(&m);
  hc_comm_free(&c);
  hc_ledger_free(&l);
}

static void test_data(void) { check(0); }
static void test_phantom(void) { check(1); }

static int setup(void) {
  const char *spec = NULL, *model = NULL;
  for (int a = 1; a + 1 < hc_test_argc; a++) {
    if (!strcmp(hc_test_argv[a], "--mesh")) spec = hc_test_argv[a + 1];
    if (!strcmp(hc_test_argv[a], "--model")) model = hc_test_argv[a + 1];
    if (!strcmp(hc_test_argv[a], "--method")) g_method = hc_test_argv[a + 1];
    if (!strcmp(hc_test_argv[a], "--recompute")) g_recompute = !strcmp(hc_test_argv[a + 1], "full");
  }
  char err[HC_ERRLEN] = "";
  if (!spec || !model || !g_method ||
      hc_hw_load(HECATON_SOURCE_DIR "/models/hw/standard.ini", &g_hw, err, sizeof err) ||
      hc_model_config_load(model, &g_cfg, err, sizeof err)) {
    if (hc_test_rank == 0)
      fprintf(stderr, "usage: test_baselines --mesh RxC --model FILE --method M (%s)\n", err);
    return -1;
  }
  return hc_mesh_create(&g_mesh, spec, g_hw.io_edges);
}

int main(int argc, char **argv) {
  const hc_test tests[] = {
      {"bytes == closed form, data mode", test_data},
      {"bytes == closed form, phantom mode", test_phantom},
  };
  return hc_mpi_main(argc, argv, "baselines", tests, sizeof tests / sizeof tests[0], setup);
}
