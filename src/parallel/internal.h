/* internal.h: pieces the mesh methods share: block placement of heads and
 * vocabulary, the stack of gathered inputs saved for backward, the
 * vocabulary-parallel loss and the global gradient norm. */
#ifndef HECATON_PARALLEL_INTERNAL_H
#define HECATON_PARALLEL_INTERNAL_H

#include <stddef.h>

#include "hecaton/comm.h"
#include "hecaton/model.h"

/* The divisors of x nearest to want, as "a or b". */
const char *hc_par_nearest(int x, int want, char *buf, size_t len);

/* Block k of n parts of a vocabulary of V rows, padded to a multiple of n
 * (the last blocks may be shorter, or empty). */
void hc_par_vocab_block(size_t V, int n, int k, size_t *v0, size_t *nv);

/* KV heads read by part k of n parts of the query heads: either split
 * (n divides n_kv: nkv = n_kv / n heads each, share = 1) or replicated
 * (n_kv divides n: one head each, shared by share = n / n_kv parts).
 * -1 when neither holds. */
int hc_par_kv_block(int n_kv, int n, int k, int *kv_lo, int *nkv, int *share);

/* Gathered inputs saved in forward for backward, in stack order (backward
 * visits the linears in exactly the reverse order). In phantom mode only
 * the sizes are kept. */
typedef struct {
  float **buf;
  size_t *n;
  int depth, cap;
  size_t bytes, peak; /* held now, most ever held */
} hc_saved;
void hc_saved_push(hc_saved *s, const float *src, size_t n);
/* Pops into dst (when not NULL); asserts the size. */
void hc_saved_pop(hc_saved *s, float *dst, size_t n);
void hc_saved_free(hc_saved *s);

/* The embedding and RMSNorm of the 2D methods (hecaton, summa), the same
 * math on the same layout: chiplet (i, j) holds tokens T_i x features H_j
 * of the residual stream and rows V_i x H_j of the embedding.
 *   embedding: look up the ids in V_i for all T tokens (others give zero
 *     rows) and reduce-scatter the partial X[T, H_j] over column j; its
 *     backward is the adjoint, a gather of dX over column j, then a
 *     scatter-add into dE.
 *   RMSNorm: per-token sums of squares all-reduced over row i (fp32
 *     statistics); backward all-reduces sum_k g_k dy_k x_k over the row.
 *     The gain gradient is this row's partial over T_i: grads_done sums
 *     the column.
 * The four are the methods' operations (hc_method_ops) themselves: the
 * context of a 2D method (m->ctx) begins with its hc_par_2d. */
typedef struct {
  hc_comm *c;
  hc_algo algo;   /* of these collectives */
  size_t v0, nv;  /* the embedding rows V_i */
  float *scratch; /* T x h1 floats (NULL when phantom) */
  float *stat;    /* T1 floats (NULL when phantom) */
} hc_par_2d;
void hc_par_2d_embedding_forward(hc_method *m, float *x1, const int *tok);
void hc_par_2d_embedding_backward(hc_method *m, const float *dx1, const int *tok);
void hc_par_2d_rmsnorm_forward(hc_method *m, float *out, float *rstd, const float *x1,
                               const float *g);
void hc_par_2d_rmsnorm_backward(hc_method *m, float *dx1, float *dg, const float *dout,
                                const float *rstd, const float *x1, const float *g);

/* Vocabulary-parallel cross-entropy (tagged forward loss) of logits
 * (T, Vl) holding columns [v0, v0+Vl) of each token; `vocab` holds the
 * other columns of the same tokens (max, target logit and sum of
 * exponentials all-reduced over it, fp32). `tokens` (may be NULL) holds the
 * other tokens: the loss scalar is summed over it. stat: 3T floats of
 * scratch. targets: the T targets. */
float hc_par_vocab_loss(hc_method *m, hc_comm *c, hc_group *vocab, hc_group *tokens,
                        float *dlogits, const float *logits, const int *targets, int T, int Vl,
                        size_t v0, int T_global, float *stat);

/* The methods' grad_sumsq: the sum of squares of the gradients this chiplet
 * owns, summed over the mesh (one fp32 all-reduce, tagged optimizer). */
double hc_par_grad_sumsq(hc_method *m, hc_comm *c);

/* After backward: norm-gain gradients all-reduced over `norms` (NULL: they
 * are complete already), replicated KV-head gradients over `kv` (NULL: not
 * replicated). */
void hc_par_grads_done(hc_method *m, hc_comm *c, hc_group *norms, hc_group *kv);

/* hc_par_charge inside a pipeline (ledger.h): the FLOPs start after
 * `ready`, leave the timeline's `now` alone; returns their end. */
double hc_par_charge_at(hc_method *m, int phase, int op, double flops, double ready,
                        const char *name);

#endif
