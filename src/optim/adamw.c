/* adamw.c: AdamW (Loshchilov & Hutter, decoupled weight decay) and global
 * gradient-norm clipping. The loops over the parameter buffers are
 * vectorised and split over the process's threads (threads.h), each
 * element (and each chunk's partial sum) computed alike whatever the
 * thread count. */
#include <math.h>
#include <string.h>

#include "hecaton/optim.h"
#include "hecaton/threads.h"
#include "hecaton/util.h"

/* The update with the gradients scaled by gscale on the fly (clipping
 * without writing the gradients: g * gscale rounds as a scaling in place
 * would, and the gradients stay as backward left them). Elementwise:
 * vectorised (HC_VEC_CLONES) and split over hc_threads() threads in chunks,
 * each element computed alike whatever the thread count. */
typedef struct {
  float b1, b2, omb1, omb2, rc1, rsc2, wd, eps, lr, gscale;
} adamw_consts;

/* mhat / (sqrt(vhat) + eps) as (m rc1) / (sqrt(v) rsc2 + eps), with
 * rc1 = 1 / (1 - beta1^t) and rsc2 = 1 / sqrt(1 - beta2^t) from the
 * constants: one division and one square root an element instead of three
 * and one. The loop was bound by the divider (small, 1 thread: 27.6 ms,
 * 16.7 this way, against 16.1 with neither, where memory binds). */
HC_VEC_CLONES static void update_range(float *param, const float *grad, float *m, float *v,
                                       size_t i0, size_t i1, const adamw_consts *k) {
  float b1 = k->b1, b2 = k->b2, omb1 = k->omb1, omb2 = k->omb2, rc1 = k->rc1, rsc2 = k->rsc2;
  float wd = k->wd, eps = k->eps, lr = k->lr, gscale = k->gscale;
  for (size_t i = i0; i < i1; i++) {
    float g = gscale == 1.0f ? grad[i] : grad[i] * gscale;
    float mi = b1 * m[i] + omb1 * g, vi = b2 * v[i] + omb2 * g * g;
    m[i] = mi, v[i] = vi;
    param[i] -= lr * (mi * rc1 / (sqrtf(vi) * rsc2 + eps) + wd * param[i]);
  }
}

enum { CHUNK = 16384 }; /* elements per task */

static adamw_consts consts_of(const hc_adamw *opt, float lr, int decay, long t, float gscale) {
  HC_ASSERT(t >= 1);
  adamw_consts k = {(float)opt->beta1, (float)opt->beta2, (float)(1.0 - opt->beta1),
                    (float)(1.0 - opt->beta2),
                    /* bias corrections in double: 1 - beta2^t for small t loses digits in fp32 */
                    (float)(1.0 / (1.0 - pow(opt->beta1, (double)t))),
                    (float)(1.0 / sqrt(1.0 - pow(opt->beta2, (double)t))),
                    decay ? (float)opt->weight_decay : 0.0f, (float)opt->eps, lr, gscale};
  return k;
}

static void update_scaled(float *param, const float *grad, float *m, float *v, size_t n,
                          const hc_adamw *opt, float lr, int decay, long t, float gscale) {
  adamw_consts k = consts_of(opt, lr, decay, t, gscale);
  int nt = hc_threads();
  long chunks = (long)((n + CHUNK - 1) / CHUNK);
#pragma omp parallel for num_threads(nt) if (nt > 1 && n >= HC_PAR_MIN_ELEMS) schedule(static)
  for (long c = 0; c < chunks; c++) {
    size_t i0 = (size_t)c * CHUNK, i1 = i0 + CHUNK < n ? i0 + CHUNK : n;
    update_range(param, grad, m, v, i0, i1, &k);
  }
}

void hc_adamw_update(float *param, const float *grad, float *m, float *v, size_t n,
                     const hc_adamw *opt, float lr, int decay, long t) {
  update_scaled(param, grad, m, v, n, opt, lr, decay, t, 1.0f);
}

/* A tensor of at least HC_PAR_MIN_ELEMS is split over the threads by
 * itself; the smaller ones (most of a Llama layer's: wq at dim 512 is
 * 262144) are handed out whole to the threads as they come free, so they
 * too use every thread. Each element is computed alike either way. */
void hc_adamw_step_scaled(hc_params *p, const hc_adamw *opt, float lr, long t, float gscale) {
  if (!p->params) return; /* dry-run: nothing held */
  adamw_consts k[2] = {consts_of(opt, lr, 0, t, gscale), consts_of(opt, lr, 1, t, gscale)};
  size_t small = 0;
  for (size_t i = 0; i < p->n_tensors; i++) {
    const hc_tensor *x = &p->tensors[i];
    if (x->goff == HC_FROZEN) continue; /* the base model under LoRA */
    if (x->numel >= HC_PAR_MIN_ELEMS) {
      update_scaled(p->params + x->offset, p->grads + x->goff, p->m + x->goff, p->v + x->goff,
                    x->numel, opt, lr, x->spec.decay, t, gscale);
    } else {
      small += x->numel;
    }
  }
  int nt = hc_threads();
  long nten = (long)p->n_tensors;
#pragma omp parallel for num_threads(nt) if (nt > 1 && small >= HC_PAR_MIN_ELEMS) \
    schedule(dynamic, 1)
  for (long i = 0; i < nten; i++) {
    const hc_tensor *x = &p->tensors[i];
    if (x->goff == HC_FROZEN || x->numel >= HC_PAR_MIN_ELEMS) continue;
    size_t g = x->goff;
    update_range(p->params + x->offset, p->grads + g, p->m + g, p->v + g, 0, x->numel,
                 &k[x->spec.decay ? 1 : 0]);
  }
}

void hc_adamw_step(hc_params *p, const hc_adamw *opt, float lr, long t) {
  hc_adamw_step_scaled(p, opt, lr, t, 1.0f);
}

/* sum of g^2 over [i0, i1) in double, eight lanes then their sum (vector
 * extensions: gcc kept the eight accumulators scalar, 7.5 ms a step of
 * small at 1 thread, against the 3 that reading the gradients takes). */
typedef float v8f __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));
HC_VEC_CLONES static double sumsq_range(const float *g, size_t i0, size_t i1) {
  v8d acc = {0};
  size_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    v8f x;
    memcpy(&x, g + i, sizeof x);
    v8d d = __builtin_convertvector(x, v8d);
    acc += d * d;
  }
  double ss = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < i1; i++) ss += (double)g[i] * g[i];
  return ss;
}

/* Chunks fixed by n alone (at most MAXC of them), their sums added in order:
 * the same result on any number of threads. */
double hc_grad_sumsq(const float *g, size_t n) {
  enum { MAXC = 1024, MINC = 65536 };
  size_t chunk = n / MAXC + 1;
  if (chunk < MINC) chunk = MINC;
  long chunks = (long)((n + chunk - 1) / chunk);
  double part[MAXC];
  int nt = hc_threads();
#pragma omp parallel for num_threads(nt) if (nt > 1 && n >= HC_PAR_MIN_ELEMS) schedule(static)
  for (long c = 0; c < chunks; c++) {
    size_t i0 = (size_t)c * chunk, i1 = i0 + chunk < n ? i0 + chunk : n;
    part[c] = sumsq_range(g, i0, i1);
  }
  double ss = 0.0;
  for (long c = 0; c < chunks; c++) ss += part[c];
  return ss;
}

float hc_grad_clip_scale(double sumsq, double max_norm) {
  double c = max_norm / (sqrt(sumsq) + 1e-6);
  return c < 1.0 ? (float)c : 1.0f;
}

void hc_grad_scale(float *g, size_t n, float c) {
  if (c == 1.0f) return;
  for (size_t i = 0; i < n; i++) g[i] *= c;
}
