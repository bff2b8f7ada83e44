/* single.c: the single-process reference method: one chiplet holds every
 * tensor whole, so each parallel operation is its kernel and nothing else.
 * Each operation charges its FLOPs (the same counts the mesh methods charge
 * for their shards) to whatever cost model the method is given. */
#include <stdlib.h>

#include "hecaton/flops.h"
#include "hecaton/kernels.h"
#include "hecaton/model.h"
#include "hecaton/optim.h"
#include "hecaton/tags.h"
#include "hecaton/util.h"

static void embed_fwd(hc_method *m, float *x, const int *tok) {
  hc_embedding_forward(x, tok, hc_param_ptr(m->p, m->p->params, HC_P_TOK_EMBEDDINGS, -1),
                       m->T1, m->h1, 0, m->cfg.vocab_size);
}
static void embed_bwd(hc_method *m, const float *dx, const int *tok) {
  float *g = hc_param_ptr(m->p, m->p->grads, HC_P_TOK_EMBEDDINGS, -1);
  if (!g) return; /* frozen */
  hc_embedding_backward(g, dx, tok, m->T1, m->h1, 0, m->cfg.vocab_size);
  hc_method_charge(m, HC_PHASE_BWD, HC_OPK_EMBED, (double)m->T1 * m->h1, "embedding");
}
static void norm_fwd(hc_method *m, float *out, float *rstd, const float *x, const float *g) {
  hc_rmsnorm_forward(out, rstd, x, g, m->T1, m->h1, (float)m->cfg.norm_eps);
  hc_method_charge(m, HC_PHASE_FWD, HC_OPK_NORM, HC_FLOPS_NORM_FWD * (double)m->T1 * m->h1, "norm");
}
static void norm_bwd(hc_method *m, float *dx, float *dg, const float *dout, const float *rstd,
                     const float *x, const float *g) {
  hc_rmsnorm_backward(dx, dg, dout, rstd, x, g, m->T1, m->h1);
  hc_method_charge(m, HC_PHASE_BWD, HC_OPK_NORM, HC_FLOPS_NORM_BWD * (double)m->T1 * m->h1, "norm");
}
static void lin12_fwd(hc_method *m, int n, float *const *y, const float *x,
                      const float *const *w, const int *nout) {
  for (int k = 0; k < n; k++) {
    hc_matmul_forward(y[k], x, w[k], m->T1, m->h1, nout[k]);
    hc_method_charge(m, HC_PHASE_FWD, HC_OPK_LINEAR, hc_flops_matmul(m->T1, m->h1, nout[k]), "gemm");
  }
}
static void lin12_bwd(hc_method *m, int n, float *dx, float *const *dw, const float *const *dy,
                      const float *x, const float *const *w, const int *nout) {
  for (int k = 0; k < n; k++) {
    hc_matmul_backward(dx, NULL, dy[k], x, w[k], m->T1, m->h1, nout[k]);
    double wf = hc_method_wgrad(m, k, dw[k], dy[k], x, m->T1, m->h1, nout[k]);
    hc_method_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_flops_matmul(m->T1, m->h1, nout[k]) + wf,
                     "gemm");
  }
}
static void lin21_fwd(hc_method *m, float *y, const float *x, const float *w, int nin) {
  hc_matmul_forward(y, x, w, m->T2, nin, m->h1);
  hc_method_charge(m, HC_PHASE_FWD, HC_OPK_LINEAR, hc_flops_matmul(m->T2, nin, m->h1), "gemm");
}
static void lin21_bwd(hc_method *m, float *dx, float *dw, const float *dy, const float *x,
                      const float *w, int nin) {
  hc_matmul_backward(dx, NULL, dy, x, w, m->T2, nin, m->h1);
  double wf = hc_method_wgrad(m, 0, dw, dy, x, m->T2, nin, m->h1);
  hc_method_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_flops_matmul(m->T2, nin, m->h1) + wf, "gemm");
}
static float loss(hc_method *m, float *dlogits, const float *logits, const int *targets) {
  int T = m->b * m->s;
  hc_method_charge(m, HC_PHASE_FWD, HC_OPK_LOSS, HC_FLOPS_XENT * (double)T * m->V2, "cross-entropy");
  return hc_crossentropy_forward_backward(dlogits, logits, targets, T, m->V2, 1.0f / (float)T);
}
static double grad_sumsq(hc_method *m) { return hc_grad_sumsq(m->p->grads, m->p->n_train); }

static const hc_method_ops kSingleOps = {embed_fwd, embed_bwd, norm_fwd,  norm_bwd,
                                         lin12_fwd, lin12_bwd, lin21_fwd, lin21_bwd,
                                         loss,      NULL,      grad_sumsq, NULL,
                                         NULL};

void hc_single_method(hc_method *m, hc_params *p, int b, int s) {
  const hc_model_config *c = &p->cfg;
  *m = (hc_method){.name = "single", .cfg = *c, .b = b, .s = s};
  m->T1 = m->T2 = b * s;
  m->b2 = b;
  m->h1 = c->dim;
  m->nh2 = c->n_heads, m->nkv2 = c->n_kv_heads;
  m->f2 = c->ffn_dim, m->V2 = c->vocab_size;
  m->p = p;
  m->ops = &kSingleOps;
  m->lora_thin = 1;
}

void hc_single_method_costed(hc_method *m, void *cost,
                             void (*charge)(hc_method *m, int phase, int op, double flops,
                                            const char *name)) {
  hc_method_ops *ops = hc_malloc(sizeof *ops);
  *ops = kSingleOps;
  ops->charge = charge;
  m->ops = ops;
  m->ctx = ops;
  m->ledger = cost;
}

void hc_single_free(hc_method *m) {
  free(m->ctx);
  m->ctx = NULL;
  m->ops = &kSingleOps;
}
