/* common.c: what the mesh methods share (internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/cost.h"
#include "hecaton/flops.h"
#include "hecaton/kernels.h"
#include "hecaton/optim.h"
#include "hecaton/parallel.h"
#include "hecaton/util.h"
#include "internal.h"
#include "mappings.h"

const char *hc_par_nearest(int x, int want, char *buf, size_t len) {
  int lo = 1, hi = -1;
  for (int d = 1; d <= x; d++)
    if (x % d == 0) {
      if (d <= want) lo = d;
      if (d >= want && hi < 0) hi = d;
    }
  if (hi < 0 || hi == lo) snprintf(buf, len, "%d", lo);
  else snprintf(buf, len, "%d or %d", lo, hi);
  return buf;
}

void hc_par_vocab_block(size_t V, int n, int k, size_t *v0, size_t *nv) {
  size_t per = (V + (size_t)n - 1) / (size_t)n;
  *v0 = (size_t)k * per;
  if (*v0 > V) *v0 = V; /* past the end: an empty block */
  *nv = *v0 >= V ? 0 : (*v0 + per <= V ? per : V - *v0);
}

int hc_par_kv_block(int n_kv, int n, int k, int *kv_lo, int *nkv, int *share) {
  if (n_kv % n == 0) {
    *nkv = n_kv / n, *kv_lo = k * *nkv, *share = 1;
    return 0;
  }
  if (n % n_kv == 0) {
    *nkv = 1, *share = n / n_kv, *kv_lo = k / *share;
    return 0;
  }
  return -1;
}

void hc_saved_push(hc_saved *s, const float *src, size_t n) {
  if (s->depth == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    float **nb = hc_malloc((size_t)s->cap * sizeof *nb);
    size_t *nn = hc_malloc((size_t)s->cap * sizeof *nn);
    if (s->depth) {
      memcpy(nb, s->buf, (size_t)s->depth * sizeof *nb);
      memcpy(nn, s->n, (size_t)s->depth * sizeof *nn);
    }
    free(s->buf), free(s->n);
    s->buf = nb, s->n = nn;
  }
  float *copy = NULL;
  if (src) {
    copy = hc_malloc(n * sizeof(float));
    memcpy(copy, src, n * sizeof(float));
  }
  s->buf[s->depth] = copy, s->n[s->depth++] = n;
  s->bytes += n * sizeof(float);
  if (s->bytes > s->peak) s->peak = s->bytes;
}

void hc_saved_pop(hc_saved *s, float *dst, size_t n) {
  HC_ASSERT(s->depth > 0 && s->n[s->depth - 1] == n);
  float *b = s->buf[--s->depth];
  if (b && dst) memcpy(dst, b, n * sizeof(float));
  free(b);
  s->bytes -= n * sizeof(float);
}

void hc_saved_free(hc_saved *s) {
  for (int k = 0; k < s->depth; k++) free(s->buf[k]);
  free(s->buf), free(s->n);
  memset(s, 0, sizeof *s);
}

void hc_par_2d_embedding_forward(hc_method *m, float *x1, const int *tok) {
  const hc_par_2d *l = m->ctx;
  int T = m->b * m->s;
  if (!m->phantom)
    hc_embedding_forward(l->scratch, tok, hc_param_ptr(m->p, m->p->params, HC_P_TOK_EMBEDDINGS, -1),
                         T, m->h1, (int)l->v0, (int)l->nv);
  hc_map_reduce_scatter(l->c, &l->c->col, hc_map_on(HC_PHASE_FWD, HC_OPK_EMBED, l->algo),
                        l->scratch, x1, (size_t)m->T1 * m->h1);
}

void hc_par_2d_embedding_backward(hc_method *m, const float *dx1, const int *tok) {
  const hc_par_2d *l = m->ctx;
  int T = m->b * m->s;
  hc_map_gather(l->c, &l->c->col, hc_map_on(HC_PHASE_BWD, HC_OPK_EMBED, l->algo), dx1,
                l->scratch, (size_t)m->T1 * m->h1);
  if (!m->phantom && hc_param_ptr(m->p, m->p->grads, HC_P_TOK_EMBEDDINGS, -1)) /* (not frozen) */
    hc_embedding_backward(hc_param_ptr(m->p, m->p->grads, HC_P_TOK_EMBEDDINGS, -1), l->scratch,
                          tok, T, m->h1, (int)l->v0, (int)l->nv);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_EMBED, (double)T * m->h1, "embedding");
}

void hc_par_2d_rmsnorm_forward(hc_method *m, float *out, float *rstd, const float *x1,
                               const float *g) {
  const hc_par_2d *l = m->ctx;
  double n = (double)m->T1 * m->h1;
  if (!m->phantom) hc_rmsnorm_sumsq(rstd, x1, m->T1, m->h1);
  hc_par_charge(m, HC_PHASE_FWD, HC_OPK_NORM, 0.5 * HC_FLOPS_NORM_FWD * n, "norm");
  hc_map_all_reduce(l->c, &l->c->row, hc_map_stats_on(HC_PHASE_FWD, HC_OPK_NORM, l->algo), rstd,
                    rstd, (size_t)m->T1, HC_RED_SUM);
  if (!m->phantom)
    hc_rmsnorm_apply(out, rstd, x1, g, m->T1, m->h1, m->cfg.dim, (float)m->cfg.norm_eps);
  hc_par_charge(m, HC_PHASE_FWD, HC_OPK_NORM, 0.5 * HC_FLOPS_NORM_FWD * n, "norm");
}

void hc_par_2d_rmsnorm_backward(hc_method *m, float *dx1, float *dg, const float *dout,
                                const float *rstd, const float *x1, const float *g) {
  const hc_par_2d *l = m->ctx;
  double n = (double)m->T1 * m->h1;
  if (!m->phantom) hc_rmsnorm_dot(l->stat, dout, x1, g, m->T1, m->h1);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_NORM, 0.375 * HC_FLOPS_NORM_BWD * n, "norm");
  hc_map_all_reduce(l->c, &l->c->row, hc_map_stats_on(HC_PHASE_BWD, HC_OPK_NORM, l->algo),
                    l->stat, l->stat, (size_t)m->T1, HC_RED_SUM);
  if (!m->phantom)
    hc_rmsnorm_backward_apply(dx1, dg, dout, rstd, l->stat, x1, g, m->T1, m->h1, m->cfg.dim);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_NORM, 0.625 * HC_FLOPS_NORM_BWD * n, "norm");
}

float hc_par_vocab_loss(hc_method *m, hc_comm *c, hc_group *vocab, hc_group *tokens,
                        float *dlogits, const float *logits, const int *targets, int T, int Vl,
                        size_t v0, int T_global, float *stat) {
  int phantom = m->phantom;
  size_t n = (size_t)T;
  float *mx = stat, *tl = phantom ? NULL : stat + n, *se = phantom ? NULL : stat + 2 * n;
  double flops = 0.5 * HC_FLOPS_XENT * (double)T * Vl; /* a third per pass, counted twice in finish */
  hc_map_tag stats = hc_map_stats_on(HC_PHASE_FWD, HC_OPK_LOSS, HC_ALGO_DEFAULT);
  if (!phantom) hc_xent_local_stats(mx, tl, logits, targets, T, Vl, (int)v0);
  hc_par_charge(m, HC_PHASE_FWD, HC_OPK_LOSS, flops / 1.5, "xent");
  hc_map_all_reduce(c, vocab, stats, mx, mx, n, HC_RED_MAX);
  hc_map_all_reduce(c, vocab, stats, tl, tl, n, HC_RED_SUM);
  if (!phantom) hc_xent_local_sumexp(se, logits, mx, T, Vl);
  hc_par_charge(m, HC_PHASE_FWD, HC_OPK_LOSS, flops / 1.5, "xent");
  hc_map_all_reduce(c, vocab, stats, se, se, n, HC_RED_SUM);
  float part = 0, total = 0;
  if (!phantom)
    part = hc_xent_finish(dlogits, logits, mx, se, tl, targets, T, Vl, (int)v0, 1.0f / (float)T_global);
  hc_par_charge(m, HC_PHASE_FWD, HC_OPK_LOSS, flops / 1.5, "xent");
  total = part;
  if (tokens)
    hc_map_all_reduce(c, tokens, stats, phantom ? NULL : &part, phantom ? NULL : &total, 1,
                      HC_RED_SUM);
  return total;
}

double hc_par_grad_sumsq(hc_method *m, hc_comm *c) {
  const hc_params *p = m->p;
  double ss = 0;
  if (!m->phantom)
    for (size_t t = 0; t < p->n_tensors; t++)
      if (p->tensors[t].owner && p->tensors[t].goff != HC_FROZEN)
        ss += hc_grad_sumsq(p->grads + p->tensors[t].goff, p->tensors[t].numel);
  float v = (float)ss, total = 0;
  hc_map_all_reduce(c, &c->all, hc_map_stats_on(HC_PHASE_OPT, HC_OPK_OTHER, HC_ALGO_DEFAULT),
                    m->phantom ? NULL : &v, m->phantom ? NULL : &total, 1, HC_RED_SUM);
  return total;
}

/* The operation's first charge hands its working set (model.h) to the SRAM
 * model, which fetches what it needs from DRAM before the compute starts. */
static void hand_over_workset(hc_method *m) {
  if (m->ws) hc_ledger_workset(m->ledger, m->ws);
  m->ws = NULL;
}

void hc_par_charge(hc_method *m, int phase, int op, double flops, const char *name) {
  hc_ledger *l = m->ledger;
  hc_ledger_set_tag(l, phase, op);
  hand_over_workset(m);
  hc_ledger_compute(l, flops, name);
}

double hc_par_charge_at(hc_method *m, int phase, int op, double flops, double ready,
                        const char *name) {
  hc_ledger_set_tag(m->ledger, phase, op);
  hand_over_workset(m);
  return hc_ledger_compute_at(m->ledger, flops, ready, name);
}

void hc_par_grads_done(hc_method *m, hc_comm *c, hc_group *norms, hc_group *kv) {
  if (m->cfg.lora_rank > 0) {
    /* LoRA: the base is frozen and the gradients are the adapters'. A
     * chiplet's share of each is its target block's; the shares of every
     * chiplet holding the same part (the rest of its row or column, KV
     * replicas, data-parallel copies) sum to the gradient. */
    for (size_t t = 0; t < m->p->n_tensors; t++) {
      hc_tensor *x = &m->p->tensors[t];
      if (x->spec.kind < HC_P_NKINDS) continue;
      void *g[3];
      int n = m->ops->adapter_groups(m, x->spec.target, x->spec.kind == HC_P_LORA_B, g);
      float *d = hc_tensor_in(m->p, m->p->grads, x);
      for (int k = 0; k < n; k++)
        hc_map_all_reduce(c, g[k], hc_map_on(HC_PHASE_BWD, HC_OPK_LINEAR, HC_ALGO_DEFAULT), d, d,
                          x->numel, HC_RED_SUM);
    }
    return;
  }
  for (size_t t = 0; t < m->p->n_tensors; t++) {
    hc_tensor *tt = &m->p->tensors[t];
    float *g = hc_tensor_in(m->p, m->p->grads, tt);
    int kind = tt->spec.kind;
    if (norms && (kind == HC_P_ATTENTION_NORM || kind == HC_P_FFN_NORM || kind == HC_P_NORM))
      hc_map_all_reduce(c, norms, hc_map_on(HC_PHASE_BWD, HC_OPK_NORM, HC_ALGO_DEFAULT), g, g,
                        tt->numel, HC_RED_SUM);
    else if (kv && (kind == HC_P_WK || kind == HC_P_WV))
      hc_map_all_reduce(c, kv, hc_map_on(HC_PHASE_BWD, HC_OPK_LINEAR, HC_ALGO_DEFAULT), g, g,
                        tt->numel, HC_RED_SUM);
  }
}
