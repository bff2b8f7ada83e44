/* adamw.c: AdamW (Loshchilov & Hutter, decoupled weight decay) and global
 * gradient-norm clipping. */
#include <math.h>

#include "hecaton/optim.h"
#include "hecaton/util.h"

/* The update with the gradients scaled by gscale on the fly (clipping
 * without writing the gradients: g * gscale rounds as a scaling in place
 * would, and the gradients stay as backward left them). */
static void update_scaled(float *param, const float *grad, float *m, float *v, size_t n,
                          const hc_adamw *opt, float lr, int decay, long t, float gscale) {
  HC_ASSERT(t >= 1);
  float b1 = (float)opt->beta1, b2 = (float)opt->beta2;
  float omb1 = (float)(1.0 - opt->beta1), omb2 = (float)(1.0 - opt->beta2);
  /* bias corrections in double: 1 - beta2^t for small t loses digits in fp32 */
  float c1 = (float)(1.0 - pow(opt->beta1, (double)t));
  float c2 = (float)(1.0 - pow(opt->beta2, (double)t));
  float wd = decay ? (float)opt->weight_decay : 0.0f, eps = (float)opt->eps;
  for (size_t i = 0; i < n; i++) {
    float g = gscale == 1.0f ? grad[i] : grad[i] * gscale;
    m[i] = b1 * m[i] + omb1 * g;
    v[i] = b2 * v[i] + omb2 * g * g;
    float mhat = m[i] / c1, vhat = v[i] / c2;
    param[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * param[i]);
  }
}

void hc_adamw_update(float *param, const float *grad, float *m, float *v, size_t n,
                     const hc_adamw *opt, float lr, int decay, long t) {
  update_scaled(param, grad, m, v, n, opt, lr, decay, t, 1.0f);
}

void hc_adamw_step_scaled(hc_params *p, const hc_adamw *opt, float lr, long t, float gscale) {
  if (!p->params) return; /* dry-run: nothing held */
  for (size_t k = 0; k < p->n_tensors; k++) {
    const hc_tensor *x = &p->tensors[k];
    if (x->goff == HC_FROZEN) continue; /* the base model under LoRA */
    size_t g = x->goff;
    update_scaled(p->params + x->offset, p->grads + g, p->m + g, p->v + g, x->numel, opt, lr,
                  x->spec.decay, t, gscale);
  }
}

void hc_adamw_step(hc_params *p, const hc_adamw *opt, float lr, long t) {
  hc_adamw_step_scaled(p, opt, lr, t, 1.0f);
}

double hc_grad_sumsq(const float *g, size_t n) {
  double ss = 0.0;
  for (size_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
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
