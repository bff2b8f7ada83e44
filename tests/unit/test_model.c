/* test_model.c: the whole model's gradient, d loss / d parameter, against
 * central finite differences for sampled elements of every parameter
 * tensor of a tiny GQA model, through the single-process method. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hecaton/model.h"
#include "hecaton/rng.h"
#include "hecaton/util.h"

static hc_model_config tiny(int n_heads, int n_kv) {
  hc_model_config c = {.dim = 16, .n_layers = 2, .n_heads = n_heads, .n_kv_heads = n_kv,
                       .ffn_dim = 24, .vocab_size = 32, .max_seq_len = 16, .norm_eps = 1e-5,
                       .rope_theta = 10000.0};
  snprintf(c.name, sizeof c.name, "fd-tiny");
  return c;
}

static float loss_of(hc_model *md, hc_params *p, const int *batch) {
  (void)p;
  return hc_model_forward(md, batch);
}

/* Central differences for 6 sampled elements of every tensor (samples drawn
 * from `seed`) against `grads`; returns the mismatches, counts the checks. */
static int fd_mismatches(hc_model *md, hc_params *p, const int *batch, uint64_t seed,
                         const float *grads, int verbose, int *checked) {
  const double h = 1e-2, atol = 2e-4, rtol = 2e-2;
  hc_rng r;
  hc_rng_seed(&r, seed);
  int bad = 0;
  for (size_t t = 0; t < p->n_tensors; t++) {
    const hc_tensor *tt = &p->tensors[t];
    for (int sample = 0; sample < 6; sample++) {
      size_t e = (size_t)(hc_rng_u64(&r) % tt->spec.numel);
      float *x = p->params + tt->offset + e, keep = *x;
      *x = keep + (float)h;
      double lp = loss_of(md, p, batch);
      *x = keep - (float)h;
      double lm = loss_of(md, p, batch);
      *x = keep;
      double fd = (lp - lm) / (2 * h), an = grads[tt->offset + e];
      (*checked)++;
      if (fabs(fd - an) > atol + rtol * fabs(fd)) {
        bad++;
        if (verbose)
          fprintf(stderr, "\n  %s[%zu]: analytic %.6g, finite difference %.6g\n", tt->spec.name,
                  e, an, fd);
      }
    }
  }
  return bad;
}

/* One forward and backward of a tiny model with large random weights, its
 * gradients checked by central differences (in double from fp32 losses). */
static void check_model(int n_heads, int n_kv) {
  hc_model_config c = tiny(n_heads, n_kv);
  char err[HC_ERRLEN];
  CU_ASSERT_EQUAL_FATAL(hc_model_config_validate(&c, "test", err, sizeof err), 0);
  hc_params p;
  hc_params_alloc(&p, &c);
  hc_params_init(&p, 1234);
  /* Larger weights than the 0.02 init make every path matter and the
   * gradients large enough to difference in fp32. */
  hc_rng r;
  hc_rng_seed(&r, 99);
  for (size_t k = 0; k < p.n_params; k++) p.params[k] += (float)(0.3 * hc_rng_normal(&r));
  int b = 2, s = 5, batch[2 * 6];
  for (int k = 0; k < b * (s + 1); k++) batch[k] = (int)(hc_rng_u64(&r) % (uint64_t)c.vocab_size);
  hc_method m;
  hc_single_method(&m, &p, b, s);
  hc_model md;
  hc_model_init(&md, &m);
  hc_params_zero_grads(&p);
  float L0 = hc_model_forward(&md, batch);
  CU_ASSERT(isfinite(L0));
  hc_model_backward(&md);

  /* The same sampled elements are checked twice: against the analytic
   * gradients, then (negative control) against gradients shifted by a tenth
   * of their size plus 1e-3, which the check must flag almost everywhere. */
  uint64_t sample_seed = hc_rng_u64(&r);
  int checked = 0;
  int bad = fd_mismatches(&md, &p, batch, sample_seed, p.grads, 1, &checked);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(checked > 0);
  float *shifted = hc_malloc(p.n_params * sizeof(float));
  for (size_t k = 0; k < p.n_params; k++)
    shifted[k] = p.grads[k] + 0.1f * fabsf(p.grads[k]) + 1e-3f;
  int control_checked = 0;
  int flagged = fd_mismatches(&md, &p, batch, sample_seed, shifted, 0, &control_checked);
  if (flagged < control_checked * 9 / 10)
    fprintf(stderr, "\n  negative control: only %d of %d shifted gradients flagged\n", flagged,
            control_checked);
  CU_ASSERT(flagged >= control_checked * 9 / 10);
  free(shifted);
  hc_model_free(&md);
  hc_params_free(&p);
}

static void test_gqa(void) { check_model(4, 2); }
static void test_single_kv_head(void) { check_model(4, 1); }
static void test_mha(void) { check_model(4, 4); }

/* The loss at initialisation is close to ln(V): the model starts uniform. */
static void test_initial_loss(void) {
  hc_model_config c = tiny(4, 2);
  hc_params p;
  hc_params_alloc(&p, &c);
  hc_params_init(&p, 7);
  int batch[12];
  for (int k = 0; k < 12; k++) batch[k] = (k * 7) % c.vocab_size;
  hc_method m;
  hc_single_method(&m, &p, 2, 5);
  hc_model md;
  hc_model_init(&md, &m);
  float L = hc_model_forward(&md, batch);
  CU_ASSERT(fabs(L - log((double)c.vocab_size)) < 0.05);
  hc_model_free(&md);
  hc_params_free(&p);
}

int main(void) {
  const hc_test tests[] = {
      {"whole-model gradient vs finite differences, GQA 4/2", test_gqa},
      {"whole-model gradient vs finite differences, n_kv = 1", test_single_kv_head},
      {"whole-model gradient vs finite differences, n_kv = n_heads", test_mha},
      {"initial loss is about ln(V)", test_initial_loss},
  };
  return hc_unit_main("model", tests, sizeof tests / sizeof tests[0]);
}
