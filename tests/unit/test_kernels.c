/* test_kernels.c: the model's kernels, single process.
 *
 * Backward passes: central finite differences of L = sum(out * R) for a
 * fixed random R, every input and weight gradient, odd shapes. The
 * analytic gradients start from a non-zero fill, so a backward that writes
 * (=) where it must accumulate (+=) fails too.
 * Forward passes: against direct formulas or independent oracles (the
 * finite differences only prove backward consistent with forward). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hecaton/kernels.h"
#include "hecaton/rng.h"
#include "hecaton/util.h"

/* Tolerances of the finite-difference checks. Step h = 1e-2 on inputs of
 * size ~1: truncation error O(h^2) ~ 1e-4 relative; fp32 rounding of L
 * (summed in double from fp32 outputs) over 2h is ~1e-5. Observed worst
 * over 5000 seeds is inside atol 3e-4 / rtol 3e-3; the bound below leaves
 * margin and still catches a 1 % error in a term. A wrong term is off by
 * O(1). */
#define FD_STEP 1e-2f
#define FD_ATOL 5e-4
#define FD_RTOL 5e-3
/* What gradient buffers hold before backward runs. */
#define PREFILL 0.5f

static hc_rng rng;

static float *rand_buf(size_t n, float lo, float hi) {
  float *x = hc_malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)hc_rng_uniform(&rng);
  return x;
}

static float *zeros(size_t n) { return hc_calloc(n, sizeof(float)); }

static double dot(const float *a, const float *b, size_t n) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

/* ---- the finite-difference driver -------------------------------------- */

typedef struct {
  const char *name; /* "dq", "dW", ... */
  float *x;         /* the input, perturbed in place */
  float *grad;      /* where backward leaves dL/dx */
  size_t n;
} fd_arg;

typedef struct {
  void *ctx;
  void (*forward)(void *ctx);  /* fills out from the inputs */
  void (*backward)(void *ctx); /* dout = R -> every fd_arg's grad */
  const float *out, *R;
  size_t nout;
  int accumulates; /* backward does += (else =) */
} fd_kernel;

static double fd_loss(const fd_kernel *k) {
  k->forward(k->ctx);
  return dot(k->out, k->R, k->nout);
}

/* Analytic gradients (from PREFILL) against central differences. */
static void fd_check(const char *kernel, const fd_kernel *k, fd_arg *args, size_t nargs,
                     float step, double atol, double rtol) {
  for (size_t a = 0; a < nargs; a++)
    for (size_t i = 0; i < args[a].n; i++) args[a].grad[i] = PREFILL;
  k->forward(k->ctx);
  k->backward(k->ctx);
  for (size_t a = 0; a < nargs; a++) {
    fd_arg *g = &args[a];
    float *want = hc_malloc(g->n * sizeof(float));
    for (size_t i = 0; i < g->n; i++) {
      if (k->accumulates) g->grad[i] -= PREFILL;
      float x0 = g->x[i], xp = x0 + step, xm = x0 - step;
      g->x[i] = xp;
      double lp = fd_loss(k);
      g->x[i] = xm;
      double lm = fd_loss(k);
      g->x[i] = x0;
      want[i] = (float)((lp - lm) / ((double)xp - (double)xm));
    }
    char name[128];
    snprintf(name, sizeof name, "%s.%s", kernel, g->name);
    HC_EXPECT_CLOSE(name, g->grad, want, g->n, atol, rtol);
    free(want);
  }
}

/* ---- embedding ----------------------------------------------------------- */

typedef struct {
  int T, h, v0, nv;
  int *tokens;
  float *wte, *dwte, *out, *R;
} emb_ctx;

static void emb_fwd(void *p) {
  emb_ctx *c = p;
  hc_embedding_forward(c->out, c->tokens, c->wte, c->T, c->h, c->v0, c->nv);
}
static void emb_bwd(void *p) {
  emb_ctx *c = p;
  hc_embedding_backward(c->dwte, c->R, c->tokens, c->T, c->h, c->v0, c->nv);
}

static void test_embedding(void) {
  /* T 9 tokens over V 7 with repeats (the backward must add them up); the
   * second case holds only ids [3, 6) of the table. */
  int tokens[9] = {3, 0, 6, 3, 5, 3, 1, 6, 4};
  int ranges[][2] = {{0, 7}, {3, 3}};
  for (size_t r = 0; r < 2; r++) {
    emb_ctx c = {9, 5, ranges[r][0], ranges[r][1], tokens, NULL, NULL, NULL, NULL};
    size_t nw = (size_t)c.nv * 5, no = 9 * 5;
    c.wte = rand_buf(nw, -1, 1), c.dwte = zeros(nw), c.out = zeros(no);
    c.R = rand_buf(no, -1, 1);
    emb_fwd(&c);
    /* forward: the row of the id, or zeros outside the block */
    float *want = zeros(no);
    for (size_t t = 0; t < 9; t++)
      if (tokens[t] >= c.v0 && tokens[t] < c.v0 + c.nv)
        memcpy(want + t * 5, c.wte + (size_t)(tokens[t] - c.v0) * 5, 5 * sizeof(float));
    HC_EXPECT_CLOSE("embedding.out", c.out, want, no, 0, 0);
    fd_kernel k = {&c, emb_fwd, emb_bwd, c.out, c.R, no, 1};
    fd_arg args[] = {{"dwte", c.wte, c.dwte, nw}};
    fd_check(r ? "embedding[3,6)" : "embedding", &k, args, 1, FD_STEP, FD_ATOL, FD_RTOL);
    free(want), free(c.wte), free(c.dwte), free(c.out), free(c.R);
  }
}

/* ---- RMSNorm ------------------------------------------------------------- */

typedef struct {
  int T, h;
  float eps;
  float *x, *g, *out, *rstd, *dx, *dg, *R;
} rms_ctx;

static void rms_fwd(void *p) {
  rms_ctx *c = p;
  hc_rmsnorm_forward(c->out, c->rstd, c->x, c->g, c->T, c->h, c->eps);
}
static void rms_bwd(void *p) {
  rms_ctx *c = p;
  hc_rmsnorm_backward(c->dx, c->dg, c->R, c->rstd, c->x, c->g, c->T, c->h);
}

static void test_rmsnorm(void) {
  int shapes[][2] = {{1, 3}, {3, 7}, {5, 13}, {4, 33}};
  for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
    rms_ctx c = {shapes[sh][0], shapes[sh][1], 1e-5f, NULL, NULL, NULL, NULL,
                 NULL, NULL, NULL};
    size_t n = (size_t)c.T * (size_t)c.h, H = (size_t)c.h;
    /* |x| in [0.2, 1), random sign: a row whose RMS nears 0 has curvature
     * ~1/rms^3 and defeats any finite-difference step */
    c.x = rand_buf(n, 0.2f, 1), c.g = rand_buf(H, 0.5f, 1.5f), c.out = zeros(n);
    for (size_t i = 0; i < n; i++)
      if (hc_rng_u64(&rng) & 1) c.x[i] = -c.x[i];
    c.rstd = zeros((size_t)c.T), c.dx = zeros(n), c.dg = zeros(H), c.R = rand_buf(n, -1, 1);
    /* forward against the formula in double */
    rms_fwd(&c);
    float *want = zeros(n);
    for (size_t t = 0; t < (size_t)c.T; t++) {
      double ss = 0;
      for (size_t j = 0; j < H; j++) ss += (double)c.x[t * H + j] * c.x[t * H + j];
      double r = 1.0 / sqrt(ss / (double)H + c.eps);
      for (size_t j = 0; j < H; j++) want[t * H + j] = (float)(c.x[t * H + j] * r * c.g[j]);
    }
    HC_EXPECT_CLOSE("rmsnorm.out", c.out, want, n, 1e-6, 1e-5);
    char name[64];
    snprintf(name, sizeof name, "rmsnorm(T=%d,h=%d)", c.T, c.h);
    fd_kernel k = {&c, rms_fwd, rms_bwd, c.out, c.R, n, 1};
    fd_arg args[] = {{"dx", c.x, c.dx, n}, {"dg", c.g, c.dg, H}};
    /* step 2e-3, atol 1e-3: the curvature of a 3-element row is large
     * enough that the O(step^2) error shows at step 1e-2; fp32 rounding of
     * L over 2 step is then ~3e-4 */
    fd_check(name, &k, args, 2, 2e-3f, 1e-3, FD_RTOL);
    free(want), free(c.x), free(c.g), free(c.out), free(c.rstd), free(c.dx), free(c.dg),
        free(c.R);
  }
}

/* ---- RoPE ------------------------------------------------------------------ */

typedef struct {
  int b, s, nh, d;
  double theta;
  float *x, *out, *dx, *R;
} rope_ctx;

static void rope_fwd(void *p) {
  rope_ctx *c = p;
  hc_rope_forward(c->out, c->x, c->b, c->s, c->nh, c->d, c->theta);
}
static void rope_bwd(void *p) {
  rope_ctx *c = p;
  hc_rope_backward(c->dx, c->R, c->b, c->s, c->nh, c->d, c->theta);
}

static void test_rope_gradient(void) {
  rope_ctx c = {2, 5, 3, 6, 10000.0, NULL, NULL, NULL, NULL};
  size_t n = 2 * 5 * 3 * 6;
  c.x = rand_buf(n, -1, 1), c.out = zeros(n), c.dx = zeros(n), c.R = rand_buf(n, -1, 1);
  fd_kernel k = {&c, rope_fwd, rope_bwd, c.out, c.R, n, 1};
  fd_arg args[] = {{"dx", c.x, c.dx, n}};
  fd_check("rope", &k, args, 1, FD_STEP, FD_ATOL, FD_RTOL);
  free(c.x), free(c.out), free(c.dx), free(c.R);
}

static void test_rope_formula(void) {
  const int b = 2, s = 7, nh = 3, d = 8;
  const double theta = 10000.0;
  size_t n = (size_t)b * s * nh * d;
  float *x = rand_buf(n, -1, 1), *y = zeros(n), *back = zeros(n);
  hc_rope_forward(y, x, b, s, nh, d, theta);
  /* sequence 1, position 5, head 2, pair k = 3: angle 5 theta^(-6/8) */
  size_t t = 1 * (size_t)s + 5, i = t * nh * d + 2 * (size_t)d + 2 * 3;
  double a = 5.0 * pow(theta, -6.0 / 8.0);
  float want[2] = {(float)(x[i] * cos(a) - x[i + 1] * sin(a)),
                   (float)(x[i] * sin(a) + x[i + 1] * cos(a))};
  HC_EXPECT_CLOSE("rope.out[seq 1, pos 5, head 2, pair 3]", y + i, want, 2, 1e-6, 1e-5);
  /* position 0 of every sequence is left alone; position 1's first pair
   * turns by exactly 1 radian (frequency theta^0) */
  HC_EXPECT_CLOSE("rope.out[seq 1, pos 0]", y + (size_t)s * nh * d, x + (size_t)s * nh * d,
                  (size_t)nh * d, 0, 0);
  size_t j = ((size_t)s + 1) * nh * d; /* seq 1, pos 1, head 0, pair 0 */
  float want1[2] = {(float)(x[j] * cos(1.0) - x[j + 1] * sin(1.0)),
                    (float)(x[j] * sin(1.0) + x[j + 1] * cos(1.0))};
  HC_EXPECT_CLOSE("rope.out[seq 1, pos 1, pair 0]", y + j, want1, 2, 1e-6, 1e-5);
  /* backward applied to the output is the inverse rotation: back to x,
   * and every pair keeps its length */
  hc_rope_backward(back, y, b, s, nh, d, theta);
  HC_EXPECT_CLOSE("rope.backward(forward(x))", back, x, n, 1e-6, 1e-5);
  float *nx = zeros(n / 2), *ny = zeros(n / 2);
  for (size_t p = 0; p < n / 2; p++) {
    nx[p] = sqrtf(x[2 * p] * x[2 * p] + x[2 * p + 1] * x[2 * p + 1]);
    ny[p] = sqrtf(y[2 * p] * y[2 * p] + y[2 * p + 1] * y[2 * p + 1]);
  }
  HC_EXPECT_CLOSE("rope pair norms", ny, nx, n / 2, 1e-6, 1e-5);
  /* in place gives the same as out of place */
  hc_rope_forward(x, x, b, s, nh, d, theta);
  HC_EXPECT_CLOSE("rope in place", x, y, n, 0, 0);
  free(x), free(y), free(back), free(nx), free(ny);
}

/* ---- attention -------------------------------------------------------------- */

typedef struct {
  int b, s, nh, nkv, d;
  float *q, *k, *v, *out, *lse, *dq, *dk, *dv, *R;
} attn_ctx;

static void attn_fwd(void *p) {
  attn_ctx *c = p;
  hc_attention_forward(c->out, c->lse, NULL, c->q, c->k, c->v, c->b, c->s, c->nh, c->nkv, c->d);
}
static void attn_bwd(void *p) {
  attn_ctx *c = p;
  hc_attention_backward(c->dq, c->dk, c->dv, c->R, c->lse, NULL, c->q, c->k, c->v, c->b, c->s,
                        c->nh, c->nkv, c->d);
}

static void attn_alloc(attn_ctx *c, int b, int s, int nh, int nkv, int d) {
  *c = (attn_ctx){b, s, nh, nkv, d, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
  size_t T = (size_t)b * s, nq = T * nh * d, nk = T * nkv * d;
  c->q = rand_buf(nq, -1, 1), c->k = rand_buf(nk, -1, 1), c->v = rand_buf(nk, -1, 1);
  c->out = zeros(nq), c->lse = zeros((size_t)b * nh * s);
  c->dq = zeros(nq), c->dk = zeros(nk), c->dv = zeros(nk), c->R = rand_buf(nq, -1, 1);
}

static void attn_free(attn_ctx *c) {
  free(c->q), free(c->k), free(c->v), free(c->out), free(c->lse);
  free(c->dq), free(c->dk), free(c->dv), free(c->R);
}

/* Independent forward in double: Meta's repeat_kv (KV head kv serves query
 * heads kv * n_rep .. kv * n_rep + n_rep - 1), a full s x s score matrix,
 * the causal mask as -inf, softmax, then P V. */
static void attn_reference(float *out, const attn_ctx *c) {
  size_t S = (size_t)c->s, D = (size_t)c->d, NH = (size_t)c->nh, NKV = (size_t)c->nkv;
  size_t rep = NH / NKV;
  double *sc = hc_malloc(S * S * sizeof(double));
  for (size_t bi = 0; bi < (size_t)c->b; bi++)
    for (size_t kv = 0; kv < NKV; kv++)
      for (size_t r = 0; r < rep; r++) {
        size_t hq = kv * rep + r;
        for (size_t t = 0; t < S; t++) {
          double mx = -INFINITY, sum = 0;
          for (size_t u = 0; u < S; u++) {
            double dd = 0;
            for (size_t e = 0; e < D; e++)
              dd += (double)c->q[((bi * S + t) * NH + hq) * D + e] *
                    c->k[((bi * S + u) * NKV + kv) * D + e];
            sc[t * S + u] = u > t ? -INFINITY : dd / sqrt((double)D);
            if (sc[t * S + u] > mx) mx = sc[t * S + u];
          }
          for (size_t u = 0; u < S; u++) sum += (sc[t * S + u] = exp(sc[t * S + u] - mx));
          for (size_t e = 0; e < D; e++) {
            double o = 0;
            for (size_t u = 0; u < S; u++)
              o += sc[t * S + u] / sum * c->v[((bi * S + u) * NKV + kv) * D + e];
            out[((bi * S + t) * NH + hq) * D + e] = (float)o;
          }
        }
      }
  free(sc);
}

static void test_attention(void) {
  /* (b, s, n_heads, n_kv_heads, head_dim): a group of 2, a single shared KV
   * head, plain MHA, an odd head dim, a one-token sequence. */
  int cases[11][5] = {{2, 5, 4, 2, 6}, {2, 5, 3, 1, 4}, {1, 7, 3, 3, 4},
                      {3, 3, 2, 1, 3}, {2, 1, 2, 2, 4}, {1, 6, 6, 2, 2},
                      /* rows longer than the softmax's 16 lanes: blocks of 32
                       * queries, a last block of 6 (70) or 5 (37) keys past a
                       * multiple of 16, so whole vectors, masked lanes and
                       * the scalar tail all run */
                      {1, 70, 2, 1, 4}, {2, 37, 2, 2, 3}};
  /* and three drawn from the seeded RNG: b 1..3, s 1..8, n_kv 1..3,
   * group 1..3, d 1..5 */
  for (size_t k = 8; k < 11; k++) {
    int nkv = 1 + (int)(hc_rng_u64(&rng) % 3), grp = 1 + (int)(hc_rng_u64(&rng) % 3);
    cases[k][0] = 1 + (int)(hc_rng_u64(&rng) % 3);
    cases[k][1] = 1 + (int)(hc_rng_u64(&rng) % 8);
    cases[k][2] = nkv * grp, cases[k][3] = nkv;
    cases[k][4] = 1 + (int)(hc_rng_u64(&rng) % 5);
  }
  for (size_t k = 0; k < 11; k++) {
    attn_ctx c;
    attn_alloc(&c, cases[k][0], cases[k][1], cases[k][2], cases[k][3], cases[k][4]);
    size_t nq = (size_t)c.b * c.s * c.nh * c.d, nk = (size_t)c.b * c.s * c.nkv * c.d;
    char name[96];
    snprintf(name, sizeof name, "attention(b=%d,s=%d,nh=%d,nkv=%d,d=%d)", c.b, c.s, c.nh,
             c.nkv, c.d);
    attn_fwd(&c);
    float *want = zeros(nq);
    attn_reference(want, &c);
    char oname[128];
    snprintf(oname, sizeof oname, "%s.out vs double reference", name);
    HC_EXPECT_CLOSE(oname, c.out, want, nq, 1e-5, 1e-4);
    fd_kernel kr = {&c, attn_fwd, attn_bwd, c.out, c.R, nq, 1};
    fd_arg args[] = {{"dq", c.q, c.dq, nq}, {"dk", c.k, c.dk, nk}, {"dv", c.v, c.dv, nk}};
    fd_check(name, &kr, args, 3, FD_STEP, FD_ATOL, FD_RTOL);
    free(want);
    attn_free(&c);
  }
}

/* Without recomputation (probs kept by forward, read by backward) the
 * output, lse and gradients equal the recomputing kernel's bit for bit,
 * and the kept rows are probabilities (sum 1, zero above the diagonal). */
static void kept_probs_case(int b, int s, int nh, int nkv, int d) {
  attn_ctx c;
  attn_alloc(&c, b, s, nh, nkv, d);
  size_t nq = (size_t)c.b * c.s * c.nh * c.d, nk = (size_t)c.b * c.s * c.nkv * c.d;
  size_t S = (size_t)c.s, np = (size_t)c.b * c.nh * S * S, nl = (size_t)c.b * c.nh * S;
  float *out = zeros(nq), *lse = zeros(nl), *P = zeros(np);
  for (size_t i = 0; i < np; i++) P[i] = NAN; /* every element must be written */
  float *dq = zeros(nq), *dk = zeros(nk), *dv = zeros(nk);
  attn_fwd(&c);
  attn_bwd(&c);
  hc_attention_forward(out, lse, P, c.q, c.k, c.v, c.b, c.s, c.nh, c.nkv, c.d);
  hc_attention_backward(dq, dk, dv, c.R, lse, P, c.q, c.k, c.v, c.b, c.s, c.nh, c.nkv, c.d);
  struct { const char *name; const float *a, *b; size_t n; } t[] = {
      {"out", out, c.out, nq}, {"lse", lse, c.lse, nl}, {"dq", dq, c.dq, nq},
      {"dk", dk, c.dk, nk},    {"dv", dv, c.dv, nk}};
  for (size_t k = 0; k < 5; k++)
    for (size_t i = 0; i < t[k].n; i++)
      if (memcmp(&t[k].a[i], &t[k].b[i], sizeof(float))) {
        fprintf(stderr, "s=%d %s[%zu]: %.9g with probs kept, %.9g recomputed\n", s, t[k].name,
                i, t[k].a[i], t[k].b[i]);
        CU_FAIL_FATAL("kept probabilities change the result");
      }
  for (size_t r = 0; r < (size_t)c.b * c.nh * S; r++) {
    const float *row = P + r * S;
    size_t tq = r % S;
    double sum = 0;
    for (size_t u = 0; u < S; u++) {
      if (u > tq && row[u] != 0.0f) {
        fprintf(stderr, "s=%d probs row %zu (query %zu) key %zu: %.9g above the diagonal\n", s,
                r, tq, u, row[u]);
        CU_FAIL_FATAL("kept probabilities not zero above the diagonal");
      }
      sum += row[u];
    }
    if (fabs(sum - 1.0) > 1e-5) {
      fprintf(stderr, "s=%d probs row %zu: sum %.9g, want 1\n", s, r, sum);
      CU_FAIL_FATAL("kept probabilities do not sum to 1");
    }
  }
  free(out), free(lse), free(P), free(dq), free(dk), free(dv);
  attn_free(&c);
}

/* Short rows (the scalar path) and rows past the softmax's 16 lanes. */
static void test_attention_kept_probs(void) {
  kept_probs_case(2, 7, 4, 2, 3);
  kept_probs_case(1, 45, 2, 1, 4);
}

/* Output at position t is bitwise unchanged when q, k, v after t change. */
static void test_attention_causal(void) {
  attn_ctx c;
  attn_alloc(&c, 2, 6, 4, 2, 4);
  size_t S = 6, qw = 4 * 4, kw = 2 * 4, nq = 2 * S * qw, nk = 2 * S * kw;
  float *before = hc_malloc(nq * sizeof(float));
  float *q0 = hc_malloc(nq * sizeof(float)), *k0 = hc_malloc(nk * sizeof(float)),
        *v0 = hc_malloc(nk * sizeof(float));
  memcpy(q0, c.q, nq * sizeof(float));
  memcpy(k0, c.k, nk * sizeof(float));
  memcpy(v0, c.v, nk * sizeof(float));
  attn_fwd(&c);
  memcpy(before, c.out, nq * sizeof(float));
  for (size_t t = 0; t + 1 < S; t++) {
    /* from the original inputs, change every position after t in both
     * sequences */
    memcpy(c.q, q0, nq * sizeof(float));
    memcpy(c.k, k0, nk * sizeof(float));
    memcpy(c.v, v0, nk * sizeof(float));
    for (size_t bi = 0; bi < 2; bi++)
      for (size_t u = t + 1; u < S; u++) {
        for (size_t e = 0; e < qw; e++) c.q[(bi * S + u) * qw + e] += 1.0f;
        for (size_t e = 0; e < kw; e++) {
          c.k[(bi * S + u) * kw + e] *= -2.0f;
          c.v[(bi * S + u) * kw + e] += 3.0f;
        }
      }
    attn_fwd(&c);
    for (size_t bi = 0; bi < 2; bi++) {
      char name[80];
      snprintf(name, sizeof name, "attention.out[seq %zu, pos 0..%zu] after a change at >%zu",
               bi, t, t);
      HC_EXPECT_CLOSE(name, c.out + bi * S * qw, before + bi * S * qw, (t + 1) * qw, 0, 0);
    }
    /* and the position right after t did change (the test can see a leak) */
    CU_ASSERT(memcmp(c.out + (t + 1) * qw, before + (t + 1) * qw, qw * sizeof(float)) != 0);
  }
  free(before), free(q0), free(k0), free(v0);
  attn_free(&c);
}

/* ---- SwiGLU ----------------------------------------------------------------- */

typedef struct {
  size_t n;
  float *gate, *up, *out, *dgate, *dup, *R;
} swiglu_ctx;

static void swiglu_fwd(void *p) {
  swiglu_ctx *c = p;
  hc_swiglu_forward(c->out, c->gate, c->up, c->n);
}
static void swiglu_bwd(void *p) {
  swiglu_ctx *c = p;
  hc_swiglu_backward(c->dgate, c->dup, c->R, c->gate, c->up, c->n);
}

static void test_swiglu(void) {
  size_t n = 5 * 11 + hc_rng_u64(&rng) % 16; /* odd-ish, seeded */
  swiglu_ctx c = {n, rand_buf(n, -4, 4), rand_buf(n, -2, 2), zeros(n),
                  zeros(n), zeros(n), rand_buf(n, -1, 1)};
  swiglu_fwd(&c);
  float *want = zeros(n);
  for (size_t i = 0; i < n; i++)
    want[i] = (float)((double)c.gate[i] / (1.0 + exp(-(double)c.gate[i])) * c.up[i]);
  HC_EXPECT_CLOSE("swiglu.out", c.out, want, n, 1e-6, 1e-5);
  fd_kernel k = {&c, swiglu_fwd, swiglu_bwd, c.out, c.R, n, 0}; /* writes its gradients */
  fd_arg args[] = {{"dgate", c.gate, c.dgate, n}, {"dup", c.up, c.dup, n}};
  fd_check("swiglu", &k, args, 2, FD_STEP, FD_ATOL, FD_RTOL);
  free(want), free(c.gate), free(c.up), free(c.out), free(c.dgate), free(c.dup), free(c.R);
}

/* ---- matmul ------------------------------------------------------------------ */

typedef struct {
  int N, in, out;
  float *x, *w, *y, *dx, *dw, *R;
} mm_ctx;

static void mm_fwd(void *p) {
  mm_ctx *c = p;
  hc_matmul_forward(c->y, c->x, c->w, c->N, c->in, c->out);
}
static void mm_bwd(void *p) {
  mm_ctx *c = p;
  hc_matmul_backward(c->dx, c->dw, c->R, c->x, c->w, c->N, c->in, c->out);
}

static void test_matmul_gradient(void) {
  /* (N, n_in, n_out): fixed odd shapes, then two drawn sizes 1..9 */
  int shapes[4][3] = {{5, 7, 3}, {1, 1, 1}};
  for (size_t s = 2; s < 4; s++)
    for (size_t d = 0; d < 3; d++) shapes[s][d] = 1 + (int)(hc_rng_u64(&rng) % 9);
  for (size_t s = 0; s < 4; s++) {
    mm_ctx c = {shapes[s][0], shapes[s][1], shapes[s][2], NULL, NULL, NULL, NULL, NULL, NULL};
    size_t nx = (size_t)c.N * c.in, nw = (size_t)c.out * c.in, ny = (size_t)c.N * c.out;
    c.x = rand_buf(nx, -1, 1), c.w = rand_buf(nw, -1, 1), c.y = zeros(ny);
    c.dx = zeros(nx), c.dw = zeros(nw), c.R = rand_buf(ny, -1, 1);
    char name[64];
    snprintf(name, sizeof name, "matmul(N=%d,in=%d,out=%d)", c.N, c.in, c.out);
    fd_kernel k = {&c, mm_fwd, mm_bwd, c.y, c.R, ny, 1};
    fd_arg args[] = {{"dX", c.x, c.dx, nx}, {"dW", c.w, c.dw, nw}};
    fd_check(name, &k, args, 2, FD_STEP, FD_ATOL, FD_RTOL);
    free(c.x), free(c.w), free(c.y), free(c.dx), free(c.dw), free(c.R);
  }
}

/* The oracle itself on numbers worked by hand:
 * X = [1 2 3; 4 5 6], W = [1 0 -1; 2 1 0] (2 out, 3 in): Y = X W^T =
 * [-2 4; -2 13]; with dY = [1 0; 0 1]: dX = dY W = W, dW = dY^T X = X. */
static void test_matmul_oracle_by_hand(void) {
  float x[6] = {1, 2, 3, 4, 5, 6}, w[6] = {1, 0, -1, 2, 1, 0}, dy[4] = {1, 0, 0, 1};
  float y[4], dx[6] = {0}, dw[6] = {0}, wy[4] = {-2, 4, -2, 13};
  hc_matmul_forward_naive(y, x, w, 2, 3, 2);
  HC_EXPECT_CLOSE("naive Y", y, wy, 4, 0, 0);
  hc_matmul_backward_naive(dx, dw, dy, x, w, 2, 3, 2);
  HC_EXPECT_CLOSE("naive dX", dx, w, 6, 0, 0);
  HC_EXPECT_CLOSE("naive dW", dw, x, 6, 0, 0);
}

/* cblas against the naive oracle on odd shapes. fp32 sums of up to 65
 * products of U(-1,1) numbers: rounding ~1e-6; the bound 1e-5 + 1e-5 rel
 * leaves room for BLAS's summation order, not for a wrong element. The
 * gradients start from the same non-zero fill, checking += on both. */
static void test_matmul_blas_vs_naive(void) {
  int shapes[][3] = {{7, 13, 5}, {1, 1, 1}, {33, 17, 65}, {2, 64, 3}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    int N = shapes[s][0], I = shapes[s][1], O = shapes[s][2];
    size_t nx = (size_t)N * I, nw = (size_t)O * I, ny = (size_t)N * O;
    float *x = rand_buf(nx, -1, 1), *w = rand_buf(nw, -1, 1), *dy = rand_buf(ny, -1, 1);
    float *y1 = zeros(ny), *y2 = zeros(ny);
    float *dx1 = rand_buf(nx, -1, 1), *dw1 = rand_buf(nw, -1, 1);
    float *dx2 = hc_malloc(nx * sizeof(float)), *dw2 = hc_malloc(nw * sizeof(float));
    memcpy(dx2, dx1, nx * sizeof(float));
    memcpy(dw2, dw1, nw * sizeof(float));
    hc_matmul_forward(y1, x, w, N, I, O);
    hc_matmul_forward_naive(y2, x, w, N, I, O);
    hc_matmul_backward(dx1, dw1, dy, x, w, N, I, O);
    hc_matmul_backward_naive(dx2, dw2, dy, x, w, N, I, O);
    char name[64];
    snprintf(name, sizeof name, "matmul %dx%dx%d Y", N, I, O);
    HC_EXPECT_CLOSE(name, y1, y2, ny, 1e-5, 1e-5);
    snprintf(name, sizeof name, "matmul %dx%dx%d dX", N, I, O);
    HC_EXPECT_CLOSE(name, dx1, dx2, nx, 1e-5, 1e-5);
    snprintf(name, sizeof name, "matmul %dx%dx%d dW", N, I, O);
    HC_EXPECT_CLOSE(name, dw1, dw2, nw, 1e-5, 1e-5);
    /* NULL skips a gradient: each one alone still matches the oracle */
    float *dx3 = zeros(nx), *dx4 = zeros(nx), *dw3 = zeros(nw), *dw4 = zeros(nw);
    hc_matmul_backward(dx3, NULL, dy, x, w, N, I, O);
    hc_matmul_backward_naive(dx4, NULL, dy, x, w, N, I, O);
    hc_matmul_backward(NULL, dw3, dy, x, w, N, I, O);
    hc_matmul_backward_naive(NULL, dw4, dy, x, w, N, I, O);
    HC_EXPECT_CLOSE("matmul dX alone", dx3, dx4, nx, 1e-5, 1e-5);
    HC_EXPECT_CLOSE("matmul dW alone", dw3, dw4, nw, 1e-5, 1e-5);
    free(x), free(w), free(dy), free(y1), free(y2), free(dx1), free(dw1), free(dx2),
        free(dw2), free(dx3), free(dx4), free(dw3), free(dw4);
  }
}

/* ---- cross-entropy ------------------------------------------------------------ */

typedef struct {
  int T, V;
  float scale;
  int *targets;
  float *logits, *dlogits, loss, one;
} ce_ctx;

static void ce_fwd(void *p) {
  ce_ctx *c = p;
  c->loss = hc_crossentropy_forward_backward(NULL, c->logits, c->targets, c->T, c->V, c->scale);
}
static void ce_bwd(void *p) {
  ce_ctx *c = p;
  hc_crossentropy_forward_backward(c->dlogits, c->logits, c->targets, c->T, c->V, c->scale);
}

static void test_crossentropy(void) {
  /* uniform logits: every token costs ln V, and the mean is ln V */
  int targets[5] = {0, 12, 3, 7, 12};
  float flat[5 * 13];
  for (size_t i = 0; i < 5 * 13; i++) flat[i] = 0.7f;
  float got = hc_crossentropy_forward_backward(NULL, flat, targets, 5, 13, 1.0f / 5);
  float want = (float)log(13.0);
  HC_EXPECT_CLOSE("crossentropy(uniform logits) vs ln V", &got, &want, 1, 1e-6, 1e-6);
  /* by hand: logits [0, ln 3] target 1 -> p = 3/4, loss = ln(4/3);
   * dlogits = [1/4, -1/4] */
  float z[2] = {0.0f, (float)log(3.0)}, dz[2], wdz[2] = {0.25f, -0.25f};
  int y1 = 1;
  got = hc_crossentropy_forward_backward(dz, z, &y1, 1, 2, 1.0f);
  want = (float)log(4.0 / 3.0);
  HC_EXPECT_CLOSE("crossentropy by hand: loss", &got, &want, 1, 1e-6, 1e-5);
  HC_EXPECT_CLOSE("crossentropy by hand: dlogits", dz, wdz, 2, 1e-6, 1e-5);

  /* finite differences of the mean loss, then a different token count
   * through the scale: scale 1/T_global with T_global = 4 T */
  float scales[2] = {1.0f / 5, 1.0f / 20};
  for (size_t s = 0; s < 2; s++) {
    ce_ctx c = {5, 13, scales[s], targets, rand_buf(5 * 13, -3, 3), zeros(5 * 13), 0, 1.0f};
    fd_kernel k = {&c, ce_fwd, ce_bwd, &c.loss, &c.one, 1, 0};
    fd_arg args[] = {{"dlogits", c.logits, c.dlogits, 5 * 13}};
    /* gradients are scale (p - onehot) ~ 1e-2; fp32 loss rounding over 2h
     * ~5e-6: atol 1e-4 */
    fd_check(s ? "crossentropy(scale 1/20)" : "crossentropy(scale 1/T)", &k, args, 1,
             FD_STEP, 1e-4, FD_RTOL);
    /* the loss scales with it too: sum over tokens times scale */
    float sum = hc_crossentropy_forward_backward(NULL, c.logits, targets, 5, 13, 1.0f);
    float want_scaled = sum * scales[s];
    ce_fwd(&c);
    HC_EXPECT_CLOSE("crossentropy loss scaling", &c.loss, &want_scaled, 1, 1e-6, 1e-5);
    free(c.logits), free(c.dlogits);
  }
}

int main(void) {
  hc_rng_seed(&rng, 20240705);
  const hc_test tests[] = {
      {"embedding forward and gradient", test_embedding},
      {"rmsnorm forward and gradients", test_rmsnorm},
      {"rope gradient", test_rope_gradient},
      {"rope formula, inverse and norms", test_rope_formula},
      {"attention forward and gradients (GQA groups)", test_attention},
      {"attention is causal", test_attention_causal},
      {"attention with kept probabilities equals recomputed", test_attention_kept_probs},
      {"swiglu forward and gradients", test_swiglu},
      {"matmul gradient", test_matmul_gradient},
      {"matmul oracle by hand", test_matmul_oracle_by_hand},
      {"matmul cblas equals naive", test_matmul_blas_vs_naive},
      {"cross-entropy", test_crossentropy},
  };
  return hc_unit_main("kernels", tests, sizeof tests / sizeof tests[0]);
}
