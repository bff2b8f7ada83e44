/* step.c: one training step (step.h). */
#include "hecaton/step.h"

#include <math.h>

#include "hecaton/flops.h"
#include "hecaton/profile.h"
#include "hecaton/tags.h"

hc_step_result hc_train_step(hc_model *md, const int *batch, const hc_step_opts *o) {
  hc_method *m = md->m;
  hc_params *p = m->p;
  hc_step_result r = {0};
  double t0 = hc_prof_start();
  hc_params_zero_grads(p);
  hc_prof_stop(HC_PROF_COPIES, t0);
  r.loss = hc_model_forward(md, batch);
  hc_model_backward(md);
  if (o->after_backward && o->after_backward(o->arg, md, batch, r.loss)) {
    r.stopped = 1;
    return r;
  }
  t0 = hc_prof_start();
  r.grad_norm = sqrt(m->ops->grad_sumsq(m));
  hc_prof_stop(HC_PROF_GRADNORM, t0);
  if (o->opt) { /* clipped on the fly: the gradients stay as backward left them */
    float scale = o->clip > 0 ? hc_grad_clip_scale(r.grad_norm * r.grad_norm, o->clip) : 1.0f;
    t0 = hc_prof_start();
    hc_adamw_step_scaled(p, o->opt, (float)o->lr, o->t, scale);
    hc_prof_stop(HC_PROF_ADAMW, t0);
  }
  /* streams its state (the trained tensors': LoRA's frozen base has none) */
  hc_workset slice = {.name = "adamw", .updated = (double)p->n_train};
  hc_method_charge_ws(m, HC_PHASE_OPT, HC_OPK_OTHER, HC_FLOPS_ADAMW * (double)p->n_train, &slice,
                      "adamw");
  return r;
}
