/* model.c: one Llama training step's forward and backward through a
 * method's layouts and parallel operations (model.h). */
#include "hecaton/model.h"

#include <stdlib.h>
#include <string.h>

#include "hecaton/flops.h"
#include "hecaton/kernels.h"
#include "hecaton/lora.h"
#include "hecaton/profile.h"
#include "hecaton/tags.h"
#include "hecaton/util.h"

double hc_method_wgrad(hc_method *m, int k, float *dw, const float *dy, const float *x, int T,
                       int nin, int nout) {
  if (m->lora[k]) {
    if (!m->phantom) hc_lora_wgrad(m->lora[k], dy, x, T, nin, nout);
    return hc_lora_wgrad_flops(T, nin, nout, m->lora[k]->rank);
  }
  if (m->frozen >> k & 1u) return 0;
  if (!m->phantom && dw) hc_matmul_backward(NULL, dw, dy, x, NULL, T, nin, nout);
  return hc_flops_matmul(T, nin, nout);
}

void hc_method_charge(hc_method *m, int phase, int op, double flops, const char *name) {
  if (m->ops->charge) m->ops->charge(m, phase, op, flops, name);
}

void hc_method_charge_ws(hc_method *m, int phase, int op, double flops, const hc_workset *ws,
                         const char *name) {
  m->ws = ws;
  hc_method_charge(m, phase, op, flops, name);
  m->ws = NULL;
}

/* Working sets (workset.h) of the model's operations, from the method's
 * layouts. A linear between L1 (T1 x h1) and L2 (T2 x n2) with its n2 x h1
 * weight block; backward reads dY and X, writes dX and adds to dW. */
static hc_workset linear_ws(const hc_method *m, const char *name, double n2, int l1_to_l2,
                            int backward) {
  double x1 = (double)m->T1 * m->h1, x2 = (double)m->T2 * n2, w = n2 * m->h1;
  double in = l1_to_l2 ? x1 : x2, out = l1_to_l2 ? x2 : x1;
  hc_workset s = {name, w, 0, 0, in, out, 1, 0};
  if (backward) s.grads = w, s.in = in + out, s.out = in;
  return s;
}
/* Row by row (norms, residual adds, SwiGLU, the loss). */
static hc_workset rows_ws(const char *name, double weights, double in, double out) {
  hc_workset s = {name, weights, 0, 0, in, out, 1, 0};
  return s;
}
/* Attention, one sequence and query head at a time: its Q rows stream past
 * the head's K and V (backward: Q, O, dO in; dQ, dK, dV out). */
static hc_workset attention_ws(const hc_method *m, int backward) {
  double sd = (double)m->s * hc_model_head_dim(&m->cfg), io = backward ? 3 * sd : sd;
  hc_workset s = {"attention", 0, 0, 2 * sd, io, io, (double)m->b2 * m->nh2, 0};
  /* Without recomputation the s x s probabilities leave the die row block by
   * row block as they are made: they count once, with the saved activations
   * (hc_model_saved_floats: written and read back when they do not fit),
   * not here as well. */
  return s;
}

const char *hc_recompute_name(hc_recompute r) {
  return r == HC_RECOMPUTE_NONE ? "none" : r == HC_RECOMPUTE_FULL ? "full" : "selective";
}
int hc_parse_recompute(const char *s, hc_recompute *out) {
  static const hc_recompute all[] = {HC_RECOMPUTE_NONE, HC_RECOMPUTE_SELECTIVE, HC_RECOMPUTE_FULL};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
    if (s && !strcmp(s, hc_recompute_name(all[k]))) return *out = all[k], 0;
  return -1;
}

size_t hc_model_act_table(const hc_method *m, hc_act_size sz[HC_NACTS]) {
  const hc_model_config *c = &m->cfg;
  size_t d = (size_t)hc_model_head_dim(c), L = (size_t)c->n_layers;
  int full = m->recompute == HC_RECOMPUTE_FULL, none = m->recompute == HC_RECOMPUTE_NONE;
  size_t Lk = full ? 1 : L; /* full recomputation: one layer's activations at a time */
  size_t T1 = (size_t)m->T1, T2 = (size_t)m->T2, n1 = T1 * (size_t)m->h1;
  size_t nq = T2 * (size_t)m->nh2 * d, nkv = T2 * (size_t)m->nkv2 * d, nf = T2 * (size_t)m->f2;
  size_t nlse = (size_t)m->b2 * (size_t)m->nh2 * (size_t)m->s, nv = T2 * (size_t)m->V2;
  size_t np = none ? nlse * (size_t)m->s : 0; /* the probabilities, kept without recomputation */
  size_t big2 = nf > nq ? nf : nq;
  if (nv > big2) big2 = nv;
  const hc_act_size t[HC_NACTS] = {
      [HC_ACT_X] = {"x", n1, L + 1},          [HC_ACT_XN1] = {"xn1", n1, Lk},
      [HC_ACT_RSTD1] = {"rstd1", T1, Lk},      [HC_ACT_Q] = {"q", nq, Lk},
      [HC_ACT_K] = {"k", nkv, Lk},             [HC_ACT_V] = {"v", nkv, Lk},
      [HC_ACT_ATT] = {"att", nq, Lk},          [HC_ACT_LSE] = {"lse", nlse, Lk},
      [HC_ACT_PROBS] = {"probs", np, Lk},
      [HC_ACT_XMID] = {"xmid", n1, Lk},        [HC_ACT_XN2] = {"xn2", n1, Lk},
      [HC_ACT_RSTD2] = {"rstd2", T1, Lk},      [HC_ACT_GATE] = {"gate", nf, Lk},
      [HC_ACT_UP] = {"up", nf, Lk},            [HC_ACT_HSW] = {"hsw", nf, Lk},
      [HC_ACT_XNF] = {"xnf", n1, 1},          [HC_ACT_RSTDF] = {"rstdf", T1, 1},
      [HC_ACT_LOGITS] = {"logits", nv, 1},    [HC_ACT_DLOGITS] = {"dlogits", nv, 1},
      [HC_ACT_BUF1A] = {"buf1a", n1, 1},      [HC_ACT_BUF1B] = {"buf1b", n1, 1},
      [HC_ACT_BUF2A] = {"buf2a", big2, 1},    [HC_ACT_BUF2B] = {"buf2b", big2, 1},
      [HC_ACT_BUF2C] = {"buf2c", big2, 1},    [HC_ACT_BUF2D] = {"buf2d", big2, 1},
      [HC_ACT_BUF2E] = {"buf2e", big2, 1}};
  size_t total = 0;
  for (int k = 0; k < HC_NACTS; k++) sz[k] = t[k], total += t[k].per * t[k].copies;
  return total;
}

void hc_model_init(hc_model *md, hc_method *m) {
  memset(md, 0, sizeof *md);
  md->m = m;
  m->ws = NULL; /* no operation stated yet */
  md->L = m->cfg.n_layers;
  size_t total = hc_model_act_table(m, md->size);
  if (!m->phantom) { /* phantom mode: the table only, every pointer NULL */
    md->mem = hc_calloc(total, sizeof(float));
    md->bytes = total * sizeof(float);
    for (size_t k = 0, off = 0; k < HC_NACTS; k++) {
      md->act[k] = md->mem + off;
      off += md->size[k].per * md->size[k].copies;
    }
  }
  float **named[HC_NACTS] = {
      [HC_ACT_X] = &md->x,         [HC_ACT_XN1] = &md->xn1,     [HC_ACT_RSTD1] = &md->rstd1,
      [HC_ACT_Q] = &md->q,         [HC_ACT_K] = &md->k,         [HC_ACT_V] = &md->v,
      [HC_ACT_ATT] = &md->att,     [HC_ACT_LSE] = &md->lse,     [HC_ACT_PROBS] = &md->probs,
      [HC_ACT_XMID] = &md->xmid,
      [HC_ACT_XN2] = &md->xn2,     [HC_ACT_RSTD2] = &md->rstd2, [HC_ACT_GATE] = &md->gate,
      [HC_ACT_UP] = &md->up,       [HC_ACT_HSW] = &md->hsw,     [HC_ACT_XNF] = &md->xnf,
      [HC_ACT_RSTDF] = &md->rstdf, [HC_ACT_LOGITS] = &md->logits,
      [HC_ACT_DLOGITS] = &md->dlogits, [HC_ACT_BUF1A] = &md->buf1a,
      [HC_ACT_BUF1B] = &md->buf1b, [HC_ACT_BUF2A] = &md->buf2a, [HC_ACT_BUF2B] = &md->buf2b,
      [HC_ACT_BUF2C] = &md->buf2c, [HC_ACT_BUF2D] = &md->buf2d, [HC_ACT_BUF2E] = &md->buf2e};
  for (int k = 0; k < HC_NACTS; k++) *named[k] = md->act[k];
  size_t T = (size_t)m->b * m->s;
  md->tokens = hc_malloc(T * sizeof(int));
  md->targets = hc_malloc(T * sizeof(int));
  /* LoRA: per target kind the merged block W' and, for a method that does
   * not take the adapters into its backward, dW'; a T x r scratch for one
   * that does. */
  for (int k = 0; k < HC_P_NKINDS; k++) {
    md->lora_layer[k] = -1;
    if (!hc_lora_targets(&m->cfg, (hc_param_kind)k) || m->phantom) continue;
    size_t n = m->p->tensors[hc_param_index(&m->cfg, (hc_param_kind)k, 0)].numel;
    md->lora_w[k] = hc_calloc(n, sizeof(float));
    if (!m->lora_thin) md->lora_dw[k] = hc_calloc(n, sizeof(float));
    md->bytes += (m->lora_thin ? 1 : 2) * n * sizeof(float);
  }
  if (m->cfg.lora_rank > 0) {
    md->lora_call = hc_calloc(3, sizeof *md->lora_call);
    if (!m->phantom) {
      size_t tmp = (size_t)m->b * (size_t)m->s * (size_t)m->cfg.lora_rank;
      md->lora_sink = hc_calloc((size_t)m->h1, sizeof(float));
      md->lora_tmp = hc_calloc(tmp, sizeof(float));
      md->bytes += (tmp + (size_t)m->h1) * sizeof(float);
    }
  }
}

void hc_model_free(hc_model *md) {
  for (int k = 0; k < HC_P_NKINDS; k++) free(md->lora_w[k]), free(md->lora_dw[k]);
  free(md->lora_sink), free(md->lora_tmp), free(md->lora_call);
  free(md->mem);
  free(md->tokens), free(md->targets);
  memset(md, 0, sizeof *md);
}

/* Per-layer slices (NULL stays NULL in phantom mode). */
static float *at(float *base, size_t l, size_t per) { return base ? base + l * per : NULL; }
/* Layer l's saved activations. */
typedef struct {
  float *x, *xn1, *rstd1, *q, *k, *v, *att, *lse, *xmid, *xn2, *rstd2, *gate, *up, *hsw, *xnext;
  float *probs; /* NULL unless recomputation is none */
} layer_acts;

static layer_acts slices(hc_model *md, int l) {
  size_t L = (size_t)l;
#define S(k) at(md->act[k], L % md->size[k].copies, md->size[k].per) /* one copy: recomputed */
  layer_acts a = {S(HC_ACT_X),     S(HC_ACT_XN1),  S(HC_ACT_RSTD1), S(HC_ACT_Q),    S(HC_ACT_K),
                  S(HC_ACT_V),     S(HC_ACT_ATT),  S(HC_ACT_LSE),   S(HC_ACT_XMID), S(HC_ACT_XN2),
                  S(HC_ACT_RSTD2), S(HC_ACT_GATE), S(HC_ACT_UP),    S(HC_ACT_HSW),
                  at(md->act[HC_ACT_X], L + 1, md->size[HC_ACT_X].per),
                  md->size[HC_ACT_PROBS].per ? S(HC_ACT_PROBS) : NULL};
#undef S
  return a;
}

#define P(kind, l) hc_param_ptr(m->p, m->p->params, (kind), (l))
#define G(kind, l) hc_param_ptr(m->p, m->p->grads, (kind), (l))

/* ---- LoRA (lora.h) --------------------------------------------------------- */
static float lora_scale(const hc_model_config *c) { return (float)(c->lora_alpha / c->lora_rank); }

/* The weight a linear of layer l computes with: W, or under LoRA the
 * merged W' of its block (merged once per layer and step; charged). */
static const float *weight(hc_model *md, hc_param_kind kind, int l, int phase) {
  hc_method *m = md->m;
  if (!hc_lora_targets(&m->cfg, kind)) return P(kind, l);
  if (md->lora_layer[kind] != l) {
    const hc_params *p = m->p;
    const hc_tensor *x = &p->tensors[hc_param_index(&m->cfg, kind, l)];
    if (!m->phantom)
      hc_lora_merge(md->lora_w[kind], P(kind, l), hc_tensor_in(p, p->params, &p->tensors[hc_lora_index(&m->cfg, kind, l, 0)]),
                    hc_tensor_in(p, p->params, &p->tensors[hc_lora_index(&m->cfg, kind, l, 1)]), x,
                    m->cfg.lora_rank, lora_scale(&m->cfg));
    hc_method_charge(m, phase, HC_OPK_LINEAR, hc_lora_merge_flops(x, m->cfg.lora_rank), "lora merge");
    md->lora_layer[kind] = l;
  }
  return md->lora_w[kind];
}

/* Where the linear's backward leaves dW: the gradient; under LoRA dW'
 * (zeroed) or, for a method that takes them, the adapters handed over in
 * m->lora[k] (then NULL); or NULL for a frozen weight, which bit k of
 * m->frozen marks. */
static float *wgrad(hc_model *md, hc_param_kind kind, int l, int k) {
  hc_method *m = md->m;
  if (hc_lora_targets(&m->cfg, kind) && m->lora_thin) {
    const hc_params *p = m->p;
    const hc_tensor *a = &p->tensors[hc_lora_index(&m->cfg, kind, l, 0)];
    const hc_tensor *b = &p->tensors[hc_lora_index(&m->cfg, kind, l, 1)];
    md->lora_call[k] = (hc_lora_call){hc_tensor_in(p, p->params, a), hc_tensor_in(p, p->params, b),
                                      hc_tensor_in(p, p->grads, a), hc_tensor_in(p, p->grads, b),
                                      m->cfg.lora_rank, lora_scale(&m->cfg), md->lora_tmp};
    m->lora[k] = &md->lora_call[k];
    m->frozen |= 1u << k;
    return NULL;
  }
  if (hc_lora_targets(&m->cfg, kind)) {
    if (md->lora_dw[kind]) memset(md->lora_dw[kind], 0, m->p->tensors[hc_param_index(&m->cfg, kind, l)].numel * sizeof(float));
    return md->lora_dw[kind];
  }
  if (m->p->tensors[hc_param_index(&m->cfg, kind, l)].goff == HC_FROZEN) m->frozen |= 1u << k;
  return G(kind, l);
}

/* After the linear's backward: dW' into the adapters' gradients. */
static void lora_backward(hc_model *md, hc_param_kind kind, int l) {
  hc_method *m = md->m;
  m->frozen = 0;
  m->lora[0] = m->lora[1] = m->lora[2] = NULL;
  if (!hc_lora_targets(&m->cfg, kind) || m->lora_thin) return; /* (done by the method) */
  const hc_params *p = m->p;
  const hc_tensor *a = &p->tensors[hc_lora_index(&m->cfg, kind, l, 0)];
  const hc_tensor *b = &p->tensors[hc_lora_index(&m->cfg, kind, l, 1)];
  const hc_tensor *x = &p->tensors[hc_param_index(&m->cfg, kind, l)];
  if (!m->phantom)
    hc_lora_backward(hc_tensor_in(p, p->grads, a), hc_tensor_in(p, p->grads, b), md->lora_dw[kind],
                     hc_tensor_in(p, p->params, a), hc_tensor_in(p, p->params, b), x,
                     m->cfg.lora_rank, lora_scale(&m->cfg));
  hc_method_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_lora_backward_flops(x, m->cfg.lora_rank),
                   "lora grads");
}

/* The working set of a linear's backward holds the gradient of the weights
 * that take one: under LoRA only the targets' (n2 columns of widths n2k,
 * kinds k): their dW', or the adapters' blocks when the method takes them. */
static void ws_grads(const hc_model *md, hc_workset *ws, int n, const hc_param_kind *kinds,
                     const double *n2k) {
  const hc_method *m = md->m;
  if (m->cfg.lora_rank == 0) return;
  ws->grads = 0;
  for (int k = 0; k < n; k++)
    if (hc_lora_targets(&m->cfg, kinds[k]))
      ws->grads += m->lora_thin ? m->cfg.lora_rank * (n2k[k] + m->h1) : n2k[k] * m->h1;
}

/* A gain's gradient, or the sink when the base is frozen. */
static float *gain_grad(hc_model *md, hc_param_kind kind, int l) {
  float *g = hc_param_ptr(md->m->p, md->m->p->grads, kind, l);
  return g || md->m->phantom ? g : md->lora_sink;
}

/* Residual adds and zeroing, timed as copies (profile.h). */
static void add(float *y, const float *x, size_t n) {
  double t0 = hc_prof_start();
  if (y) for (size_t k = 0; k < n; k++) y[k] += x[k];
  hc_prof_stop(HC_PROF_COPIES, t0);
}
static void zero(float *y, size_t n) {
  double t0 = hc_prof_start();
  if (y) memset(y, 0, n * sizeof(float));
  hc_prof_stop(HC_PROF_COPIES, t0);
}

/* Layers [lo, hi) forward, from the residual stream x[lo]; again in
 * backward (recomputing: no progress shown) under full recomputation. */
static void forward_layers(hc_model *md, int lo, int hi, int recomputing) {
  hc_method *m = md->m;
  const hc_method_ops *op = m->ops;
  const hc_model_config *c = &m->cfg;
  int d = hc_model_head_dim(c), ph = m->phantom;
  size_t n1 = (size_t)m->T1 * m->h1, nf = (size_t)m->T2 * m->f2;
  for (int l = lo; l < hi; l++) {
    layer_acts a = slices(md, l);
    float *x = a.x, *xn1 = a.xn1, *rstd1 = a.rstd1, *q = a.q, *k = a.k, *v = a.v, *att = a.att;
    float *lse = a.lse, *xmid = a.xmid, *xn2 = a.xn2, *rstd2 = a.rstd2, *gate = a.gate;
    float *up = a.up, *hsw = a.hsw, *xnext = a.xnext;
    /* attention block: x -> norm (L1) -> q, k, v (L2) -> attention -> wo (L1) */
    hc_workset ws = rows_ws("norm", m->h1, n1, n1);
    m->ws = &ws, op->norm_fwd(m, xn1, rstd1, x, P(HC_P_ATTENTION_NORM, l));
    float *qkv[3] = {q, k, v};
    const float *wqkv[3] = {weight(md, HC_P_WQ, l, HC_PHASE_FWD), weight(md, HC_P_WK, l, HC_PHASE_FWD),
                             weight(md, HC_P_WV, l, HC_PHASE_FWD)};
    int nqkv[3] = {m->nh2 * d, m->nkv2 * d, m->nkv2 * d};
    ws = linear_ws(m, "wq,wk,wv", nqkv[0] + nqkv[1] + nqkv[2], 1, 0);
    m->ws = &ws, op->lin12_fwd(m, 3, qkv, xn1, wqkv, nqkv);
    if (!ph) {
      hc_rope_forward(q, q, m->b2, m->s, m->nh2, d, c->rope_theta);
      hc_rope_forward(k, k, m->b2, m->s, m->nkv2, d, c->rope_theta);
      hc_attention_forward(att, lse, a.probs, q, k, v, m->b2, m->s, m->nh2, m->nkv2, d);
    }
    ws = attention_ws(m, 0);
    hc_method_charge_ws(m, HC_PHASE_FWD, HC_OPK_ATTN,
                        HC_FLOPS_ROPE * (double)m->T2 * (m->nh2 + m->nkv2) * d +
                            hc_flops_attention_fwd(m->b2, m->s, m->nh2, d),
                        &ws, "attention");
    ws = linear_ws(m, "wo", m->nh2 * d, 0, 0);
    const float *wo = weight(md, HC_P_WO, l, HC_PHASE_FWD);
    m->ws = &ws, op->lin21_fwd(m, xmid, att, wo, m->nh2 * d);
    add(xmid, x, n1);
    ws = rows_ws("residual", 0, 2.0 * n1, n1);
    hc_method_charge_ws(m, HC_PHASE_FWD, HC_OPK_OTHER, HC_FLOPS_ADD * (double)n1, &ws, "residual");
    /* feed-forward block: norm -> gate, up (L2) -> SwiGLU -> down (L1) */
    ws = rows_ws("norm", m->h1, n1, n1);
    m->ws = &ws, op->norm_fwd(m, xn2, rstd2, xmid, P(HC_P_FFN_NORM, l));
    float *gu[2] = {gate, up};
    const float *w13[2] = {weight(md, HC_P_W1, l, HC_PHASE_FWD), weight(md, HC_P_W3, l, HC_PHASE_FWD)};
    int nf2[2] = {m->f2, m->f2};
    ws = linear_ws(m, "w1,w3", 2.0 * m->f2, 1, 0);
    m->ws = &ws, op->lin12_fwd(m, 2, gu, xn2, w13, nf2);
    if (!ph) hc_swiglu_forward(hsw, gate, up, nf);
    ws = rows_ws("swiglu", 0, 2.0 * nf, nf);
    hc_method_charge_ws(m, HC_PHASE_FWD, HC_OPK_OTHER, HC_FLOPS_SWIGLU_FWD * (double)nf, &ws, "swiglu");
    ws = linear_ws(m, "w2", m->f2, 0, 0);
    const float *w2 = weight(md, HC_P_W2, l, HC_PHASE_FWD);
    m->ws = &ws, op->lin21_fwd(m, xnext, hsw, w2, m->f2);
    add(xnext, xmid, n1);
    ws = rows_ws("residual", 0, 2.0 * n1, n1);
    hc_method_charge_ws(m, HC_PHASE_FWD, HC_OPK_OTHER, HC_FLOPS_ADD * (double)n1, &ws, "residual");
    m->ws = NULL;
    if (md->progress && !recomputing) md->progress(md->progress_arg, 0, l, md->L);
  }
}

float hc_model_forward(hc_model *md, const int *batch) {
  hc_method *m = md->m;
  const hc_method_ops *op = m->ops;
  int ph = m->phantom;
  size_t n1 = (size_t)m->T1 * m->h1;
  for (int b = 0; b < (ph ? 0 : m->b); b++) /* tokens: nothing to read in a dry-run */
    for (int t = 0; t < m->s; t++) {
      md->tokens[b * m->s + t] = batch[b * (m->s + 1) + t];
      md->targets[b * m->s + t] = batch[b * (m->s + 1) + t + 1];
    }
  for (int k = 0; k < HC_P_NKINDS; k++) md->lora_layer[k] = -1; /* the adapters moved */
  op->embed_fwd(m, md->x, md->tokens);
  /* Full recomputation: the layers run again in backward, so the method
   * keeps nothing for it now (as before a forward-only pass). */
  int keep = m->forward_only;
  if (m->recompute == HC_RECOMPUTE_FULL) m->forward_only = 1;
  forward_layers(md, 0, md->L, 0);
  m->forward_only = keep;
  hc_workset ws = rows_ws("norm", m->h1, n1, n1);
  m->ws = &ws, op->norm_fwd(m, md->xnf, md->rstdf, at(md->x, (size_t)md->L, n1), P(HC_P_NORM, -1));
  float *lg[1] = {md->logits};
  const float *wout[1] = {P(HC_P_OUTPUT, -1)};
  int nv[1] = {m->V2};
  ws = linear_ws(m, "lm head", m->V2, 1, 0);
  m->ws = &ws, op->lin12_fwd(m, 1, lg, md->xnf, wout, nv);
  ws = rows_ws("loss", 0, (double)m->T2 * m->V2, (double)m->T2 * m->V2);
  m->ws = &ws, md->loss = op->loss(m, md->dlogits, md->logits, md->targets);
  m->ws = NULL;
  return md->loss;
}

void hc_model_backward(hc_model *md) {
  hc_method *m = md->m;
  const hc_method_ops *op = m->ops;
  const hc_model_config *c = &m->cfg;
  int d = hc_model_head_dim(c), ph = m->phantom;
  size_t n1 = (size_t)m->T1 * m->h1, T2 = (size_t)m->T2;
  size_t nq = T2 * m->nh2 * d, nkv = T2 * m->nkv2 * d, nf = T2 * m->f2;
  float *dx = md->buf1a, *dn = md->buf1b; /* d(residual), d(normed) in L1 */

  /* loss -> LM head -> final norm */
  zero(dn, n1), zero(dx, n1);
  float *dwout[1] = {wgrad(md, HC_P_OUTPUT, -1, 0)};
  const float *dlg[1] = {md->dlogits}, *wout[1] = {P(HC_P_OUTPUT, -1)};
  int nv[1] = {m->V2};
  hc_workset ws = linear_ws(m, "lm head", m->V2, 1, 1);
  ws_grads(md, &ws, 1, (hc_param_kind[]){HC_P_OUTPUT}, (double[]){m->V2});
  m->ws = &ws, op->lin12_bwd(m, 1, dn, dwout, dlg, md->xnf, wout, nv);
  lora_backward(md, HC_P_OUTPUT, -1);
  ws = rows_ws("norm", m->h1, 3.0 * n1, n1);
  m->ws = &ws, op->norm_bwd(m, dx, gain_grad(md, HC_P_NORM, -1), dn, md->rstdf, at(md->x, (size_t)md->L, n1),
                            P(HC_P_NORM, -1));

  for (int l = md->L - 1; l >= 0; l--) {
    if (m->recompute == HC_RECOMPUTE_FULL) forward_layers(md, l, l + 1, 1); /* this layer again */
    layer_acts a = slices(md, l);
    float *x = a.x, *xn1 = a.xn1, *rstd1 = a.rstd1, *q = a.q, *k = a.k, *v = a.v, *att = a.att;
    float *lse = a.lse, *xmid = a.xmid, *xn2 = a.xn2, *rstd2 = a.rstd2, *gate = a.gate;
    float *up = a.up, *hsw = a.hsw;
    /* xnext = xmid + w2(swiglu(w1 xn2, w3 xn2)): dx flows to xmid unchanged. */
    float *dh = md->buf2a, *dg = md->buf2b, *du = md->buf2c;
    zero(dh, nf), zero(dn, n1); /* dg, du: written by SwiGLU's backward */
    ws = linear_ws(m, "w2", m->f2, 0, 1);
    ws_grads(md, &ws, 1, (hc_param_kind[]){HC_P_W2}, (double[]){m->f2});
    const float *w2 = weight(md, HC_P_W2, l, HC_PHASE_BWD);
    float *dw2 = wgrad(md, HC_P_W2, l, 0);
    m->ws = &ws, op->lin21_bwd(m, dh, dw2, dx, hsw, w2, m->f2);
    lora_backward(md, HC_P_W2, l);
    if (!ph) hc_swiglu_backward(dg, du, dh, gate, up, nf);
    ws = rows_ws("swiglu", 0, 3.0 * nf, 2.0 * nf);
    hc_method_charge_ws(m, HC_PHASE_BWD, HC_OPK_OTHER, HC_FLOPS_SWIGLU_BWD * (double)nf, &ws, "swiglu");
    float *dw13[2] = {wgrad(md, HC_P_W1, l, 0), wgrad(md, HC_P_W3, l, 1)};
    const float *dgu[2] = {dg, du};
    const float *w13[2] = {weight(md, HC_P_W1, l, HC_PHASE_BWD), weight(md, HC_P_W3, l, HC_PHASE_BWD)};
    int nf2[2] = {m->f2, m->f2};
    ws = linear_ws(m, "w1,w3", 2.0 * m->f2, 1, 1);
    ws_grads(md, &ws, 2, (hc_param_kind[]){HC_P_W1, HC_P_W3}, (double[]){m->f2, m->f2});
    m->ws = &ws, op->lin12_bwd(m, 2, dn, dw13, dgu, xn2, w13, nf2);
    lora_backward(md, HC_P_W1, l), lora_backward(md, HC_P_W3, l);
    ws = rows_ws("norm", m->h1, 3.0 * n1, n1);
    m->ws = &ws, op->norm_bwd(m, dx, gain_grad(md, HC_P_FFN_NORM, l), dn, rstd2, xmid, P(HC_P_FFN_NORM, l));
    /* xmid = x + wo(attention(rope(q), rope(k), v)): dx flows to x unchanged.
     * q and k were saved after rotation; RoPE's backward rotates back. */
    float *datt = md->buf2a, *dqr = md->buf2b, *dkr = md->buf2c, *dv = md->buf2d;
    float *dq = md->buf2e, *dk = md->buf2a; /* dk reuses datt once it is spent */
    zero(datt, nq), zero(dqr, nq), zero(dkr, nkv), zero(dv, nkv), zero(dn, n1);
    ws = linear_ws(m, "wo", m->nh2 * d, 0, 1);
    ws_grads(md, &ws, 1, (hc_param_kind[]){HC_P_WO}, (double[]){m->nh2 * d});
    const float *wo = weight(md, HC_P_WO, l, HC_PHASE_BWD);
    float *dwo = wgrad(md, HC_P_WO, l, 0);
    m->ws = &ws, op->lin21_bwd(m, datt, dwo, dx, att, wo, m->nh2 * d);
    lora_backward(md, HC_P_WO, l);
    if (!ph) {
      hc_attention_backward(dqr, dkr, dv, datt, lse, a.probs, q, k, v, m->b2, m->s, m->nh2,
                            m->nkv2, d);
      zero(dq, nq), zero(dk, nkv);
      hc_rope_backward(dq, dqr, m->b2, m->s, m->nh2, d, c->rope_theta);
      hc_rope_backward(dk, dkr, m->b2, m->s, m->nkv2, d, c->rope_theta);
    }
    ws = attention_ws(m, 1);
    double again = m->recompute == HC_RECOMPUTE_NONE
                       ? 0 /* it reads the kept probabilities */
                       : hc_flops_attention_recompute(m->b2, m->s, m->nh2, d);
    hc_method_charge_ws(m, HC_PHASE_BWD, HC_OPK_ATTN,
                        HC_FLOPS_ROPE * (double)m->T2 * (m->nh2 + m->nkv2) * d +
                            hc_flops_attention_bwd(m->b2, m->s, m->nh2, d) + again,
                        &ws, "attention");
    float *dwqkv[3] = {wgrad(md, HC_P_WQ, l, 0), wgrad(md, HC_P_WK, l, 1), wgrad(md, HC_P_WV, l, 2)};
    const float *dqkv[3] = {dq, dk, dv};
    const float *wqkv[3] = {weight(md, HC_P_WQ, l, HC_PHASE_BWD), weight(md, HC_P_WK, l, HC_PHASE_BWD),
                            weight(md, HC_P_WV, l, HC_PHASE_BWD)};
    int nqkv[3] = {m->nh2 * d, m->nkv2 * d, m->nkv2 * d};
    ws = linear_ws(m, "wq,wk,wv", nqkv[0] + nqkv[1] + nqkv[2], 1, 1);
    ws_grads(md, &ws, 3, (hc_param_kind[]){HC_P_WQ, HC_P_WK, HC_P_WV},
             (double[]){nqkv[0], nqkv[1], nqkv[2]});
    m->ws = &ws, op->lin12_bwd(m, 3, dn, dwqkv, dqkv, xn1, wqkv, nqkv);
    lora_backward(md, HC_P_WQ, l), lora_backward(md, HC_P_WK, l), lora_backward(md, HC_P_WV, l);
    ws = rows_ws("norm", m->h1, 3.0 * n1, n1);
    m->ws = &ws, op->norm_bwd(m, dx, gain_grad(md, HC_P_ATTENTION_NORM, l), dn, rstd1, x, P(HC_P_ATTENTION_NORM, l));
    m->ws = NULL;
    if (md->progress) md->progress(md->progress_arg, 1, l, md->L);
  }
  op->embed_bwd(m, dx, md->tokens);
  if (op->grads_done) op->grads_done(m);
}

double hc_model_step_flops(const hc_model_config *c, int b, int s) {
  double T = (double)b * s, h = c->dim, f = c->ffn_dim, V = c->vocab_size;
  double hkv = hc_model_kv_dim(c), L = c->n_layers;
  double linear_macs = h * h + 2 * h * hkv + h * h + 3 * h * f; /* per token per layer */
  double attn_macs = 2.0 * b * c->n_heads * hc_model_head_dim(c) * (s * (s + 1.0) / 2);
  double fwd = 2 * (L * (T * linear_macs + attn_macs) + T * h * V);
  return 3 * fwd;
}

double hc_model_saved_floats(const hc_method *m) {
  hc_act_size sz[HC_NACTS];
  hc_model_act_table(m, sz);
  double saved = 0;
  for (int k = 0; k < HC_ACT_NSAVED; k++) saved += (double)sz[k].per * (double)sz[k].copies;
  return saved + m->saved_extra;
}
