/* step.h: one training step, the same for every command that runs one
 * (train, gradcheck, compare, bench-step, bench-train, the estimator):
 * zero the gradients, forward, backward (with the method's own gradient
 * reductions), an optional hook, the global gradient norm, and one AdamW
 * update clipped on the fly (the gradients are left as backward made them,
 * for checks), its FLOPs charged to the optimizer phase. No MPI:
 * the method does the communication. */
#ifndef HECATON_STEP_H
#define HECATON_STEP_H

#include "hecaton/model.h"
#include "hecaton/optim.h"

typedef struct {
  const hc_adamw *opt; /* NULL: the update is charged to the cost model but not applied
                          (a step costed or timed in isolation) */
  double lr;
  double clip;         /* gradient-norm clip; <= 0: none */
  long t;              /* AdamW's step number, from 1 */
  /* After backward, before the norm (NULL: none): a check, a dump or a test
   * hook. Non-zero ends the step there (no update). */
  int (*after_backward)(void *arg, hc_model *md, const int *batch, float loss);
  void *arg;
} hc_step_opts;

typedef struct {
  float loss;
  double grad_norm; /* before clipping */
  int stopped;      /* the hook ended the step */
} hc_step_result;

hc_step_result hc_train_step(hc_model *md, const int *batch, const hc_step_opts *o);

#endif
