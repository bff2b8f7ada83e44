/* test_optim.c: AdamW against hand computation, weight decay only on 2-D
 * tensors, gradient clipping, and the learning-rate schedule. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hecaton/optim.h"
#include "hecaton/util.h"

static const hc_adamw kOpt = {0.9, 0.999, 1e-8, 0.1};

/* Step 1 by hand (m = v = 0, lr 0.01, wd 0.1): m_hat = g, v_hat = g^2, so
 * the Adam part is g / (|g| + eps) ~ sign(g):
 *   p =  1.0, g =  0.1: 1 - 0.01 (0.1/(0.1+1e-8) + 0.1 * 1) = 0.98900000
 *   p = -2.0, g = -0.3: -2 - 0.01 (-1 + 0.1 * -2)           = -1.98800000
 *   p =  0.5, g =  0.0: 0.5 - 0.01 (0 + 0.1 * 0.5)          = 0.49950000
 *   p =  3.0, g =  2.0: 3 - 0.01 (1 + 0.3)                  = 2.98700000
 * Step 2 with g2, in double from the update rule (bias corrections
 * 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999). */
static void test_adamw_by_hand(void) {
  float p[4] = {1.0f, -2.0f, 0.5f, 3.0f}, g[4] = {0.1f, -0.3f, 0.0f, 2.0f};
  float m[4] = {0}, v[4] = {0};
  hc_adamw_update(p, g, m, v, 4, &kOpt, 0.01f, 1, 1);
  float want1[4] = {0.989f, -1.988f, 0.4995f, 2.987f};
  HC_EXPECT_CLOSE("adamw step 1 params", p, want1, 4, 1e-6, 1e-6);
  float wm[4], wv[4];
  for (size_t i = 0; i < 4; i++) wm[i] = 0.1f * g[i], wv[i] = 0.001f * g[i] * g[i];
  HC_EXPECT_CLOSE("adamw step 1 m", m, wm, 4, 1e-9, 1e-6);
  HC_EXPECT_CLOSE("adamw step 1 v", v, wv, 4, 1e-12, 1e-6);

  float g2[4] = {-0.2f, 0.1f, 0.05f, 2.0f}, want2[4];
  for (size_t i = 0; i < 4; i++) {
    double m2 = 0.9 * wm[i] + 0.1 * g2[i], v2 = 0.999 * wv[i] + 0.001 * (double)g2[i] * g2[i];
    double upd = (m2 / 0.19) / (sqrt(v2 / 0.001999) + 1e-8);
    want2[i] = (float)(want1[i] - 0.01 * (upd + 0.1 * want1[i]));
  }
  hc_adamw_update(p, g2, m, v, 4, &kOpt, 0.01f, 1, 2);
  HC_EXPECT_CLOSE("adamw step 2 params", p, want2, 4, 1e-6, 1e-5);

  /* decay off: the same step without the wd term */
  float q[1] = {0.5f}, gq[1] = {0.0f}, mq[1] = {0}, vq[1] = {0}, wq[1] = {0.5f};
  hc_adamw_update(q, gq, mq, vq, 1, &kOpt, 0.01f, 0, 1);
  HC_EXPECT_CLOSE("adamw without decay, zero grad", q, wq, 1, 0, 0);
}

/* Over the table: with zero gradients only weight decay moves anything,
 * so 2-D tensors shrink by (1 - lr wd) and 1-D tensors stay put. */
static void test_adamw_decay_flags(void) {
  char path[1024], err[HC_ERRLEN];
  hc_model_config c;
  snprintf(path, sizeof path, "%s/models/tiny-64.ini", HECATON_SOURCE_DIR);
  CU_ASSERT_EQUAL_FATAL(hc_model_config_load(path, &c, err, sizeof err), 0);
  hc_params p;
  hc_params_alloc(&p, &c);
  hc_params_init(&p, 7);
  for (size_t i = 0; i < p.n_params; i++) p.params[i] += 0.25f; /* gains 1.25: not 0 */
  float *before = hc_malloc(p.n_params * sizeof(float));
  memcpy(before, p.params, p.n_params * sizeof(float));
  hc_params_zero_grads(&p);
  hc_adamw_step(&p, &kOpt, 0.01f, 1);
  size_t n1 = 0, n2 = 0;
  for (size_t t = 0; t < p.n_tensors; t++) {
    const hc_tensor *x = &p.tensors[t];
    float *want = hc_malloc(x->spec.numel * sizeof(float));
    for (size_t e = 0; e < x->spec.numel; e++)
      want[e] = x->spec.ndim == 2 ? before[x->offset + e] * (1.0f - 0.01f * 0.1f)
                                  : before[x->offset + e];
    HC_EXPECT_CLOSE(x->spec.name, p.params + x->offset, want, x->spec.numel, 1e-7, 1e-6);
    free(want);
    if (x->spec.ndim == 2) n2++;
    else n1++;
  }
  CU_ASSERT_EQUAL(n1, 2 * 2 + 1); /* attention_norm, ffn_norm per layer, norm */
  CU_ASSERT_EQUAL(n2, 2 * 7 + 2);
  free(before);
  hc_params_free(&p);
}

static void test_clipping(void) {
  /* g = (3, 4, 0, 12) * 2: norm 26 -> clipped to 1.3 */
  float g[4] = {6, 8, 0, 24};
  double ss = hc_grad_sumsq(g, 2) + hc_grad_sumsq(g + 2, 2); /* two "ranks" */
  CU_ASSERT_DOUBLE_EQUAL(ss, 676.0, 0);
  float c = hc_grad_clip_scale(ss, 1.3);
  hc_grad_scale(g, 4, c);
  double norm = sqrt(hc_grad_sumsq(g, 4));
  CU_ASSERT_DOUBLE_EQUAL(norm, 1.3, 1e-6);
  float want[4] = {0.3f, 0.4f, 0.0f, 1.2f};
  HC_EXPECT_CLOSE("clipped gradient", g, want, 4, 1e-6, 1e-6);
  /* under the limit: untouched */
  float h[3] = {0.1f, -0.2f, 0.2f}, hw[3] = {0.1f, -0.2f, 0.2f};
  c = hc_grad_clip_scale(hc_grad_sumsq(h, 3), 1.0);
  CU_ASSERT_EQUAL(c, 1.0f);
  hc_grad_scale(h, 3, c);
  HC_EXPECT_CLOSE("gradient under the limit", h, hw, 3, 0, 0);
}

static void test_lr_schedule(void) {
  hc_lr_schedule s = {1e-3, 1e-4, 10, 110};
  const double pi = 3.14159265358979323846;
  struct { long step; double want; } pts[] = {
      {0, 1e-3 * 1 / 10},                 /* first step of warm-up */
      {4, 1e-3 * 5 / 10},
      {9, 1e-3},                          /* end of warm-up */
      {10, 1e-3},                         /* start of decay, r = 0 */
      {35, 1e-4 + 0.9e-3 * 0.5 * (1 + cos(pi * 0.25))},
      {60, (1e-3 + 1e-4) / 2},            /* midpoint of the decay */
      {109, 1e-4 + 0.9e-3 * 0.5 * (1 + cos(pi * 0.99))},
      {110, 1e-4},                        /* end */
      {500, 1e-4},                        /* past the end */
  };
  for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++) {
    double got = hc_lr_at(&s, pts[k].step);
    if (fabs(got - pts[k].want) > 1e-12)
      fprintf(stderr, "\nlr at step %ld: got %.10g want %.10g\n", pts[k].step, got,
              pts[k].want);
    CU_ASSERT_DOUBLE_EQUAL(got, pts[k].want, 1e-12);
  }
  hc_lr_schedule none = {2e-3, 2e-4, 0, 100}; /* no warm-up */
  CU_ASSERT_DOUBLE_EQUAL(hc_lr_at(&none, 0), 2e-3, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(hc_lr_at(&none, 50), 1.1e-3, 1e-15);
}

int main(void) {
  const hc_test tests[] = {
      {"adamw steps by hand", test_adamw_by_hand},
      {"adamw decays 2-D tensors only", test_adamw_decay_flags},
      {"gradient-norm clipping", test_clipping},
      {"learning-rate schedule", test_lr_schedule},
  };
  return hc_unit_main("optim", tests, sizeof tests / sizeof tests[0]);
}
