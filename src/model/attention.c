/* attention.c: causal grouped-query attention on whole sequences.
 *
 * Per (sequence, query head), the s queries go in blocks of BQ rows: block
 * [i0, i0 + n) sees keys [0, i0 + n) only, so its scores S = Q K^T / sqrt(d)
 * are one n x (i0 + n) sgemm, then a causal softmax on those rows, then
 * O = P V over the same keys. The blocks above the diagonal are never
 * computed (BQ = 32, s = 256: 9/16 of the full s x s work, and no s x s
 * buffer; 32 rather than 64 took the attention of small, 1 thread, from
 * 120 to 110 ms a step).
 * Backward takes the same blocks: P recomputed from the saved log-sum-exp
 * by the forward's own sgemm and exp (bit for bit), or read from the P
 * that forward kept (probs, b x n_heads x s x s, zeros above the diagonal).
 * Q rows of a head are strided views (leading dimension = the full row
 * width); each (sequence, KV head) pair's K and V are transposed once into
 * scratch, so that S = Q K^T and dP = dO V^T are NN sgemms.
 *
 * Threads: the (sequence, KV head) pairs are taken by hc_threads()
 * threads as they come free, each running one-thread sgemms (threads.h) on its own scratch; a pair's
 * query heads and blocks run in order on one thread, so dK and dV (summed
 * over a group's query heads) are summed in the same order whatever the
 * thread count. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/threads.h"
#include "hecaton/util.h"
#include "vmath.h"

#ifdef _OPENMP
#include <omp.h>
#define THREAD_NUM() omp_get_thread_num()
#else
#define THREAD_NUM() 0
#endif

enum { BQ = 32 }; /* query rows per block */

/* Scratch kept between calls (no allocation in a step once warm): per
 * thread, two blocks of BQ x s (the probabilities and their gradient) and
 * the pair's K^T and V^T (d x s each). */
static float *g_scratch;
static size_t g_scratch_n;

static float *scratch(size_t n) {
  if (n > g_scratch_n) {
    free(g_scratch);
    g_scratch = hc_malloc(n * sizeof(float));
    g_scratch_n = n;
  }
  return g_scratch;
}

/* Xt (D x s, row c at Xt + c s) = the s x D head block X (row t at
 * X + t ld): QK^T and dO V^T then run as NN sgemms against Kt and Vt,
 * which OpenBLAS's small-matrix kernels take 20-40% faster than NT at
 * these shapes (d = 64). */
static void transpose(float *Xt, const float *X, size_t ld, int s, int D) {
  for (int t0 = 0; t0 < s; t0 += 16)
    for (int c = 0; c < D; c++)
      for (int t = t0; t < t0 + 16 && t < s; t++) Xt[(size_t)c * s + t] = X[(size_t)t * ld + c];
}

/* Softmax rows run in 16 lanes (vmath.h's vector extensions: one AVX-512
 * register, two AVX2, four SSE2, with the same lanes and sums on each),
 * a row's last vector masked rather than finished one element at a time:
 * rows are short (t + 1 keys), and the scalar tails took most of the
 * forward softmax (small, 1 thread: 11.3 ms a step for 4.7M scores). A
 * vector that overruns n stays inside the row's width (the block's keys,
 * or s), whose values the masks drop. */
/* The largest of row[0 .. n) * scale (max is exact: any order gives it). */
HC_VEC_CLONES static float scores_max(const float *row, int n, int width, float scale) {
  hc_v16f mx = hc_v16_splat(-INFINITY);
  int u = 0;
  for (; u < n && u + 16 <= width; u += 16) {
    hc_v16f x = hc_v16_select(hc_v16_below(u, n), hc_v16_load(row + u) * scale,
                              hc_v16_splat(-INFINITY));
    mx = hc_v16_select(x > mx, x, mx); /* (a > b) & c: gcc goes lane by lane */
  }
  float m = -INFINITY;
  for (int j = 0; j < 16; j++) m = mx[j] > m ? mx[j] : m;
  for (; u < n; u++) m = row[u] * scale > m ? row[u] * scale : m;
  return m;
}

/* Rows t0 .. t0 + n - 1 of one head's scores S (row r at S + r ld, keys
 * 0 .. t0 + n - 1 computed): P[t][u] = exp(S[t][u] scale - m_t) e^(m_t - lse_t)
 * for u <= t (m_t the row's largest scaled score), 0 from t + 1 to width.
 * With lse NULL, computes lse into lse_out (the forward's softmax: one exp
 * an element, kept in the row and then scaled); with lse given (backward,
 * recomputing), the same m_t, exps and factor, so the same bits. */
HC_VEC_CLONES static void softmax_rows(float *S, size_t ld, int t0, int n, int width, float scale,
                                       const float *lse, float *lse_out) {
  for (int r = 0; r < n; r++) {
    int t = t0 + r, nu = t + 1, u = 0;
    float *row = S + (size_t)r * ld;
    float maxv = scores_max(row, nu, width, scale);
    hc_v16f acc = hc_v16_splat(0.0f);
    for (; u < nu && u + 16 <= width; u += 16) { /* masked lanes: exp(-inf) = 0 */
      hc_v16f x = hc_v16_select(hc_v16_below(u, nu), hc_v16_load(row + u) * scale - maxv,
                                hc_v16_splat(-INFINITY));
      hc_v16f e;
      HC_VEXPF16(e, x);
      hc_v16_store(row + u, e);
      acc += e;
    }
    float sum = hc_v16_sum(acc);
    for (; u < nu; u++) sum += row[u] = hc_vexpf(row[u] * scale - maxv);
    float l = lse ? lse[t] : maxv + logf(sum);
    if (!lse) lse_out[t] = l;
    float f = hc_vexpf(maxv - l); /* 1 / sum, from l as recomputation has it */
    int done = u; /* [nu, done) holds zeros already */
    for (u = 0; u + 16 <= done; u += 16) hc_v16_store(row + u, hc_v16_load(row + u) * f);
    for (; u < nu; u++) row[u] *= f;
    for (u = done > nu ? done : nu; u < width; u++) row[u] = 0.0f;
  }
}

/* dS = P o (dP - rowsum(P o dP)) scale, in place over dP (n rows of kv,
 * row r at dP + r kv, P's at P + r ld), zero above the diagonal. */
HC_VEC_CLONES static void softmax_grad_rows(float *dP, const float *P, size_t ld, int t0, int n,
                                            int kv, float scale) {
  for (int r = 0; r < n; r++) {
    int nu = t0 + r + 1, u = 0;
    const float *pr = P + (size_t)r * ld;
    float *dr = dP + (size_t)r * kv;
    hc_v16f acc = hc_v16_splat(0.0f);
    for (; u < nu && u + 16 <= kv; u += 16)
      acc += hc_v16_select(hc_v16_below(u, nu), hc_v16_load(pr + u) * hc_v16_load(dr + u),
                           hc_v16_splat(0.0f));
    float pdp = hc_v16_sum(acc);
    for (; u < nu; u++) pdp += pr[u] * dr[u];
    for (u = 0; u < nu && u + 16 <= kv; u += 16)
      hc_v16_store(dr + u, hc_v16_select(hc_v16_below(u, nu),
                                    hc_v16_load(pr + u) * (hc_v16_load(dr + u) - pdp) * scale,
                                    hc_v16_splat(0.0f)));
    for (; u < nu; u++) dr[u] = pr[u] * (dr[u] - pdp) * scale;
    for (; u < kv; u++) dr[u] = 0.0f;
  }
}

/* Per-thread seconds in sgemms and in the softmax, when profiling. */
typedef struct {
  double gemm, softmax;
} split_times;

static double tick(void) { return hc_prof_enabled ? hc_wtime() : 0.0; }

/* The wall time of a call, split between attention's sgemms and its
 * softmax in the proportion the threads spent in each. */
static void prof_split(double t0, const split_times *st) {
  if (!hc_prof_enabled) return;
  double wall = hc_wtime() - t0, busy = st->gemm + st->softmax;
  double g = busy > 0 ? wall * st->gemm / busy : wall;
  hc_prof_add(HC_PROF_ATTN_GEMM, g);
  hc_prof_add(HC_PROF_SOFTMAX, wall - g);
}

typedef struct {
  int b, s, nh, nkv, D, qw, kvw, group;
  float scale;
} shape;

static shape shape_of(int b, int s, int n_heads, int n_kv_heads, int head_dim) {
  HC_ASSERT(n_kv_heads > 0 && n_heads % n_kv_heads == 0);
  shape z = {b, s, n_heads, n_kv_heads, head_dim, n_heads * head_dim, n_kv_heads * head_dim,
             n_heads / n_kv_heads, 1.0f / sqrtf((float)head_dim)};
  return z;
}

/* Threads for `tasks` (sequence, KV head) pairs, one when the work is small. */
static int pair_threads(const shape *z) {
  int nt = hc_threads(), tasks = z->b * z->nkv;
  if ((double)z->b * z->nh * z->s * z->s * z->D < HC_PAR_MIN_MACS) return 1;
  return nt < tasks ? nt : tasks > 0 ? tasks : 1;
}

/* One (sequence, KV head) pair forward: its group's query heads, block by
 * block; P0 holds a block of scores, Kt the head's K transposed. */
static void forward_pair(const shape *z, int bi, int hk, float *out, float *lse, float *probs,
                         const float *q, const float *k, const float *v, float *P0, float *Kt,
                         split_times *st) {
  int s = z->s, D = z->D;
  const float *K = k + (size_t)bi * s * z->kvw + (size_t)hk * D;
  const float *V = v + (size_t)bi * s * z->kvw + (size_t)hk * D;
  double tt = tick();
  transpose(Kt, K, (size_t)z->kvw, s, D);
  st->gemm += tick() - tt;
  for (int hq = hk * z->group; hq < (hk + 1) * z->group; hq++) {
    size_t head = (size_t)bi * z->nh + hq;
    const float *Q = q + (size_t)bi * s * z->qw + (size_t)hq * D;
    float *O = out + (size_t)bi * s * z->qw + (size_t)hq * D;
    for (int i0 = 0; i0 < s; i0 += BQ) {
      int n = s - i0 < BQ ? s - i0 : BQ, kv = i0 + n;
      float *P = probs ? probs + (head * s + (size_t)i0) * s : P0;
      int ld = probs ? s : kv;
      double t0 = tick();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, kv, D, 1.0f, Q + (size_t)i0 * z->qw,
                  z->qw, Kt, s, 0.0f, P, ld);
      double t1 = tick();
      softmax_rows(P, (size_t)ld, i0, n, probs ? s : kv, z->scale, NULL, lse + head * s);
      double t2 = tick();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, D, kv, 1.0f, P, ld, V, z->kvw,
                  0.0f, O + (size_t)i0 * z->qw, z->qw);
      st->gemm += (t1 - t0) + (tick() - t2), st->softmax += t2 - t1;
    }
  }
}

void hc_attention_forward(float *out, float *lse, float *probs, const float *q, const float *k,
                          const float *v, int b, int s, int n_heads, int n_kv_heads,
                          int head_dim) {
  shape z = shape_of(b, s, n_heads, n_kv_heads, head_dim);
  double t0 = hc_prof_start();
  int tasks = b * n_kv_heads, nt = pair_threads(&z);
  size_t per = (size_t)BQ * s + (size_t)head_dim * s;
  float *buf = scratch(per * nt);
  double gemm = 0, softmax = 0;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(dynamic, 1) \
    reduction(+ : gemm, softmax)
  for (int task = 0; task < tasks; task++) {
    split_times mine = {0, 0};
    forward_pair(&z, task / n_kv_heads, task % n_kv_heads, out, lse, probs, q, k, v,
                 buf + per * THREAD_NUM(), buf + per * THREAD_NUM() + (size_t)BQ * s, &mine);
    gemm += mine.gemm, softmax += mine.softmax;
  }
  split_times st = {gemm, softmax};
  prof_split(t0, &st);
}

/* One (sequence, KV head) pair backward. With dP = dO V^T, the softmax
 * Jacobian gives dS = P o (dP - rowsum(P o dP)); then dQ += scale dS K,
 * dK += scale dS^T Q, dV += P^T dO, over the block's keys only (dK, dV
 * summed over the group's query heads through the accumulating sgemms). */
static void backward_pair(const shape *z, int bi, int hk, float *dq, float *dk, float *dv,
                          const float *dout, const float *lse, const float *probs,
                          const float *q, const float *k, const float *v, float *P0, float *dP,
                          float *Kt, float *Vt, split_times *st) {
  int s = z->s, D = z->D;
  size_t ko = (size_t)bi * s * z->kvw + (size_t)hk * D;
  double tt = tick();
  if (!probs) transpose(Kt, k + ko, (size_t)z->kvw, s, D);
  transpose(Vt, v + ko, (size_t)z->kvw, s, D);
  st->gemm += tick() - tt;
  for (int hq = hk * z->group; hq < (hk + 1) * z->group; hq++) {
    size_t head = (size_t)bi * z->nh + hq;
    size_t qo = (size_t)bi * s * z->qw + (size_t)hq * D;
    for (int i0 = 0; i0 < s; i0 += BQ) {
      int n = s - i0 < BQ ? s - i0 : BQ, kv = i0 + n;
      size_t qb = qo + (size_t)i0 * z->qw;
      const float *P = P0;
      int ld = kv;
      double t0 = tick(), tsm = 0;
      if (probs) {
        P = probs + (head * s + (size_t)i0) * s, ld = s;
      } else { /* recompute: the forward's sgemm and exp, with its lse */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, kv, D, 1.0f, q + qb, z->qw,
                    Kt, s, 0.0f, P0, kv);
        double ta = tick();
        softmax_rows(P0, (size_t)kv, i0, n, kv, z->scale, lse + head * s, NULL);
        tsm += tick() - ta;
      }
      /* dV += P^T dO */
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kv, D, n, 1.0f, P, ld, dout + qb,
                  z->qw, 1.0f, dv + ko, z->kvw);
      /* dP = dO V^T, then dS (scaled) in place */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, kv, D, 1.0f, dout + qb, z->qw,
                  Vt, s, 0.0f, dP, kv);
      double ta = tick();
      softmax_grad_rows(dP, P, (size_t)ld, i0, n, kv, z->scale);
      tsm += tick() - ta;
      /* dQ += dS K, dK += dS^T Q */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, D, kv, 1.0f, dP, kv, k + ko,
                  z->kvw, 1.0f, dq + qb, z->qw);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kv, D, n, 1.0f, dP, kv, q + qb, z->qw,
                  1.0f, dk + ko, z->kvw);
      double all = tick() - t0;
      st->gemm += all - tsm, st->softmax += tsm;
    }
  }
}

void hc_attention_backward(float *dq, float *dk, float *dv, const float *dout,
                           const float *lse, const float *probs, const float *q, const float *k,
                           const float *v, int b, int s, int n_heads, int n_kv_heads,
                           int head_dim) {
  shape z = shape_of(b, s, n_heads, n_kv_heads, head_dim);
  double t0 = hc_prof_start();
  int tasks = b * n_kv_heads, nt = pair_threads(&z);
  size_t per = 2 * (size_t)BQ * s + 2 * (size_t)head_dim * s;
  float *buf = scratch(per * nt);
  double gemm = 0, softmax = 0;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(dynamic, 1) \
    reduction(+ : gemm, softmax)
  for (int task = 0; task < tasks; task++) {
    split_times mine = {0, 0};
    float *mybuf = buf + per * THREAD_NUM(), *Kt = mybuf + 2 * (size_t)BQ * s;
    backward_pair(&z, task / n_kv_heads, task % n_kv_heads, dq, dk, dv, dout, lse, probs, q, k,
                  v, mybuf, mybuf + (size_t)BQ * s, Kt, Kt + (size_t)head_dim * s, &mine);
    gemm += mine.gemm, softmax += mine.softmax;
  }
  split_times st = {gemm, softmax};
  prof_split(t0, &st);
}
