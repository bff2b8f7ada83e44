/* summa.c: SUMMA / Optimus 2D tensor parallelism on a square q x q mesh
 * (DESIGN.md section 4), backward as in Colossal-AI's 2D operators.
 *
 * Chiplet (r, c) holds activations X(r, c): tokens of b/q whole sequences
 * (block r) x features block c, in both layouts (L1: h/q features; L2: its
 * block of heads, FFN columns or vocabulary), and weight blocks W(r, c) =
 * rows r of the input features x columns c of the output features (stored
 * (out, in): rows O_c, columns of input block r).
 * A linear Y = X W runs q steps; at step t, X(r, t) is broadcast along row
 * r and W(t, c) along column c, and every chiplet adds X(r, t) W(t, c).
 * Backward, per step t: dX(r, t) = sum_c dY(r, c) W(t, c)^T (column
 * broadcast of W, then a reduce along the row onto column t), and
 * dW(t, c) = sum_r X(r, t)^T dY(r, c) (row broadcast of X, then a reduce
 * along the column onto row t). RMSNorm statistics are all-reduced over
 * rows, the classifier is vocabulary-parallel over the row. Replicated KV
 * heads (n_kv divides q) have their gradients summed over the columns that
 * share them. Summed over the mesh, a linear with K inputs and N outputs on
 * T tokens moves 3 (q-1) (T K + K N) elements per step (forward (q-1)(TK+KN),
 * backward twice that). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/flops.h"
#include "hecaton/kernels.h"
#include "hecaton/parallel.h"
#include "hecaton/util.h"
#include "internal.h"
#include "mappings.h"

typedef struct {
  hc_par_2d l1;       /* first: embedding (vocabulary block of row r) and RMSNorm */
  hc_comm *c;
  hc_model_config cfg;
  int q, r, col, T;
  int kv_lo, nkv, kv_share;
  size_t v0, nv;      /* vocabulary block of column col (classifier, L2) */
  hc_group kv;        /* columns of row r sharing a replicated KV head */
  size_t wmax;
  float *xb, *wb, *part, *red, *stat;
} summa;

#define CTX(m) ((summa *)(m)->ctx)
/* Collectives by the comm's algorithm. */
static hc_map_tag on(int phase, int op) { return hc_map_on(phase, op, HC_ALGO_DEFAULT); }
static void add_into(float *y, const float *x, size_t n) {
  if (y) for (size_t k = 0; k < n; k++) y[k] += x[k];
}
static void copy(float *dst, const float *src, size_t n) {
  if (dst && src) memcpy(dst, src, n * sizeof(float));
}

int hc_summa_check(const hc_model_config *c, int R, int C, int b, char *err, size_t errlen) {
  char buf[64];
  if (R != C)
    return hc_err(err, errlen, "SUMMA needs a square mesh, not %dx%d: e.g. %dx%d", R, C, R, R);
  struct { const char *name; int v; } dims[] = {
      {"batch", b}, {"n_heads", c->n_heads}, {"ffn_dim", c->ffn_dim}, {"dim", c->dim}};
  for (size_t k = 0; k < 4; k++)
    if (dims[k].v % R)
      return hc_err(err, errlen,
                    "SUMMA on %dx%d needs %s (%d) divisible by %d: nearest valid q: %s", R, R,
                    dims[k].name, dims[k].v, R, hc_par_nearest(dims[k].v, R, buf, sizeof buf));
  int lo, n, share;
  if (hc_par_kv_block(c->n_kv_heads, R, 0, &lo, &n, &share))
    return hc_err(err, errlen,
                  "SUMMA on %dx%d needs the KV heads (n_kv_heads = %d) split over %d columns or "
                  "n_kv dividing %d",
                  R, R, c->n_kv_heads, R, R);
  if (c->vocab_size < R)
    return hc_err(err, errlen, "vocab_size %d is smaller than q = %d", c->vocab_size, R);
  return 0;
}

static void shard(void *ctx, size_t t, const hc_param_spec *s, size_t out[5]) {
  (void)t;
  const summa *x = ctx;
  size_t q = (size_t)x->q, r = (size_t)x->r, c = (size_t)x->col, rows = s->shape[0];
  size_t cols = s->ndim == 2 ? s->shape[1] : 1, d = (size_t)hc_model_head_dim(&x->cfg);
  out[4] = 1;
  switch (s->kind) {
    case HC_P_ATTENTION_NORM:
    case HC_P_FFN_NORM:
    case HC_P_NORM: /* features H_c, every row holds them; row 0 owns */
      out[0] = c * (rows / q), out[1] = rows / q, out[2] = 0, out[3] = 1, out[4] = r == 0;
      return;
    case HC_P_TOK_EMBEDDINGS: /* V_r x H_c: looked up for all tokens, reduce-scattered */
      out[0] = x->l1.v0, out[1] = x->l1.nv, out[2] = c * (cols / q), out[3] = cols / q;
      return;
    case HC_P_OUTPUT: /* classifier W(r, c) = [H_r, V_c] */
      out[0] = x->v0, out[1] = x->nv, out[2] = r * (cols / q), out[3] = cols / q;
      return;
    case HC_P_WQ:
    case HC_P_W1:
    case HC_P_W3: /* [H_r, O_c]: rows O_c, columns H_r */
      out[0] = c * (rows / q), out[1] = rows / q, out[2] = r * (cols / q), out[3] = cols / q;
      return;
    case HC_P_WK:
    case HC_P_WV:
      out[0] = (size_t)x->kv_lo * d, out[1] = (size_t)x->nkv * d, out[2] = r * (cols / q);
      out[3] = cols / q, out[4] = x->kv_share == 1 || (int)c % x->kv_share == 0;
      return;
    case HC_P_WO:
    case HC_P_W2: /* [F_r, H_c]: rows H_c, columns F_r */
      out[0] = c * (rows / q), out[1] = rows / q, out[2] = r * (cols / q), out[3] = cols / q;
      return;
    default:
      HC_DIE("no placement for tensor kind %d", (int)s->kind);
  }
}

/* ---- the SUMMA linear ------------------------------------------------------ */

/* y[k] (T2 x nout[k]) = X W_k over q steps; X here is x (T2 x kin), W_k's
 * local block w[k] (nout[k] x kin). */
static void summa_fwd(hc_method *m, int n, float *const *y, const float *xin,
                      const float *const *w, const int *nout, int kin) {
  summa *x = CTX(m);
  hc_map_tag t_fwd = on(HC_PHASE_FWD, HC_OPK_LINEAR);
  size_t T2 = (size_t)m->T2, K = (size_t)kin;
  for (int k = 0; k < n; k++)
    if (y[k]) memset(y[k], 0, T2 * (size_t)nout[k] * sizeof(float));
  for (int t = 0; t < x->q; t++) {
    if (x->col == t) copy(x->xb, xin, T2 * K);
    hc_map_broadcast(x->c, &x->c->row, t_fwd, x->xb, T2 * K, t);
    for (int k = 0; k < n; k++) {
      size_t nw = (size_t)nout[k] * K;
      if (x->r == t) copy(x->wb, w[k], nw);
      hc_map_broadcast(x->c, &x->c->col, t_fwd, x->wb, nw, t);
      if (!m->phantom) hc_matmul_forward_acc(y[k], x->xb, x->wb, m->T2, kin, nout[k]);
      hc_par_charge(m, HC_PHASE_FWD, HC_OPK_LINEAR, hc_flops_matmul(m->T2, kin, nout[k]), "gemm");
    }
  }
}

static void summa_bwd(hc_method *m, int n, float *dxin, float *const *dw, const float *const *dy,
                      const float *xin, const float *const *w, const int *nout, int kin) {
  summa *x = CTX(m);
  hc_map_tag t_bwd = on(HC_PHASE_BWD, HC_OPK_LINEAR);
  size_t T2 = (size_t)m->T2, K = (size_t)kin;
  for (int t = 0; t < x->q; t++) {
    /* dX(r, t) = sum_c dY(r, c) W(t, c)^T, reduced onto column t */
    if (!m->phantom) memset(x->part, 0, T2 * K * sizeof(float));
    for (int k = 0; k < n; k++) {
      size_t nw = (size_t)nout[k] * K;
      if (x->r == t) copy(x->wb, w[k], nw);
      hc_map_broadcast(x->c, &x->c->col, t_bwd, x->wb, nw, t);
      if (!m->phantom) hc_matmul_backward(x->part, NULL, dy[k], NULL, x->wb, m->T2, kin, nout[k]);
      hc_par_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_flops_matmul(m->T2, kin, nout[k]), "gemm");
    }
    hc_map_reduce(x->c, &x->c->row, t_bwd, x->part, x->red, T2 * K, t);
    if (x->col == t && !m->phantom) add_into(dxin, x->red, T2 * K);
    /* dW(t, c) = sum_r X(r, t)^T dY(r, c), reduced onto row t */
    if (x->col == t) copy(x->xb, xin, T2 * K);
    hc_map_broadcast(x->c, &x->c->row, t_bwd, x->xb, T2 * K, t);
    for (int k = 0; k < n; k++) {
      size_t nw = (size_t)nout[k] * K;
      if (m->frozen >> k & 1u) continue; /* a frozen weight: no dW (SUMMA takes LoRA's dW') */
      if (!m->phantom) {
        memset(x->part, 0, nw * sizeof(float));
        hc_matmul_backward(NULL, x->part, dy[k], x->xb, NULL, m->T2, kin, nout[k]);
      }
      hc_par_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_flops_matmul(m->T2, kin, nout[k]), "gemm");
      hc_map_reduce(x->c, &x->c->col, t_bwd, x->part, x->red, nw, t);
      if (x->r == t && !m->phantom) add_into(dw[k], x->red, nw);
    }
  }
}

/* ---- operations ------------------------------------------------------------ */


static void lin12_fwd(hc_method *m, int n, float *const *y2, const float *x1,
                      const float *const *w, const int *nout) {
  summa_fwd(m, n, y2, x1, w, nout, m->h1);
}

static void lin12_bwd(hc_method *m, int n, float *dx1, float *const *dw, const float *const *dy2,
                      const float *x1, const float *const *w, const int *nout) {
  summa_bwd(m, n, dx1, dw, dy2, x1, w, nout, m->h1);
}

static void lin21_fwd(hc_method *m, float *y1, const float *x2, const float *w, int nin) {
  float *y[1] = {y1};
  const float *ws[1] = {w};
  int no[1] = {m->h1};
  summa_fwd(m, 1, y, x2, ws, no, nin);
}

static void lin21_bwd(hc_method *m, float *dx2, float *dw, const float *dy1, const float *x2,
                      const float *w, int nin) {
  float *dws[1] = {dw};
  const float *dys[1] = {dy1}, *ws[1] = {w};
  int no[1] = {m->h1};
  summa_bwd(m, 1, dx2, dws, dys, x2, ws, no, nin);
}

/* Logits (T_r, V_c): the vocabulary of a token is spread over row r, the
 * tokens over column c. */
static float loss(hc_method *m, float *dlogits, const float *logits, const int *targets) {
  summa *x = CTX(m);
  return hc_par_vocab_loss(m, x->c, &x->c->row, &x->c->col, dlogits, logits,
                           targets + (size_t)x->r * m->T2, m->T2, m->V2, x->v0, x->T, x->stat);
}

/* Norm gains: every row of a column holds partials over its tokens. */
static void grads_done(hc_method *m) {
  summa *x = CTX(m);
  hc_par_grads_done(m, x->c, &x->c->col, x->kv_share > 1 ? &x->kv : NULL);
}

static double grad_sumsq(hc_method *m) { return hc_par_grad_sumsq(m, CTX(m)->c); }

/* LoRA: W(r, c) = [H_r, O_c] is stored with rows O_c (shared by column c)
 * and columns H_r (shared by row r); [F_r, H_c] with rows H_c and columns
 * F_r: A goes with the row, B with the column (and the KV replicas). */
static int adapter_groups(hc_method *m, hc_param_kind target, int b, void *g[3]) {
  summa *x = CTX(m);
  g[0] = b ? &x->c->col : &x->c->row;
  if (b && (target == HC_P_WK || target == HC_P_WV) && x->kv_share > 1) return g[1] = &x->kv, 2;
  return 1;
}

/* Embedding (vocabulary V_r x H_c) and RMSNorm (features over row r) as in
 * Hecaton (internal.h). */
static const hc_method_ops kSummaOps = {
    hc_par_2d_embedding_forward, hc_par_2d_embedding_backward,
    hc_par_2d_rmsnorm_forward,   hc_par_2d_rmsnorm_backward,
    lin12_fwd, lin12_bwd, lin21_fwd, lin21_bwd, loss, grads_done, grad_sumsq, hc_par_charge, adapter_groups};

/* Columns of a row that read the same KV head (member k of the row is column k). */
static int kv_color(void *ctx, int col) { return col / ((summa *)ctx)->kv_share; }

void hc_summa_method(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c, int b,
                     int s, int phantom) {
  const hc_mesh *mesh = comm->mesh;
  summa *x = hc_calloc(1, sizeof *x);
  x->c = comm, x->cfg = *c;
  x->q = mesh->topo.R, x->r = mesh->i, x->col = mesh->j, x->T = b * s;
  int q = x->q, d = hc_model_head_dim(c);
  HC_ASSERT(hc_par_kv_block(c->n_kv_heads, q, x->col, &x->kv_lo, &x->nkv, &x->kv_share) == 0);
  hc_par_vocab_block((size_t)c->vocab_size, q, x->col, &x->v0, &x->nv);
  hc_par_vocab_block((size_t)c->vocab_size, q, x->r, &x->l1.v0, &x->l1.nv);
  if (x->kv_share > 1) hc_group_split(&x->kv, "kv", &comm->row, kv_color, x);
  *m = (hc_method){.name = "summa", .cfg = *c, .b = b, .s = s, .phantom = phantom};
  m->T1 = x->T / q, m->h1 = c->dim / q;
  m->b2 = b / q, m->T2 = m->T1;
  m->nh2 = c->n_heads / q, m->nkv2 = x->nkv;
  m->f2 = c->ffn_dim / q, m->V2 = (int)x->nv;
  m->t0_2 = (size_t)x->r * (size_t)m->T2, m->v0_2 = x->v0;
  m->ops = &kSummaOps;
  m->ledger = comm->ledger;
  m->ctx = x;
  m->p = p;
  hc_params_alloc_sharded(p, c, shard, x, !phantom);
  size_t w[] = {(size_t)m->h1, (size_t)m->nh2 * d, (size_t)m->nkv2 * d, (size_t)m->f2, x->nv};
  for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) x->wmax = w[k] > x->wmax ? w[k] : x->wmax;
  if (!phantom) {
    size_t act = (size_t)x->T * x->wmax, wsq = x->wmax * x->wmax;
    size_t big = act > wsq ? act : wsq;
    x->xb = hc_malloc(act * sizeof(float)), x->wb = hc_malloc(wsq * sizeof(float));
    x->part = hc_malloc(big * sizeof(float)), x->red = hc_malloc(big * sizeof(float));
    x->stat = hc_malloc(3 * (size_t)x->T * sizeof(float));
  }
  x->l1.c = comm, x->l1.algo = HC_ALGO_DEFAULT, x->l1.scratch = x->part, x->l1.stat = x->stat;
}

size_t hc_summa_buffer_bytes(const hc_method *m) {
  const summa *x = CTX(m);
  size_t act = (size_t)x->T * x->wmax, wsq = x->wmax * x->wmax, big = act > wsq ? act : wsq;
  return (act + wsq + 2 * big + 3 * (size_t)x->T) * sizeof(float);
}

double hc_summa_param_formula(const hc_method *m) {
  const hc_model_config *c = &m->cfg;
  summa *x = CTX(m);
  double h1 = m->h1, L = c->n_layers, q = x->q, d = hc_model_head_dim(c);
  return (double)x->l1.nv * h1 + (double)x->nv * h1 + (2 * L + 1) * h1 +
         L * (2 * (c->dim / q) * h1 + 2 * m->nkv2 * d * h1 + 3 * (c->ffn_dim / q) * h1);
}

void hc_summa_free(hc_method *m) {
  summa *x = CTX(m);
  if (!x) return;
  if (x->kv_share > 1) hc_group_free(&x->kv);
  free(x->xb), free(x->wb), free(x->part), free(x->red), free(x->stat);
  free(x);
  hc_params_free(m->p);
  m->ctx = NULL;
}
