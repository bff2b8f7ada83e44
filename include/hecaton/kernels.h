/* kernels.h: the layers of a Llama block as pure fp32 functions, one file
 * each under src/model/, no MPI. llm.c conventions:
 *  - `<layer>_forward(outputs, saved statistics, inputs, weights, dims)`;
 *    forward outputs are written (=);
 *  - `<layer>_backward(input grads, weight grads, upstream grad, saved
 *    statistics, inputs, weights, dims)`; backward ACCUMULATES (+=) into
 *    every input and weight gradient unless a function says otherwise, so
 *    callers zero gradients once per step and branches add up for free.
 *  - Activations are row-major (T, features), T = b * s tokens ordered
 *    sequence by sequence; heads are contiguous blocks of d features.
 *  - Dimensions are explicit (b, s, n_heads, n_kv_heads, head_dim, ...), so
 *    a sharded caller can call a kernel on its own subset of sequences and
 *    heads.
 * Gradient-carrying pointers must not alias the forward tensors. */
#ifndef HECATON_KERNELS_H
#define HECATON_KERNELS_H

#include <stddef.h>

/* ---- embedding: out[t] = wte[tokens[t]] -------------------------------- */
/* out (T, h); tokens (T). wte holds the rows of ids [v0, v0 + nv), (nv, h):
 * the whole table is v0 = 0, nv = V; a vocab-parallel caller passes its
 * block, and ids outside it give zero rows (DESIGN.md section 3). */
void hc_embedding_forward(float *out, const int *tokens, const float *wte, int T, int h,
                          int v0, int nv);
/* dwte[tokens[t] - v0] += dout[t] for ids in the block  (+=). */
void hc_embedding_backward(float *dwte, const float *dout, const int *tokens, int T, int h,
                           int v0, int nv);

/* ---- RMSNorm: out = x * rstd * g, rstd = 1 / sqrt(mean(x^2) + eps) ---- */
/* out, x (T, h); rstd (T) saved; g (h). */
void hc_rmsnorm_forward(float *out, float *rstd, const float *x, const float *g, int T, int h,
                        float eps);
/* The same in phases, for a caller holding hl of the h features of each
 * token (sums all-reduced in between by the caller):
 *   hc_rmsnorm_sumsq: ss (T) = sum of x^2 over the local features (=);
 *   hc_rmsnorm_apply: rstd holds the full sums on entry, 1/rms on exit;
 *   hc_rmsnorm_dot:   dot (T) = sum of dout g x over the local features (=);
 *   hc_rmsnorm_backward_apply: with the full dots, dx +=, dg += (local). */
void hc_rmsnorm_sumsq(float *ss, const float *x, int T, int hl);
void hc_rmsnorm_apply(float *out, float *rstd, const float *x, const float *g, int T, int hl,
                      int h, float eps);
void hc_rmsnorm_dot(float *dot, const float *dout, const float *x, const float *g, int T,
                    int hl);
void hc_rmsnorm_backward_apply(float *dx, float *dg, const float *dout, const float *rstd,
                               const float *dot, const float *x, const float *g, int T, int hl,
                               int h);
/* dx += ..., dg += ...  (both +=). */
void hc_rmsnorm_backward(float *dx, float *dg, const float *dout, const float *rstd,
                         const float *x, const float *g, int T, int h);

/* ---- RoPE on adjacent pairs (2k, 2k+1) of each head -------------------- */
/* x (T, n_heads * head_dim), T = b * s; token t of a sequence has position
 * t % s. Pair k turns by angle pos * theta^(-2k / head_dim). out may equal
 * x (in place). */
void hc_rope_forward(float *out, const float *x, int b, int s, int n_heads, int head_dim,
                     double theta);
/* dx += R(-angle) dout  (+=); dx must not alias dout. */
void hc_rope_backward(float *dx, const float *dout, int b, int s, int n_heads, int head_dim,
                      double theta);

/* ---- causal GQA attention on whole sequences --------------------------- */
/* q, out (T, n_heads * d); k, v (T, n_kv_heads * d); T = b * s.
 * Query head hq reads KV head hq / (n_heads / n_kv_heads). Scores are
 * scaled by 1/sqrt(d). lse (b, n_heads, s) saved: the log-sum-exp of each
 * query's scores, so backward can recompute the probabilities instead of
 * keeping b n_h s^2 of them (selective recomputation). probs (b, n_heads,
 * s, s) or NULL: where to keep them (no recomputation; the causal upper
 * triangle is stored as zeros). */
void hc_attention_forward(float *out, float *lse, float *probs, const float *q, const float *k,
                          const float *v, int b, int s, int n_heads, int n_kv_heads,
                          int head_dim);
/* dq, dk, dv += ...  (all +=); dk and dv sum over the query heads of a
 * group. probs: the forward's, or NULL to recompute them from q, k and lse
 * (the same values bit for bit: the same sgemm and exp). */
void hc_attention_backward(float *dq, float *dk, float *dv, const float *dout,
                           const float *lse, const float *probs, const float *q, const float *k,
                           const float *v, int b, int s, int n_heads, int n_kv_heads,
                           int head_dim);

/* ---- SwiGLU: out = silu(gate) * up, elementwise over n values ---------- */
void hc_swiglu_forward(float *out, const float *gate, const float *up, size_t n);
/* dgate = ..., dup = ...  (both written, not added to: the model's only
 * use, so no zeroing pass first). */
void hc_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                        const float *up, size_t n);

/* ---- linear without bias: Y = X W^T, W stored (out_features, in) ------- */
/* out (N, n_out) =; inp (N, n_in); weight (n_out, n_in). cblas_sgemm. */
void hc_matmul_forward(float *out, const float *inp, const float *weight, int N, int n_in,
                       int n_out);
/* out += inp W^T: the forward, accumulating (SUMMA sums its steps). */
void hc_matmul_forward_acc(float *out, const float *inp, const float *weight, int N, int n_in,
                           int n_out);
/* dinp += dout W  (N, n_in); dweight += dout^T inp  (n_out, n_in). Either
 * may be NULL to skip it. */
void hc_matmul_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                        const float *weight, int N, int n_in, int n_out);
/* The same contracts as triple loops with double accumulators: the test
 * oracle of the BLAS path. */
void hc_matmul_forward_naive(float *out, const float *inp, const float *weight, int N,
                             int n_in, int n_out);
void hc_matmul_backward_naive(float *dinp, float *dweight, const float *dout,
                              const float *inp, const float *weight, int N, int n_in,
                              int n_out);

/* ---- softmax cross-entropy, forward and backward fused ----------------- */
/* logits (T, V); targets (T) in [0, V). Returns scale * sum_t -log p_t(y_t)
 * and, when dlogits is not NULL, WRITES (=) dlogits = scale * (p - onehot).
 * scale = 1/T gives the mean over tokens; a caller holding part of the
 * tokens passes 1/T_global. */
float hc_crossentropy_forward_backward(float *dlogits, const float *logits, const int *targets,
                                       int T, int V, float scale);

/* The same for a caller holding the vocabulary columns [v0, v0 + Vl) of
 * each token's logits; the caller combines the phases across the chiplets
 * holding the other columns:
 *   hc_xent_local_stats:  mx (T) = max over the block, tgt (T) = z[y] when
 *                         y is in the block, else 0          (then MAX, SUM)
 *   hc_xent_local_sumexp: se (T) = sum over the block of exp(z - mx), mx
 *                         the global max                      (then SUM)
 *   hc_xent_finish:       with the global mx, se, tgt: writes (=) dlogits
 *                         of the block; returns scale * sum_t (lse_t - z_t[y_t]). */
void hc_xent_local_stats(float *mx, float *tgt, const float *logits, const int *targets, int T,
                         int Vl, int v0);
void hc_xent_local_sumexp(float *se, const float *logits, const float *mx, int T, int Vl);
float hc_xent_finish(float *dlogits, const float *logits, const float *mx, const float *se,
                     const float *tgt, const int *targets, int T, int Vl, int v0, float scale);

#endif
