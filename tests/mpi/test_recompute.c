/* test_recompute.c: activation recomputation (model.h: none, selective,
 * full) under one mesh method of the registry, one forward and backward of
 * a tiny model, data mode and phantom mode, against closed forms:
 *   saved floats per chiplet (hc_model_saved_floats), from the layouts: the
 *     residual stream (L+1) T1 h1, per layer A = 3 T1 h1 + 2 T1 + 2 T2 nh2 d
 *     + 2 T2 nkv2 d + b2 nh2 s + 3 T2 f2 (xn1, xmid, xn2; rstd1, rstd2; q,
 *     att; k, v; lse; gate, up, hsw), the final norm and logits T1 h1 + T1
 *     + 2 T2 V2, and what the method keeps (saved_extra): selective keeps L
 *     layers' A, none adds L b2 nh2 s^2 probabilities, full keeps one
 *     layer's A; the allocation grows by exactly the probabilities;
 *   attention FLOPs (ledger, forward and backward): forward L (rope + fwd),
 *     full 2 L; backward L (rope + bwd + recompute), none without the
 *     recompute (flops.h); every other FLOP and every byte on the links is
 *     the same under none and selective;
 *   the SRAM model: with a die too small for anything, the saved
 *     activations that spill grow by the probabilities' bytes under none;
 *     attention's working set stays (the probabilities leave the die as
 *     they are made and count once, with the saved activations);
 *   data mode: the loss and every gradient are the same bit for bit under
 *     the three modes (the same sgemms, exps and collectives).
 * Run as: mpiexec -n R*C test_recompute --mesh RxC --model FILE --method M */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hecaton/comm.h"
#include "hecaton/cost.h"
#include "hecaton/flops.h"
#include "hecaton/methods.h"
#include "hecaton/util.h"

static hc_mesh g_mesh;
static hc_hw g_hw;
static hc_model_config g_cfg;
static const char *g_method;

typedef struct {
  double saved, bytes, loss, spill, attn_set[2];
  double flops[HC_NPHASES][HC_NOPKINDS], sent[HC_NPHASES][HC_NOPKINDS];
  float *grads; /* data mode: a copy */
  size_t ngrads;
  hc_method m;  /* its layouts (the method itself is freed) */
} run;

static void step(hc_recompute mode, int phantom, double sram, run *out) {
  hc_hw hw = g_hw;
  if (sram > 0) hw.sram_bytes = sram;
  hc_ledger l;
  hc_comm c;
  hc_ledger_init(&l, &g_mesh.topo, &hw, g_mesh.rank);
  hc_comm_init(&c, &g_mesh, &l, HC_ALGO_RING, phantom);
  int N = g_mesh.topo.R * g_mesh.topo.C, b = 2 * N, s = 12;
  hc_method m;
  hc_params p;
  hc_method_opts o = {.recompute = mode};
  hc_method_find(g_method)->make(&m, &p, &c, &g_cfg, b, s, phantom, &o);
  hc_params_init(&p, 3);
  hc_model md;
  hc_model_init(&md, &m);
  int *batch = hc_calloc((size_t)b * (size_t)(s + 1), sizeof(int));
  for (int k = 0; k < b * (s + 1); k++) batch[k] = (k * 37) % g_cfg.vocab_size;
  memset(out, 0, sizeof *out);
  out->saved = hc_model_saved_floats(&m);
  out->bytes = (double)md.bytes;
  hc_ledger_sram_plan(&l, HC_SCHED_LAYER, 1, (double)p.n_params, (double)p.n_train, out->saved);
  hc_params_zero_grads(&p);
  out->loss = hc_model_forward(&md, batch);
  hc_model_backward(&md);
  hc_ledger_sram_finish(&l, 0);
  out->spill = l.sram.saved_spill;
  for (int k = 0; k < l.nsram; k++)
    if (!strcmp(l.sram_rows[k].name, "attention"))
      out->attn_set[l.sram_rows[k].phase == HC_PHASE_BWD] = l.sram_rows[k].set;
  for (int ph = 0; ph < HC_NPHASES; ph++)
    for (int op = 0; op < HC_NOPKINDS; op++)
      out->flops[ph][op] = l.flops[ph][op], out->sent[ph][op] = (double)l.tag[ph][op].sent;
  if (!phantom) {
    out->ngrads = p.n_train;
    out->grads = hc_malloc(p.n_train * sizeof(float));
    memcpy(out->grads, p.grads, p.n_train * sizeof(float));
  }
  out->m = m;
  free(batch);
  hc_model_free(&md);
  hc_method_of(&m)->free(&m);
  hc_comm_free(&c);
  hc_ledger_free(&l);
}

static int close_to(double a, double b) { return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b)); }

static void check(int phantom) {
  char err[HC_ERRLEN];
  int R = g_mesh.topo.R, C = g_mesh.topo.C, N = R * C;
  int can = hc_method_check(g_method, &g_cfg, R, C, 2 * N, 12, err, sizeof err) == 0;
  HC_CHECK_ALL(can, "%s cannot run on %dx%d: %s", g_method, R, C, err);
  if (!can) return;
  const hc_recompute modes[3] = {HC_RECOMPUTE_NONE, HC_RECOMPUTE_SELECTIVE, HC_RECOMPUTE_FULL};
  run r[3];
  for (int k = 0; k < 3; k++) step(modes[k], phantom, 0, &r[k]);
  const hc_method *m = &r[1].m;
  double L = g_cfg.n_layers, d = hc_model_head_dim(&g_cfg), e = g_hw.elem_bytes;
  double n1 = (double)m->T1 * m->h1, T1 = m->T1, T2 = m->T2, s = m->s;
  double nq = T2 * m->nh2 * d, nkv = T2 * m->nkv2 * d, nlse = (double)m->b2 * m->nh2 * s;
  double A = 3 * n1 + 2 * T1 + 2 * nq + 2 * nkv + nlse + 3 * T2 * m->f2;
  double ends = (L + 1) * n1 + n1 + T1 + 2 * T2 * m->V2, probs = nlse * s;
  double want[3] = {ends + L * A + L * probs + r[0].m.saved_extra, ends + L * A + m->saved_extra,
                    ends + A + r[2].m.saved_extra};
  for (int k = 0; k < 3; k++)
    HC_CHECK_ALL(r[k].saved == want[k], "%s on %dx%d, recompute %s: saved floats %.0f, closed "
                 "form %.0f", g_method, R, C, hc_recompute_name(modes[k]), r[k].saved, want[k]);
  if (!phantom)
    HC_CHECK_ALL(r[0].bytes - r[1].bytes == sizeof(float) * L * probs,
                 "%s: activation memory none %.0f B, selective %.0f B: expected %.0f B more",
                 g_method, r[0].bytes, r[1].bytes, sizeof(float) * L * probs);
  /* Attention FLOPs per mode. */
  double rope = HC_FLOPS_ROPE * T2 * (m->nh2 + m->nkv2) * d;
  double fwd = rope + hc_flops_attention_fwd(m->b2, s, m->nh2, d);
  double bwd = rope + hc_flops_attention_bwd(m->b2, s, m->nh2, d);
  double again = hc_flops_attention_recompute(m->b2, s, m->nh2, d);
  double wf[3] = {L * fwd, L * fwd, 2 * L * fwd}, wb[3] = {L * bwd, L * (bwd + again),
                                                          L * (bwd + again)};
  for (int k = 0; k < 3; k++) {
    double gf = r[k].flops[HC_PHASE_FWD][HC_OPK_ATTN], gb = r[k].flops[HC_PHASE_BWD][HC_OPK_ATTN];
    HC_CHECK_ALL(close_to(gf, wf[k]) && close_to(gb, wb[k]),
                 "%s, recompute %s: attention FLOPs forward %.6g backward %.6g, closed forms "
                 "%.6g and %.6g", g_method, hc_recompute_name(modes[k]), gf, gb, wf[k], wb[k]);
  }
  /* none and selective differ only there. */
  int same = 1;
  for (int ph = 0; ph < HC_NPHASES; ph++)
    for (int op = 0; op < HC_NOPKINDS; op++) {
      same &= r[0].sent[ph][op] == r[1].sent[ph][op];
      if (!(ph == HC_PHASE_BWD && op == HC_OPK_ATTN)) same &= r[0].flops[ph][op] == r[1].flops[ph][op];
    }
  HC_CHECK_ALL(same, "%s: none and selective differ beyond attention's backward FLOPs", g_method);
  /* Numerics: the same loss and gradients, bit for bit. */
  if (!phantom)
    for (int k = 0; k < 3; k += 2) {
      size_t bad = r[1].ngrads;
      for (size_t i = 0; i < r[1].ngrads && bad == r[1].ngrads; i++)
        if (memcmp(&r[k].grads[i], &r[1].grads[i], sizeof(float))) bad = i;
      HC_CHECK_ALL(r[k].loss == r[1].loss && bad == r[1].ngrads,
                   "%s, recompute %s vs selective: loss %.9g vs %.9g, gradient [%zu] %.9g vs %.9g",
                   g_method, hc_recompute_name(modes[k]), r[k].loss, r[1].loss, bad,
                   bad < r[1].ngrads ? r[k].grads[bad] : 0.0, bad < r[1].ngrads ? r[1].grads[bad] : 0.0);
    }
  for (int k = 0; k < 3; k++) free(r[k].grads);
  /* The SRAM model on a die that holds nothing: the spill grows by the
   * probabilities, attention's working set does not. */
  run t[2];
  for (int k = 0; k < 2; k++) step(modes[k], phantom, 1024, &t[k]);
  free(t[0].grads), free(t[1].grads);
  HC_CHECK_ALL(close_to(t[0].spill - t[1].spill, e * L * probs),
               "%s: saved activations spilled none %.0f B, selective %.0f B, expected %.0f B more",
               g_method, t[0].spill, t[1].spill, e * L * probs);
  for (int bw = 0; bw < 2; bw++)
    HC_CHECK_ALL(t[0].attn_set[bw] == t[1].attn_set[bw] && t[1].attn_set[bw] > 0,
                 "%s: attention %s working set none %.0f B, selective %.0f B, expected the same",
                 g_method, bw ? "backward" : "forward", t[0].attn_set[bw], t[1].attn_set[bw]);
}

static void test_data(void) { check(0); }
static void test_phantom(void) { check(1); }

static int setup(void) {
  const char *spec = NULL, *model = NULL;
  for (int a = 1; a + 1 < hc_test_argc; a++) {
    if (!strcmp(hc_test_argv[a], "--mesh")) spec = hc_test_argv[a + 1];
    if (!strcmp(hc_test_argv[a], "--model")) model = hc_test_argv[a + 1];
    if (!strcmp(hc_test_argv[a], "--method")) g_method = hc_test_argv[a + 1];
  }
  char err[HC_ERRLEN] = "";
  if (!spec || !model || !g_method || !hc_method_find(g_method) ||
      hc_hw_load(HECATON_SOURCE_DIR "/models/hw/standard.ini", &g_hw, err, sizeof err) ||
      hc_model_config_load(model, &g_cfg, err, sizeof err)) {
    if (hc_test_rank == 0)
      fprintf(stderr, "usage: test_recompute --mesh RxC --model FILE --method M (%s)\n", err);
    return -1;
  }
  return hc_mesh_create(&g_mesh, spec, g_hw.io_edges);
}

int main(int argc, char **argv) {
  const hc_test tests[] = {
      {"recompute none/selective/full == closed forms, data mode", test_data},
      {"recompute none/selective/full == closed forms, phantom mode", test_phantom},
  };
  return hc_mpi_main(argc, argv, "recompute", tests, sizeof tests / sizeof tests[0], setup);
}
