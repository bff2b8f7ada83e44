/* test_lora.c: LoRA against its definition. A model with adapters must
 * compute what the plain model computes with W + (alpha/r) B A in place of
 * each target W (formed here in double by loops, independent of lora.c),
 * and its adapter gradients must be dA = s B^T dW, dB = s dW A^T of that
 * plain model's weight gradient; the frozen base keeps no gradient or
 * optimizer state and does not move under AdamW. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hecaton/model.h"
#include "hecaton/optim.h"
#include "hecaton/params.h"
#include "hecaton/rng.h"
#include "hecaton/util.h"

static hc_model_config small(void) {
  hc_model_config c = {.dim = 32, .n_layers = 2, .n_heads = 4, .n_kv_heads = 2, .ffn_dim = 48,
                       .vocab_size = 40, .max_seq_len = 16, .norm_eps = 1e-5,
                       .rope_theta = 10000.0, .name = "lora-test"};
  return c;
}

static hc_model_config with_lora(const char *targets, int rank, double alpha) {
  hc_model_config c = small();
  c.lora_rank = rank, c.lora_alpha = alpha;
  CU_ASSERT_EQUAL_FATAL(hc_lora_parse_targets(targets, &c.lora_targets), 0);
  return c;
}

static int *batch_of(int b, int s, int V) {
  int *t = hc_malloc((size_t)b * (s + 1) * sizeof(int));
  hc_rng r;
  hc_rng_seed(&r, 99);
  for (int k = 0; k < b * (s + 1); k++) t[k] = (int)(hc_rng_u64(&r) % (uint64_t)V);
  return t;
}

/* Loss and gradients of one step of the single-process method. */
static float step(hc_params *p, const int *batch, int b, int s) {
  hc_method m;
  hc_model md;
  hc_single_method(&m, p, b, s);
  hc_model_init(&md, &m);
  hc_params_zero_grads(p);
  float loss = hc_model_forward(&md, batch);
  hc_model_backward(&md);
  hc_model_free(&md);
  hc_single_free(&m);
  return loss;
}

static const float *tensor(const hc_params *p, size_t t) { return p->params + p->tensors[t].offset; }

static void test_descriptor(void) {
  hc_model_config c = with_lora("wq,wv,w2", 4, 8);
  size_t base = hc_param_num_base(&c);
  CU_ASSERT_EQUAL(hc_param_num_tensors(&c), base + 2 * 3 * 2);
  hc_param_spec s;
  hc_param_spec_get(&c, hc_lora_index(&c, HC_P_WV, 1, 0), &s);
  CU_ASSERT_STRING_EQUAL(s.name, "layers.1.attention.wv.lora_a");
  CU_ASSERT(s.shape[0] == 4 && s.shape[1] == 32 && !s.frozen && !s.init_zero);
  hc_param_spec_get(&c, hc_lora_index(&c, HC_P_W2, 0, 1), &s);
  CU_ASSERT_STRING_EQUAL(s.name, "layers.0.feed_forward.w2.lora_b");
  CU_ASSERT(s.shape[0] == 32 && s.shape[1] == 4 && s.init_zero && s.target == HC_P_W2);
  hc_param_spec_get(&c, hc_param_index(&c, HC_P_W1, 0), &s);
  CU_ASSERT(s.frozen);
  /* trained floats: the adapters only */
  size_t want = 2 * (4 * 32 + 32 * 4) + 2 * (4 * 32 + 16 * 4) + 2 * (4 * 48 + 32 * 4);
  CU_ASSERT_EQUAL(hc_param_count_trained(&c), want);
  hc_params p;
  hc_params_alloc(&p, &c);
  CU_ASSERT_EQUAL(p.n_train, want);
  CU_ASSERT_EQUAL(p.n_params, hc_param_count(&c));
  hc_params_free(&p);
  unsigned mask;
  CU_ASSERT_EQUAL(hc_lora_parse_targets("wq,bogus", &mask), -1);
  CU_ASSERT_EQUAL(hc_lora_parse_targets("", &mask), -1);
}

/* The adapted model against the plain one with merged weights. */
static void test_against_merged(void) {
  const int b = 2, s = 8, r = 3;
  const double alpha = 6, sc = alpha / r;
  hc_model_config cl = with_lora("all", r, alpha), cb = small();
  hc_params pl, pb;
  hc_params_alloc(&pl, &cl);
  hc_params_init(&pl, 7);
  hc_params_randomize_lora_b(&pl, 7); /* else dA = 0 */
  hc_params_alloc(&pb, &cb);
  memcpy(pb.params, pl.params, pb.n_params * sizeof(float)); /* the base tensors come first */
  const hc_param_kind kinds[] = {HC_P_WQ, HC_P_WK, HC_P_WV, HC_P_WO, HC_P_W1, HC_P_W2, HC_P_W3};
  for (int l = 0; l < cl.n_layers; l++)
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
      const hc_tensor *w = &pb.tensors[hc_param_index(&cb, kinds[k], l)];
      const float *A = tensor(&pl, hc_lora_index(&cl, kinds[k], l, 0));
      const float *B = tensor(&pl, hc_lora_index(&cl, kinds[k], l, 1));
      size_t O = w->spec.shape[0], I = w->spec.shape[1];
      for (size_t o = 0; o < O; o++)
        for (size_t i = 0; i < I; i++) {
          double acc = pb.params[w->offset + o * I + i];
          for (int q = 0; q < r; q++) acc += sc * (double)B[o * r + q] * A[q * I + i];
          pb.params[w->offset + o * I + i] = (float)acc;
        }
    }
  int *batch = batch_of(b, s, cl.vocab_size);
  float ll = step(&pl, batch, b, s), lb = step(&pb, batch, b, s);
  if (fabsf(ll - lb) > 1e-5f * fabsf(lb)) fprintf(stderr, "\nloss: LoRA %.8g, merged %.8g\n", ll, lb);
  CU_ASSERT(fabsf(ll - lb) <= 1e-5f * fabsf(lb));
  for (int l = 0; l < cl.n_layers; l++)
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
      const hc_tensor *w = &pb.tensors[hc_param_index(&cb, kinds[k], l)];
      const hc_tensor *ta = &pl.tensors[hc_lora_index(&cl, kinds[k], l, 0)];
      const hc_tensor *tb = &pl.tensors[hc_lora_index(&cl, kinds[k], l, 1)];
      const float *A = tensor(&pl, hc_lora_index(&cl, kinds[k], l, 0));
      const float *B = tensor(&pl, hc_lora_index(&cl, kinds[k], l, 1));
      const float *dW = pb.grads + w->goff;
      size_t O = w->spec.shape[0], I = w->spec.shape[1];
      float *wa = hc_calloc((size_t)r * I, sizeof(float)), *wb = hc_calloc(O * (size_t)r, sizeof(float));
      for (int q = 0; q < r; q++)
        for (size_t i = 0; i < I; i++) {
          double acc = 0;
          for (size_t o = 0; o < O; o++) acc += (double)B[o * r + q] * dW[o * I + i];
          wa[q * I + i] = (float)(sc * acc);
        }
      for (size_t o = 0; o < O; o++)
        for (int q = 0; q < r; q++) {
          double acc = 0;
          for (size_t i = 0; i < I; i++) acc += (double)dW[o * I + i] * A[q * I + i];
          wb[o * r + q] = (float)(sc * acc);
        }
      float amax = 0, bmax = 0;
      for (size_t e = 0; e < ta->numel; e++) amax = fmaxf(amax, fabsf(wa[e]));
      for (size_t e = 0; e < tb->numel; e++) bmax = fmaxf(bmax, fabsf(wb[e]));
      HC_EXPECT_CLOSE(ta->spec.name, pl.grads + ta->goff, wa, ta->numel, 1e-5 * amax, 1e-4);
      HC_EXPECT_CLOSE(tb->spec.name, pl.grads + tb->goff, wb, tb->numel, 1e-5 * bmax, 1e-4);
      CU_ASSERT(amax > 0 && bmax > 0); /* the check compares something */
      free(wa), free(wb);
    }
  free(batch);
  hc_params_free(&pl);
  hc_params_free(&pb);
}

/* AdamW moves the adapters and leaves every base tensor as it was. */
static void test_base_frozen(void) {
  hc_model_config c = with_lora("wq,wk", 2, 4);
  hc_params p;
  hc_params_alloc(&p, &c);
  hc_params_init(&p, 3);
  float *before = hc_malloc(p.n_params * sizeof(float));
  memcpy(before, p.params, p.n_params * sizeof(float));
  int *batch = batch_of(2, 8, c.vocab_size);
  step(&p, batch, 2, 8);
  hc_adamw opt = {0.9, 0.95, 1e-8, 0.1};
  hc_adamw_step(&p, &opt, 1e-2f, 1);
  size_t moved_base = 0, moved_b = 0;
  for (size_t t = 0; t < p.n_tensors; t++) {
    const hc_tensor *x = &p.tensors[t];
    size_t moved = 0;
    for (size_t e = 0; e < x->numel; e++) moved += p.params[x->offset + e] != before[x->offset + e];
    if (x->spec.frozen) moved_base += moved;
    if (x->spec.kind == HC_P_LORA_B) moved_b += moved;
    CU_ASSERT_EQUAL(x->goff == HC_FROZEN, x->spec.frozen);
  }
  if (moved_base) fprintf(stderr, "\n%zu elements of the frozen base moved\n", moved_base);
  CU_ASSERT_EQUAL(moved_base, 0);
  CU_ASSERT(moved_b > 0); /* B starts at zero; its gradient is not */
  free(before), free(batch);
  hc_params_free(&p);
}

int main(void) {
  const hc_test tests[] = {
      {"adapters in the descriptor, frozen base, trained count", test_descriptor},
      {"loss and adapter gradients = the merged model's", test_against_merged},
      {"AdamW leaves the frozen base unchanged", test_base_frozen},
  };
  return hc_unit_main("lora", tests, sizeof tests / sizeof tests[0]);
}
