/* megatron.c: Megatron-LM 1D tensor parallelism over all N = R*C chiplets
 * (DESIGN.md section 4), with and without sequence parallelism.
 *
 * Chiplet r holds the column-parallel rows O_r of wq, wk, wv, w1, w3 (its
 * query heads, the KV heads they read, its FFN columns), the row-parallel
 * columns of wo and w2, and the vocabulary block V_r of the embedding and
 * LM head. The whole mesh is one tensor-parallel group, its ring laid on a
 * Hamiltonian cycle of the mesh where one exists.
 *   Without SP the residual stream, norms and their inputs are replicated
 *   (L1 = all T tokens x all h features): the forward all-reduces after wo
 *   and w2, the backward all-reduces dX at the qkv and gate/up inputs.
 *   With SP the residual stream is split by tokens (L1 = T/N tokens x h):
 *   the all-reduces become all-gather (before the column-parallel linears)
 *   and reduce-scatter (after the row-parallel ones); norm-gain gradients
 *   are all-reduced.
 * KV heads: split over the chiplets when N divides n_kv; when n_kv divides
 * N each head is replicated on the N/n_kv chiplets whose query heads read
 * it (as recent Megatron does), and its gradients are all-reduced over
 * them: 2 x 2(k-1)/k x (d h) elements per layer per chiplet, k = N/n_kv.
 *
 * Hybrid with data parallelism (megatron-dp): the mesh is cut into D blocks
 * of g = gr x gc chiplets (sub-rectangles, so tensor-parallel traffic stays
 * inside a block); each block is one Megatron-SP group, N = g above, on the
 * b/D sequences of its data-parallel rank. After backward every chiplet
 * all-reduces its whole gradient buffer over the D chiplets that hold the
 * same shards (one per block, the data-parallel group, its ring laid over
 * the grid of blocks): 2 (D-1)/D P_c e bytes per chiplet for P_c parameter
 * floats, under (backward, other). Replicas are owned by block 0. */
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
  hc_comm *c;
  hc_model_config cfg;
  int sp, save_gathered;
  int N, r, T;  /* tensor-parallel group size, this chiplet's member, its tokens */
  int D, dp;    /* data-parallel groups, this chiplet's (0 without DP) */
  size_t t0;    /* first token of this data-parallel group's sequences */
  hc_group *tp; /* the tensor-parallel group: the mesh, or tpg */
  hc_group tpg, dpg; /* with DP: this block, and the chiplets holding the same shards */
  int kv_lo, nkv, kv_share;
  size_t v0, nv;
  hc_group kv;            /* chiplets sharing a replicated KV head */
  float *xg, *pbuf, *stat; /* T x h gathered input / partial sums; 3T statistics */
  hc_saved saved;
} megatron;

#define CTX(m) ((megatron *)(m)->ctx)
/* Every collective over the whole mesh, by the comm's algorithm. */
static hc_map_tag on(int phase, int op) { return hc_map_on(phase, op, HC_ALGO_DEFAULT); }
static const float *P(hc_method *m, hc_param_kind k, int l) { return hc_param_ptr(m->p, m->p->params, k, l); }
static float *G(hc_method *m, hc_param_kind k, int l) { return hc_param_ptr(m->p, m->p->grads, k, l); }
static void add_into(float *y, const float *x, size_t n) {
  if (y) for (size_t k = 0; k < n; k++) y[k] += x[k];
}

int hc_megatron_check(const hc_model_config *c, int N, int b, int s, int sp, char *err,
                      size_t errlen) {
  char buf[64];
  if (c->n_heads % N)
    return hc_err(err, errlen,
                  "Megatron tensor parallelism over all %d chiplets needs n_heads (%d) divisible "
                  "by %d: nearest valid chiplet counts: %s",
                  N, c->n_heads, N, hc_par_nearest(c->n_heads, N, buf, sizeof buf));
  if (c->ffn_dim % N)
    return hc_err(err, errlen,
                  "Megatron tensor parallelism needs ffn_dim (%d) divisible by the %d chiplets: "
                  "nearest valid: %s",
                  c->ffn_dim, N, hc_par_nearest(c->ffn_dim, N, buf, sizeof buf));
  int lo, n, share;
  if (hc_par_kv_block(c->n_kv_heads, N, 0, &lo, &n, &share))
    return hc_err(err, errlen,
                  "Megatron needs the KV heads (n_kv_heads = %d) split over the %d chiplets or "
                  "each replicated on whole groups of them (n_kv divides %d)",
                  c->n_kv_heads, N, N);
  if (sp && ((long)b * s) % N)
    return hc_err(err, errlen,
                  "Megatron sequence parallelism needs the %d tokens of a step (batch x seq) "
                  "divisible by the %d chiplets",
                  b * s, N);
  if (c->vocab_size < N)
    return hc_err(err, errlen, "vocab_size %d is smaller than the %d chiplets", c->vocab_size, N);
  return 0;
}

static void shard(void *ctx, size_t t, const hc_param_spec *s, size_t out[5]) {
  (void)t;
  const megatron *x = ctx;
  size_t N = (size_t)x->N, r = (size_t)x->r, rows = s->shape[0];
  size_t cols = s->ndim == 2 ? s->shape[1] : 1, d = (size_t)hc_model_head_dim(&x->cfg);
  out[4] = 1;
  switch (s->kind) {
    case HC_P_ATTENTION_NORM:
    case HC_P_FFN_NORM:
    case HC_P_NORM: /* replicated; chiplet 0 owns */
      out[0] = 0, out[1] = rows, out[2] = 0, out[3] = 1, out[4] = r == 0 && x->dp == 0;
      return;
    case HC_P_TOK_EMBEDDINGS:
    case HC_P_OUTPUT: /* vocabulary-parallel */
      out[0] = x->v0, out[1] = x->nv, out[2] = 0, out[3] = cols, out[4] = x->dp == 0;
      return;
    case HC_P_WQ:
    case HC_P_W1:
    case HC_P_W3: /* column-parallel: rows O_r */
      out[0] = r * (rows / N), out[1] = rows / N, out[2] = 0, out[3] = cols, out[4] = x->dp == 0;
      return;
    case HC_P_WK:
    case HC_P_WV:
      out[0] = (size_t)x->kv_lo * d, out[1] = (size_t)x->nkv * d, out[2] = 0, out[3] = cols;
      out[4] = x->dp == 0 && (x->kv_share == 1 || (int)r % x->kv_share == 0);
      return;
    case HC_P_WO:
    case HC_P_W2: /* row-parallel: input columns of chiplet r */
      out[0] = 0, out[1] = rows, out[2] = r * (cols / N), out[3] = cols / N, out[4] = x->dp == 0;
      return;
    default:
      HC_DIE("no placement for tensor kind %d", (int)s->kind);
  }
}

/* ---- operations ---------------------------------------------------------- */

/* Every tensor-parallel collective runs over the group (the whole mesh
 * without DP). */
static hc_group *all(hc_method *m) { return CTX(m)->tp; }

static void embed_fwd(hc_method *m, float *x1, const int *tok) {
  megatron *x = CTX(m);
  hc_map_tag t = on(HC_PHASE_FWD, HC_OPK_EMBED);
  size_t h = (size_t)m->cfg.dim;
  float *part = x->sp ? x->pbuf : x1; /* partial X[T, h]: ids of V_r only */
  if (!m->phantom)
    hc_embedding_forward(part, tok + x->t0, P(m, HC_P_TOK_EMBEDDINGS, -1), x->T, (int)h, (int)x->v0, (int)x->nv);
  if (x->sp) hc_map_reduce_scatter(x->c, all(m), t, part, x1, (size_t)m->T1 * h);
  else hc_map_all_reduce(x->c, all(m), t, x1, x1, (size_t)x->T * h, HC_RED_SUM);
}

static void embed_bwd(hc_method *m, const float *dx1, const int *tok) {
  megatron *x = CTX(m);
  size_t h = (size_t)m->cfg.dim;
  const float *dX = dx1;
  if (x->sp) {
    hc_map_gather(x->c, all(m), on(HC_PHASE_BWD, HC_OPK_EMBED), dx1, x->xg, (size_t)m->T1 * h);
    dX = x->xg;
  }
  if (!m->phantom && G(m, HC_P_TOK_EMBEDDINGS, -1)) /* (not when frozen) */
    hc_embedding_backward(G(m, HC_P_TOK_EMBEDDINGS, -1), dX, tok + x->t0, x->T, (int)h, (int)x->v0, (int)x->nv);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_EMBED, (double)x->T * (double)h, "embedding");
}

static void norm_fwd(hc_method *m, float *out, float *rstd, const float *x1, const float *g) {
  if (!m->phantom) hc_rmsnorm_forward(out, rstd, x1, g, m->T1, m->h1, (float)m->cfg.norm_eps);
  hc_par_charge(m, HC_PHASE_FWD, HC_OPK_NORM, HC_FLOPS_NORM_FWD * (double)m->T1 * m->h1, "norm");
}

static void norm_bwd(hc_method *m, float *dx1, float *dg, const float *dout, const float *rstd,
                     const float *x1, const float *g) {
  if (!m->phantom) hc_rmsnorm_backward(dx1, dg, dout, rstd, x1, g, m->T1, m->h1);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_NORM, HC_FLOPS_NORM_BWD * (double)m->T1 * m->h1, "norm");
}

/* Column-parallel: SP gathers the token-split input first (tagged linear
 * of the pass). */
static const float *gathered_input(hc_method *m, const float *x1, int forward) {
  megatron *x = CTX(m);
  if (!x->sp) return x1;
  size_t n = (size_t)m->T1 * m->h1;
  if (!forward && x->save_gathered) { /* (never after a forward-only pass) */
    hc_saved_pop(&x->saved, x->xg, n * (size_t)x->N);
  } else {
    hc_map_gather(x->c, all(m), on(forward ? HC_PHASE_FWD : HC_PHASE_BWD, HC_OPK_LINEAR), x1, x->xg,
                  n);
    if (forward && x->save_gathered && !m->forward_only)
      hc_saved_push(&x->saved, x->xg, n * (size_t)x->N);
  }
  return x->xg;
}

static void lin12_fwd(hc_method *m, int n, float *const *y2, const float *x1,
                      const float *const *w, const int *nout) {
  const float *X = gathered_input(m, x1, 1);
  for (int k = 0; k < n; k++) {
    if (!m->phantom) hc_matmul_forward(y2[k], X, w[k], CTX(m)->T, m->h1, nout[k]);
    hc_par_charge(m, HC_PHASE_FWD, HC_OPK_LINEAR, hc_flops_matmul(CTX(m)->T, m->h1, nout[k]), "gemm");
  }
}

static void lin12_bwd(hc_method *m, int n, float *dx1, float *const *dw, const float *const *dy2,
                      const float *x1, const float *const *w, const int *nout) {
  megatron *x = CTX(m);
  hc_map_tag t = on(HC_PHASE_BWD, HC_OPK_LINEAR);
  const float *X = gathered_input(m, x1, 0);
  size_t full = (size_t)x->T * m->h1;
  if (!m->phantom) memset(x->pbuf, 0, full * sizeof(float));
  for (int k = 0; k < n; k++) {
    if (!m->phantom) hc_matmul_backward(x->pbuf, NULL, dy2[k], X, w[k], x->T, m->h1, nout[k]);
    double wf = hc_method_wgrad(m, k, dw[k], dy2[k], X, x->T, m->h1, nout[k]);
    hc_par_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_flops_matmul(x->T, m->h1, nout[k]) + wf, "gemm");
  }
  if (x->sp) {
    hc_map_reduce_scatter(x->c, all(m), t, x->pbuf, x->xg, (size_t)m->T1 * m->h1);
    if (!m->phantom) add_into(dx1, x->xg, (size_t)m->T1 * m->h1);
  } else {
    hc_map_all_reduce(x->c, all(m), t, x->pbuf, x->pbuf, full, HC_RED_SUM);
    if (!m->phantom) add_into(dx1, x->pbuf, full);
  }
}

/* Row-parallel: the partial product is all-reduced (SP: reduce-scattered). */
static void lin21_fwd(hc_method *m, float *y1, const float *x2, const float *w, int nin) {
  megatron *x = CTX(m);
  hc_map_tag t = on(HC_PHASE_FWD, HC_OPK_LINEAR);
  size_t full = (size_t)x->T * m->h1;
  if (!m->phantom) hc_matmul_forward(x->pbuf, x2, w, x->T, nin, m->h1);
  hc_par_charge(m, HC_PHASE_FWD, HC_OPK_LINEAR, hc_flops_matmul(x->T, nin, m->h1), "gemm");
  if (x->sp) {
    hc_map_reduce_scatter(x->c, all(m), t, x->pbuf, y1, (size_t)m->T1 * m->h1);
  } else {
    hc_map_all_reduce(x->c, all(m), t, x->pbuf, x->pbuf, full, HC_RED_SUM);
    if (!m->phantom) memcpy(y1, x->pbuf, full * sizeof(float));
  }
}

static void lin21_bwd(hc_method *m, float *dx2, float *dw, const float *dy1, const float *x2,
                      const float *w, int nin) {
  megatron *x = CTX(m);
  const float *dY = dy1;
  if (x->sp) {
    hc_map_gather(x->c, all(m), on(HC_PHASE_BWD, HC_OPK_LINEAR), dy1, x->xg, (size_t)m->T1 * m->h1);
    dY = x->xg;
  }
  if (!m->phantom) hc_matmul_backward(dx2, NULL, dY, x2, w, x->T, nin, m->h1);
  double wf = hc_method_wgrad(m, 0, dw, dY, x2, x->T, nin, m->h1);
  hc_par_charge(m, HC_PHASE_BWD, HC_OPK_LINEAR, hc_flops_matmul(x->T, nin, m->h1) + wf, "gemm");
}

static float loss(hc_method *m, float *dlogits, const float *logits, const int *targets) {
  megatron *x = CTX(m);
  /* With DP the loss is summed over the data-parallel groups' tokens. */
  return hc_par_vocab_loss(m, x->c, all(m), x->D > 1 ? &x->dpg : NULL, dlogits, logits,
                           targets + x->t0, x->T, m->V2, x->v0, m->b * m->s, x->stat);
}

/* SP: norm gains hold partials over each chiplet's tokens. DP: each group's
 * gradients are its sequences' share of the mean loss's; their sum over the
 * groups, one all-reduce of the whole buffer, is the step's gradient. */
static void grads_done(hc_method *m) {
  megatron *x = CTX(m);
  hc_par_grads_done(m, x->c, x->sp ? all(m) : NULL, x->kv_share > 1 ? &x->kv : NULL);
  if (x->D > 1 && m->cfg.lora_rank == 0) /* (LoRA's adapters are summed over the whole mesh) */
    hc_map_all_reduce(x->c, &x->dpg, on(HC_PHASE_BWD, HC_OPK_OTHER), m->p->grads, m->p->grads,
                      m->p->n_train, HC_RED_SUM);
}

static double grad_sumsq(hc_method *m) { return hc_par_grad_sumsq(m, CTX(m)->c); }

/* LoRA: a column-parallel weight (rows O_r, every input column) shares its
 * A with the whole tensor-parallel group and its B only with KV replicas;
 * a row-parallel one (every output row, input columns F_r) shares its B
 * with the group. With DP the blocks' copies hold the same parts too. */
static int adapter_groups(hc_method *m, hc_param_kind target, int b, void *g[3]) {
  megatron *x = CTX(m);
  int n = 0, row_par = target == HC_P_WO || target == HC_P_W2;
  if (b == row_par) g[n++] = x->tp;
  if (b && (target == HC_P_WK || target == HC_P_WV) && x->kv_share > 1) g[n++] = &x->kv;
  if (x->D > 1) g[n++] = &x->dpg;
  return n;
}

static const hc_method_ops kMegatronOps = {embed_fwd, embed_bwd, norm_fwd,  norm_bwd,
                                           lin12_fwd, lin12_bwd, lin21_fwd, lin21_bwd,
                                           loss,      grads_done, grad_sumsq, hc_par_charge,
                                           adapter_groups};

/* Chiplets reading the same KV head (member k of the tensor-parallel group). */
static int kv_color(void *ctx, int r) { return r / ((megatron *)ctx)->kv_share; }

/* Blocks of g chiplets on an R x C mesh: gr x gc with gr | R and gc | C,
 * the most nearly square (ties: the wider). -1 when there is none. */
static int block_shape(int R, int C, int g, int *gr, int *gc) {
  int best = -1, br = 0, bc = 0;
  for (int r = 1; r <= R; r++)
    if (R % r == 0 && g % r == 0 && C % (g / r) == 0) {
      int c = g / r, skew = r > c ? r - c : c - r;
      if (best < 0 || skew < best || (skew == best && c > bc)) best = skew, br = r, bc = c;
    }
  *gr = br, *gc = bc;
  return best < 0 ? -1 : 0;
}

int hc_megatron_dp_size(const hc_model_config *c, int R, int C, int b, int s) {
  int N = R * C, gr = 0, gc = 0;
  for (int g = N < c->n_heads ? N : c->n_heads; g >= 1; g--) {
    char err[8];
    if (N % g || block_shape(R, C, g, &gr, &gc) || b % (N / g)) continue;
    if (!hc_megatron_check(c, g, b / (N / g), s, 1, err, sizeof err)) return g;
  }
  return 0;
}

int hc_megatron_dp_check(const hc_model_config *c, int R, int C, int b, int s, char *err,
                         size_t errlen) {
  if (hc_megatron_dp_size(c, R, C, b, s)) return 0;
  return hc_err(err, errlen,
                "Megatron-DP on %dx%d finds no tensor-parallel group size g: g must divide "
                "n_heads (%d) and ffn_dim (%d), split or replicate the %d KV heads, tile the mesh "
                "in g-chiplet blocks, and the batch (%d) must divide over the %d/g groups with "
                "each group's tokens divisible by g",
                R, C, c->n_heads, c->ffn_dim, c->n_kv_heads, b, R * C);
}

/* Mesh chiplet k (rank order: row-major) -> its block (tp) or its place in
 * its block (dp: the chiplets holding the same shards). */
typedef struct {
  int C, gr, gc;
} blocks;
static int block_of(void *ctx, int k) {
  const blocks *q = ctx;
  return (k / q->C / q->gr) * (q->C / q->gc) + (k % q->C) / q->gc;
}
static int place_in_block(void *ctx, int k) {
  const blocks *q = ctx;
  return (k / q->C % q->gr) * q->gc + (k % q->C) % q->gc;
}
/* A group split from the mesh keeps the mesh's row-major order, which is
 * row-major on its R x C grid (a block, or the grid of blocks): lay its
 * ring on that grid's Hamiltonian cycle (or snake) as the mesh's is. */
static void lay_on_grid(hc_group *g, int R, int C) {
  hc_topo t = {.R = R, .C = C};
  g->ring_is_cycle = hc_ring_order(&t, g->ring);
  hc_snake_order(&t, g->line);
}

/* tp: the tensor-parallel group size (R*C: the whole mesh, no DP). */
static void build(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c, int b,
                  int s, int sp, int tp, int phantom, int save_gathered, const char *name) {
  megatron *x = hc_calloc(1, sizeof *x);
  int R = comm->mesh->topo.R, C = comm->mesh->topo.C;
  x->c = comm, x->cfg = *c, x->sp = sp, x->save_gathered = save_gathered;
  x->D = R * C / tp, x->tp = &comm->all;
  if (x->D > 1) {
    blocks q = {.C = C};
    HC_ASSERT(block_shape(R, C, tp, &q.gr, &q.gc) == 0);
    hc_group_split(&x->tpg, "tensor-parallel", &comm->all, block_of, &q);
    hc_group_split(&x->dpg, "data-parallel", &comm->all, place_in_block, &q);
    lay_on_grid(&x->tpg, q.gr, q.gc);
    lay_on_grid(&x->dpg, R / q.gr, C / q.gc);
    x->tp = &x->tpg, x->dp = block_of(&q, comm->all.me);
  }
  int bl = b / x->D; /* this group's sequences */
  x->N = x->tp->n, x->r = x->tp->me, x->T = bl * s, x->t0 = (size_t)x->dp * (size_t)x->T;
  HC_ASSERT(hc_par_kv_block(c->n_kv_heads, x->N, x->r, &x->kv_lo, &x->nkv, &x->kv_share) == 0);
  hc_par_vocab_block((size_t)c->vocab_size, x->N, x->r, &x->v0, &x->nv);
  if (x->kv_share > 1) hc_group_split(&x->kv, "kv", x->tp, kv_color, x);
  *m = (hc_method){.name = name, .cfg = *c, .b = b, .s = s, .phantom = phantom};
  m->T1 = sp ? x->T / x->N : x->T, m->h1 = c->dim;
  m->b2 = bl, m->T2 = x->T;
  m->nh2 = c->n_heads / x->N, m->nkv2 = x->nkv;
  m->f2 = c->ffn_dim / x->N, m->V2 = (int)x->nv;
  m->t0_2 = x->t0, m->v0_2 = x->v0;
  m->ops = &kMegatronOps;
  m->lora_thin = 1;
  m->ledger = comm->ledger;
  m->ctx = x;
  m->p = p;
  hc_params_alloc_sharded(p, c, shard, x, !phantom);
  if (sp && save_gathered) /* the gathered inputs of qkv and w1/w3 per layer, and the head's */
    m->saved_extra = (2.0 * c->n_layers + 1) * (double)x->T * c->dim;
  if (!phantom) {
    size_t full = (size_t)x->T * (size_t)c->dim;
    x->xg = hc_malloc(full * sizeof(float)), x->pbuf = hc_malloc(full * sizeof(float));
    x->stat = hc_malloc(3 * (size_t)x->T * sizeof(float));
  }
}

void hc_megatron_method(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                        int b, int s, int sp, int phantom, int save_gathered) {
  build(m, p, comm, c, b, s, sp, comm->mesh->size, phantom, save_gathered,
        sp ? "megatron-sp" : "megatron");
}

void hc_megatron_dp_method(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                           int b, int s, int phantom, int save_gathered) {
  int R = comm->mesh->topo.R, C = comm->mesh->topo.C, g = hc_megatron_dp_size(c, R, C, b, s);
  HC_ASSERT(g > 0);
  build(m, p, comm, c, b, s, 1, g, phantom, save_gathered, "megatron-dp");
}

size_t hc_megatron_buffer_bytes(const hc_method *m) {
  const megatron *x = CTX(m);
  return (2 * (size_t)x->T * (size_t)m->cfg.dim + 3 * (size_t)x->T) * sizeof(float) + x->saved.peak;
}

double hc_megatron_param_formula(const hc_method *m) {
  const hc_model_config *c = &m->cfg;
  double h = c->dim, L = c->n_layers, N = CTX(m)->N, d = hc_model_head_dim(c);
  return 2.0 * m->V2 * h + (2 * L + 1) * h +
         L * (2 * (h / N) * h + 2 * m->nkv2 * d * h + 3 * (c->ffn_dim / N) * h);
}

void hc_megatron_free(hc_method *m) {
  megatron *x = CTX(m);
  if (!x) return;
  if (x->kv_share > 1) hc_group_free(&x->kv);
  if (x->D > 1) hc_group_free(&x->tpg), hc_group_free(&x->dpg);
  hc_saved_free(&x->saved);
  free(x->xg), free(x->pbuf), free(x->stat);
  free(x);
  hc_params_free(m->p);
  m->ctx = NULL;
}
