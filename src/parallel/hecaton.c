/* hecaton.c: the Hecaton 2D method (DESIGN.md section 3).
 *
 * Chiplet (i, j) of an R x C mesh holds
 *   layout L1: tokens T_i (b/R whole sequences) x features H_j (h/C),
 *   layout L2: tokens T_j (b/C whole sequences) x head/FFN/vocab block i,
 * and the blocks W[O_i, H_j] of the L1 -> L2 linears (stored (out, in):
 * rows O_i, columns H_j) and W[F_i, H_j] of the L2 -> L1 linears (stored
 * rows H_j, columns F_i). A linear L1 -> L2 all-gathers its input over the
 * column, multiplies locally and reduce-scatters the partial product over
 * the row (token blocks); L2 -> L1 swaps row and column. Weight gradients
 * are complete locally: no gradient all-reduce, except for the norm gains
 * (held by every row of a column) and replicated KV heads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/flops.h"
#include "hecaton/kernels.h"
#include "hecaton/optim.h"
#include "hecaton/parallel.h"
#include "hecaton/util.h"
#include "internal.h"
#include "mappings.h"

typedef struct {
  hc_par_2d l1;            /* first: embedding and RMSNorm, shared with SUMMA */
  hc_comm *c;
  hc_hecaton_opts o;
  hc_model_config cfg;
  int R, C, i, j;
  int T;                   /* b * s, all tokens */
  int kv_lo, nkv, kv_rows; /* row i's KV heads [kv_lo, kv_lo+nkv); rows sharing one (1: none) */
  size_t v0, nv;           /* row i's vocabulary block */
  hc_group kv;             /* rows of column j holding the same KV head (kv_rows > 1) */
  float *xg, *pbuf, *dyg, *dxp, *stat; /* buffers of T x wmax floats (stat: T) */
  size_t wmax;
  float *chunk;            /* gathered chunks: two halves of chunk_half floats */
  size_t chunk_half;
  hc_saved saved;          /* with save_gathered: gathered inputs for backward */
} hecaton;

#define CTX(m) ((hecaton *)(m)->ctx)

/* ---- divisibility ------------------------------------------------------ */

int hc_hecaton_check(const hc_model_config *c, int R, int C, int b, char *err, size_t errlen) {
  struct { const char *name; int value; int axis; } rules[] = {
      {"batch", b, R}, {"n_heads", c->n_heads, R}, {"ffn_dim", c->ffn_dim, R},
      {"batch", b, C}, {"dim", c->dim, C}};
  char buf[64];
  for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
    int axis = rules[k].axis, is_row = k < 3;
    if (rules[k].value % axis)
      return hc_err(err, errlen,
                    "the Hecaton method needs %s (%d) divisible by the mesh %s (%s = %d): "
                    "nearest valid %s: %s, or change %s",
                    rules[k].name, rules[k].value, is_row ? "rows" : "columns", is_row ? "R" : "C",
                    axis, is_row ? "R" : "C", hc_par_nearest(rules[k].value, axis, buf, sizeof buf),
                    rules[k].name);
  }
  int nkv = c->n_kv_heads;
  if (nkv % R != 0 && R % nkv != 0)
    return hc_err(err, errlen,
                  "the Hecaton method needs the KV heads (n_kv_heads = %d) either split over the "
                  "mesh rows (R divides %d) or each read by whole rows (%d divides R); R = %d: "
                  "nearest valid R: %s",
                  nkv, nkv, nkv, R, hc_par_nearest(c->n_heads, R, buf, sizeof buf));
  if (c->vocab_size < R)
    return hc_err(err, errlen, "vocab_size %d is smaller than the mesh rows R = %d",
                  c->vocab_size, R);
  return 0;
}

/* ---- placement ---------------------------------------------------------- */

static void shard(void *ctx, size_t t, const hc_param_spec *s, size_t out[5]) {
  (void)t;
  const hecaton *x = ctx;
  size_t R = (size_t)x->R, C = (size_t)x->C, i = (size_t)x->i, j = (size_t)x->j;
  size_t rows = s->shape[0], cols = s->ndim == 2 ? s->shape[1] : 1;
  size_t hj0 = j * (cols / C), hjn = cols / C; /* H_j of an (out, h) tensor */
  size_t d = (size_t)hc_model_head_dim(&x->cfg);
  out[4] = 1;
  switch (s->kind) {
    case HC_P_ATTENTION_NORM:
    case HC_P_FFN_NORM:
    case HC_P_NORM: /* gain over H_j, held by every row of column j; row 0 owns it */
      out[0] = j * (rows / C), out[1] = rows / C, out[2] = 0, out[3] = 1, out[4] = i == 0;
      return;
    case HC_P_TOK_EMBEDDINGS:
    case HC_P_OUTPUT: /* vocabulary block V_i x H_j */
      out[0] = x->v0, out[1] = x->nv, out[2] = hj0, out[3] = hjn;
      return;
    case HC_P_WQ:
    case HC_P_W1:
    case HC_P_W3: /* O_i x H_j */
      out[0] = i * (rows / R), out[1] = rows / R, out[2] = hj0, out[3] = hjn;
      return;
    case HC_P_WK:
    case HC_P_WV: /* the KV heads row i reads x H_j; of replicas, the first row owns */
      out[0] = (size_t)x->kv_lo * d, out[1] = (size_t)x->nkv * d, out[2] = hj0, out[3] = hjn;
      out[4] = x->kv_rows == 1 || (int)i % x->kv_rows == 0;
      return;
    case HC_P_WO:
    case HC_P_W2: /* stored (h, in): rows H_j, columns F_i */
      out[0] = j * (rows / C), out[1] = rows / C, out[2] = i * (cols / R), out[3] = cols / R;
      return;
    default:
      HC_DIE("no placement for tensor kind %d", (int)s->kind);
  }
}

/* ---- helpers ------------------------------------------------------------- */

/* The tag of a collective, by the method's algorithm. */
static hc_map_tag on(const hecaton *x, int phase, int op) {
  return hc_map_on(phase, op, x->o.algo);
}
static int ph(const hc_method *m) { return m->phantom; }

static void add_into(float *y, const float *x, size_t n) {
  if (y) for (size_t k = 0; k < n; k++) y[k] += x[k];
}

static void push_saved(hecaton *x, const float *src, size_t n) {
  if (x->o.save_gathered) hc_saved_push(&x->saved, src, n);
}

/* Into x->xg: the saved copy, or a new gather of `local` over g (tagged
 * backward linear). */
static void regather(hecaton *x, hc_group *g, const float *local, size_t n_local) {
  if (x->o.save_gathered) hc_saved_pop(&x->saved, x->xg, n_local * (size_t)g->n);
  else hc_map_gather(x->c, g, on(x, HC_PHASE_BWD, HC_OPK_LINEAR), local, x->xg, n_local);
}

/* ---- operations ---------------------------------------------------------- */


/* A forward linear between the layouts in k token chunks. Inputs: every
 * member g of `gat` holds rows_in rows (tokens g*rows_in ..) of width win;
 * chunk c takes the same rows [r0, r0+rc) of each member's block, so its
 * gathered rows are in token order and their owners under `sct` (member s
 * holds tokens [s*rows_out, (s+1)*rows_out)) come in contiguous runs: the
 * partial product of the chunk is reduce-scattered with those counts and
 * each owner puts its rows back by token. Every row meets the same owner
 * and the same summation order as unchunked; the GEMMs' other row counts
 * may round a row differently in OpenBLAS (AVX2 kernels), so results agree
 * with k = 1 within rounding (tests/cli/chunks.sh: 1e-5 per tensor).
 * On the timeline the gathers wait only for the input, each GEMM for its
 * chunk's gather and each reduce-scatter for its GEMM: the NoP engine runs
 * AG(c+1) and RS(c-1) while the compute engine runs GEMM(c). */
static void chunked_fwd(hc_method *m, hc_group *gat, int rows_in, int win, const float *xin, int n,
                        float *const *y, const float *const *w, const int *nout, hc_group *sct,
                        int rows_out, int save) {
  hecaton *x = CTX(m);
  hc_map_tag fwd = on(x, HC_PHASE_FWD, HC_OPK_LINEAR);
  int k = x->o.chunks > 1 ? x->o.chunks : 1, G = gat->n, S = sct->n, me = sct->me;
  if (k > rows_in) k = rows_in;
  size_t W = (size_t)win;
  size_t *cnt = hc_malloc((size_t)S * sizeof(size_t));
  size_t *tok = ph(m) ? NULL : hc_malloc((size_t)G * rows_in * sizeof(size_t));
  hc_pipeline pipe = hc_ledger_pipeline_begin(m->ledger);
  double end = pipe.ready, *ag_end = hc_malloc((size_t)k * sizeof(double));
  /* chunk c: rows [r0(c), r0(c) + rc(c)) of each member's block */
#define R0(c) ((size_t)(c) * (size_t)(rows_in / k) + (size_t)((c) < rows_in % k ? (c) : rows_in % k))
#define RC(c) ((size_t)(rows_in / k) + ((c) < rows_in % k))
  ag_end[0] = hc_map_gather_at(x->c, gat, fwd, xin ? xin + R0(0) * W : NULL, x->chunk, RC(0) * W,
                               pipe.ready);
  for (int c = 0; c < k; c++) {
    size_t r0 = R0(c), rc = RC(c), rows = (size_t)G * rc;
    float *xc = ph(m) ? NULL : x->chunk + (c % 2) * x->chunk_half; /* chunk c and c+1 alternate */
    /* the next chunk's gather goes out before this chunk's GEMM */
    if (c + 1 < k) {
      float *next = ph(m) ? NULL : x->chunk + ((c + 1) % 2) * x->chunk_half;
      ag_end[c + 1] = hc_map_gather_at(x->c, gat, fwd, xin ? xin + R0(c + 1) * W : NULL, next,
                                       RC(c + 1) * W, pipe.ready);
    }
    /* gathered row q: member q / rc, token (q / rc) rows_in + r0 + q % rc;
     * member g's run of tokens splits over the owners' blocks */
    for (int s = 0; s < S; s++) cnt[s] = 0;
    for (int g = 0; g < G; g++) {
      size_t lo = (size_t)g * rows_in + r0, hi = lo + rc;
      for (size_t t = lo; t < hi;) {
        size_t s = t / (size_t)rows_out, end = (s + 1) * (size_t)rows_out;
        if (end > hi) end = hi;
        cnt[s] += end - t;
        t = end;
      }
    }
    if (xc)
      for (size_t q = 0; q < rows; q++) tok[q] = (q / rc) * (size_t)rows_in + r0 + q % rc;
    if (save && xc) /* the whole gathered input, in token order, for backward */
      for (size_t q = 0; q < rows; q++) memcpy(x->xg + tok[q] * W, xc + q * W, W * sizeof(float));
    for (int o = 0; o < n; o++) {
      size_t no = (size_t)nout[o], *cnt_o = hc_malloc((size_t)S * sizeof(size_t));
      for (int s = 0; s < S; s++) cnt_o[s] = cnt[s] * no;
      if (xc) hc_matmul_forward(x->pbuf, xc, w[o], (int)rows, win, nout[o]);
      double g_end = hc_par_charge_at(m, HC_PHASE_FWD, HC_OPK_LINEAR,
                                      hc_flops_matmul((double)rows, win, nout[o]), ag_end[c], "gemm");
      end = fmax(end, hc_map_reduce_scatterv_at(x->c, sct, fwd, x->pbuf, x->dxp, cnt_o, g_end));
      if (xc) { /* my rows, in token order, back to their places */
        size_t got = 0;
        for (size_t q = 0; q < rows; q++)
          if (tok[q] / (size_t)rows_out == (size_t)me)
            memcpy(y[o] + (tok[q] - (size_t)me * rows_out) * no, x->dxp + got++ * no, no * sizeof(float));
      }
      free(cnt_o);
    }
  }
#undef R0
#undef RC
  if (save) push_saved(x, ph(m) ? NULL : x->xg, (size_t)G * rows_in * W);
  hc_ledger_pipeline_end(m->ledger, &pipe, end);
  free(cnt), free(tok), free(ag_end);
}

/* L1 -> L2: gather X[T, H_j] over column j, P = X W^T (T x nout) for each
 * weight, reduce-scatter P's token blocks over row i. */
static void lin12_fwd(hc_method *m, int n, float *const *y2, const float *x1,
                      const float *const *w, const int *nout) {
  hecaton *x = CTX(m);
  chunked_fwd(m, &x->c->col, m->T1, m->h1, x1, n, y2, w, nout, &x->c->row, m->T2,
              x->o.save_gathered && !m->forward_only);
}

/* dY[T_j, O_i] -> gathered over row i; dW = dY^T X is complete here; the
 * partial dX = sum_k dY_k W_k is reduce-scattered over column j. */
static void lin12_bwd(hc_method *m, int n, float *dx1, float *const *dw, const float *const *dy2,
                      const float *x1, const float *const *w, const int *nout) {
  hecaton *x = CTX(m);
  hc_map_tag bwd = on(x, HC_PHASE_BWD, HC_OPK_LINEAR);
  size_t nl = (size_t)m->T1 * m->h1, T = (size_t)x->T;
  regather(x, &x->c->col, x1, nl);
  if (!ph(m)) memset(x->dxp, 0, T * (size_t)m->h1 * sizeof(float));
  for (int k = 0; k < n; k++) {
    hc_map_gather(x->c, &x->c->row, bwd, dy2[k], x->dyg, (size_t)m->T2 * nout[k]);
    if (!ph(m)) hc_matmul_backward(x->dxp, NULL, x->dyg, x->xg, w[k], x->T, m->h1, nout[k]);
    double wf = hc_method_wgrad(m, k, dw[k], x->dyg, x->xg, x->T, m->h1, nout[k]);
    hc_par_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_flops_matmul(x->T, m->h1, nout[k]) + wf, "gemm");
  }
  hc_map_reduce_scatter(x->c, &x->c->col, bwd, x->dxp, x->pbuf, nl);
  if (!ph(m)) add_into(dx1, x->pbuf, nl);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, HC_FLOPS_ADD * (double)nl, "add");
}

/* L2 -> L1: gather X[T, F_i] over row i, P = X W^T (T x h/C), reduce-scatter
 * P's token blocks over column j. */
static void lin21_fwd(hc_method *m, float *y1, const float *x2, const float *w, int nin) {
  hecaton *x = CTX(m);
  float *y[1] = {y1};
  const float *ws[1] = {w};
  int no[1] = {m->h1};
  chunked_fwd(m, &x->c->row, m->T2, nin, x2, 1, y, ws, no, &x->c->col, m->T1,
              x->o.save_gathered && !m->forward_only);
}

static void lin21_bwd(hc_method *m, float *dx2, float *dw, const float *dy1, const float *x2,
                      const float *w, int nin) {
  hecaton *x = CTX(m);
  hc_map_tag bwd = on(x, HC_PHASE_BWD, HC_OPK_LINEAR);
  size_t nl = (size_t)m->T2 * nin, T = (size_t)x->T;
  hc_map_gather(x->c, &x->c->col, bwd, dy1, x->dyg, (size_t)m->T1 * m->h1);
  regather(x, &x->c->row, x2, nl);
  if (!ph(m)) {
    memset(x->dxp, 0, T * (size_t)nin * sizeof(float));
    hc_matmul_backward(x->dxp, NULL, x->dyg, x->xg, w, x->T, nin, m->h1);
  }
  double wf = hc_method_wgrad(m, 0, dw, x->dyg, x->xg, x->T, nin, m->h1);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_flops_matmul(x->T, nin, m->h1) + wf, "gemm");
  hc_map_reduce_scatter(x->c, &x->c->row, bwd, x->dxp, x->pbuf, nl);
  if (!ph(m)) add_into(dx2, x->pbuf, nl);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, HC_FLOPS_ADD * (double)nl, "add");
}

/* Vocabulary-parallel cross-entropy: chiplet (i, j) holds logits of tokens
 * T_j over V_i; the vocabulary of a token is spread over column j, the
 * column's tokens over the row. */
static float loss(hc_method *m, float *dlogits, const float *logits, const int *targets) {
  hecaton *x = CTX(m);
  return hc_par_vocab_loss(m, x->c, &x->c->col, &x->c->row, dlogits, logits,
                           targets + (size_t)x->j * m->T2, m->T2, m->V2, x->v0, x->T, x->stat);
}

/* Norm gains: every row of column j holds the gain and a partial gradient
 * over its tokens; replicated KV heads: partial gradients per replica row. */
static void grads_done(hc_method *m) {
  hecaton *x = CTX(m);
  hc_par_grads_done(m, x->c, &x->c->col, x->kv_rows > 1 ? &x->kv : NULL);
}

static double grad_sumsq(hc_method *m) { return hc_par_grad_sumsq(m, CTX(m)->c); }

/* LoRA's adapters follow their target's block: an L1 -> L2 weight (O_i x
 * H_j) shares its columns (A) with column j and its rows (B) with row i
 * and, for replicated KV heads, with the replica rows; wo and w2 (H_j x
 * F_i) the other way round. */
static int adapter_groups(hc_method *m, hc_param_kind target, int b, void *g[3]) {
  hecaton *x = CTX(m);
  int l21 = target == HC_P_WO || target == HC_P_W2, kv = target == HC_P_WK || target == HC_P_WV;
  g[0] = (b != l21) ? &x->c->row : &x->c->col;
  if (b && kv && x->kv_rows > 1) return g[1] = &x->kv, 2;
  return 1;
}

/* Embedding (vocabulary V_i x H_j) and RMSNorm (features over row i) as in
 * SUMMA (internal.h). */
static const hc_method_ops kHecatonOps = {
    hc_par_2d_embedding_forward, hc_par_2d_embedding_backward,
    hc_par_2d_rmsnorm_forward,   hc_par_2d_rmsnorm_backward,
    lin12_fwd, lin12_bwd, lin21_fwd, lin21_bwd, loss, grads_done, grad_sumsq, hc_par_charge,
    adapter_groups};

/* Rows of a column that read the same KV head (member k of the column is row k). */
static int kv_color(void *ctx, int row) { return row / ((hecaton *)ctx)->kv_rows; }

void hc_hecaton_method(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                       int b, int s, int phantom, const hc_hecaton_opts *o) {
  const hc_mesh *mesh = comm->mesh;
  hecaton *x = hc_calloc(1, sizeof *x);
  x->c = comm;
  x->o = *o;
  x->cfg = *c;
  x->R = mesh->topo.R, x->C = mesh->topo.C, x->i = mesh->i, x->j = mesh->j;
  x->T = b * s;
  int R = x->R, d = hc_model_head_dim(c);
  /* KV heads split over the rows, or each read by R / n_kv consecutive rows */
  HC_ASSERT(hc_par_kv_block(c->n_kv_heads, R, x->i, &x->kv_lo, &x->nkv, &x->kv_rows) == 0);
  hc_par_vocab_block((size_t)c->vocab_size, R, x->i, &x->v0, &x->nv);
  if (x->kv_rows > 1) hc_group_split(&x->kv, "kv", &comm->col, kv_color, x);

  *m = (hc_method){.name = "hecaton", .cfg = *c, .b = b, .s = s, .phantom = phantom};
  m->T1 = (b / R) * s, m->h1 = c->dim / x->C;
  m->b2 = b / x->C, m->T2 = m->b2 * s;
  m->nh2 = c->n_heads / R, m->nkv2 = x->nkv;
  m->f2 = c->ffn_dim / R, m->V2 = (int)x->nv;
  m->t0_2 = (size_t)x->j * (size_t)m->T2, m->v0_2 = x->v0;
  m->ops = &kHecatonOps;
  m->lora_thin = 1;
  m->ledger = comm->ledger;
  m->ctx = x;
  m->p = p;
  hc_params_alloc_sharded(p, c, shard, x, !phantom);
  if (o->save_gathered) { /* per layer: the inputs of qkv, wo, w1/w3, w2; then the LM head's */
    double T = (double)x->T;
    m->saved_extra = c->n_layers * T * (2.0 * m->h1 + (double)m->nh2 * d + m->f2) + T * m->h1;
  }

  size_t w[] = {(size_t)m->h1, (size_t)m->nh2 * d, (size_t)m->nkv2 * d, (size_t)m->f2, x->nv};
  x->wmax = 0;
  for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) x->wmax = w[k] > x->wmax ? w[k] : x->wmax;
  if (!phantom) {
    size_t n = (size_t)x->T * x->wmax;
    x->xg = hc_malloc(n * sizeof(float)), x->pbuf = hc_malloc(n * sizeof(float));
    x->dyg = hc_malloc(n * sizeof(float)), x->dxp = hc_malloc(n * sizeof(float));
    x->stat = hc_malloc(3 * (size_t)x->T * sizeof(float));
  }
  /* A chunk gathers at most T/2 + max(R, C) rows when there are two or more;
   * one chunk is the whole T. */
  size_t g = (size_t)(x->R > x->C ? x->R : x->C);
  x->chunk_half = ((size_t)x->T / 2 + g) * x->wmax;
  if (!phantom) x->chunk = hc_malloc(2 * x->chunk_half * sizeof(float));
  x->l1 = (hc_par_2d){comm, o->algo, x->v0, x->nv, x->pbuf, x->stat};
}

size_t hc_hecaton_buffer_bytes(const hc_method *m) {
  const hecaton *x = CTX(m);
  return (4 * (size_t)x->T * x->wmax + 3 * (size_t)x->T + 2 * x->chunk_half) * sizeof(float) +
         x->saved.peak;
}

void hc_hecaton_free(hc_method *m) {
  hecaton *x = CTX(m);
  if (!x) return;
  if (x->kv_rows > 1) hc_group_free(&x->kv);
  hc_saved_free(&x->saved);
  free(x->xg), free(x->pbuf), free(x->dyg), free(x->dxp), free(x->stat), free(x->chunk);
  free(x);
  hc_params_free(m->p);
  m->ctx = NULL;
}

double hc_hecaton_param_formula(const hc_method *m) {
  const hc_model_config *c = &m->cfg;
  double h1 = m->h1, L = c->n_layers, R = CTX(m)->R, d = hc_model_head_dim(c);
  return 2.0 * m->V2 * h1 + (2 * L + 1) * h1 +
         L * ((c->dim / R) * h1 * 2 + 2 * m->nkv2 * d * h1 + 3 * (c->ffn_dim / R) * h1);
}
