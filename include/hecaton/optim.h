/* optim.h: AdamW, global gradient-norm clipping and the learning-rate
 * schedule. Plain loops over float ranges: a sharded caller runs them on
 * its own shard. */
#ifndef HECATON_OPTIM_H
#define HECATON_OPTIM_H

#include <stddef.h>

#include "hecaton/params.h"

/* Hyperparameters in double, as PyTorch holds them: 1 - beta2 is then
 * 0.001 before rounding to fp32, not 1 - (float)0.999. */
typedef struct {
  double beta1, beta2, eps;
  double weight_decay; /* decoupled (AdamW), applied only where decay is set */
} hc_adamw;

/* One AdamW step (PyTorch torch.optim.AdamW semantics) on n elements, step
 * t >= 1 (bias correction 1 - beta^t):
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps) + lr wd p   (wd if decay)
 * Updates param, m, v in place; grad is read only. */
void hc_adamw_update(float *param, const float *grad, float *m, float *v, size_t n,
                     const hc_adamw *opt, float lr, int decay, long t);
/* The step over every tensor of the table, each with its own decay flag. */
void hc_adamw_step(hc_params *p, const hc_adamw *opt, float lr, long t);
/* The same with every gradient multiplied by gscale as it is read (the
 * clipping factor), leaving the gradients themselves unchanged. */
void hc_adamw_step_scaled(hc_params *p, const hc_adamw *opt, float lr, long t, float gscale);

/* Clipping in three parts, so that a distributed caller can all-reduce the
 * sum of squares between the first and the second:
 *   ss = hc_grad_sumsq(g, n)            (local, double accumulator)
 *   ... all-reduce ss ...
 *   c = hc_grad_clip_scale(ss, max_norm) (min(1, max_norm / (norm + 1e-6)),
 *                                         PyTorch's clip_grad_norm_)
 *   hc_grad_scale(g, n, c). */
double hc_grad_sumsq(const float *g, size_t n);
float hc_grad_clip_scale(double sumsq, double max_norm);
void hc_grad_scale(float *g, size_t n, float c);

/* Linear warm-up then cosine decay to min_lr:
 *   step < warmup:         max_lr (step + 1) / warmup
 *   warmup <= step < total: min_lr + (max_lr - min_lr) (1 + cos(pi r)) / 2,
 *                           r = (step - warmup) / (total - warmup)
 *   step >= total:         min_lr
 * (step + 1 so that step 0 already learns, as llm.c does.) */
typedef struct {
  double max_lr, min_lr;
  long warmup_steps, total_steps;
} hc_lr_schedule;

double hc_lr_at(const hc_lr_schedule *s, long step);

#endif
