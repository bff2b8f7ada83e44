/* params.h: the model's parameter tensors, named and shaped as Meta's
 * Llama model.py (DESIGN.md section 6), and the four contiguous buffers
 * (params, grads, Adam m, Adam v) that hold them.
 *
 * Two levels, so that a sharded caller can reuse the first:
 *  - the descriptor: tensor `index` (state-dict order: tok_embeddings, then
 *    per layer attention_norm, wq, wk, wv, wo, ffn_norm, w1, w2, w3, then
 *    norm, output) -> name, kind, layer, global shape, weight-decay flag,
 *    initialisation. Needs no memory, so it works for 405B shapes.
 *  - hc_params: every tensor of the descriptor laid end to end at an
 *    offset in each buffer; the optimizer, zeroing, checkpoint I/O and
 *    gradient comparison are each one loop over the table.
 * Linear weights are (out_features, in_features), row-major. */
#ifndef HECATON_PARAMS_H
#define HECATON_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "hecaton/model_config.h"

typedef enum {
  HC_P_TOK_EMBEDDINGS, /* (V, h) */
  HC_P_ATTENTION_NORM, /* (h), per layer from here ... */
  HC_P_WQ,             /* (h, h) */
  HC_P_WK,             /* (h_kv, h), h_kv = n_kv * d */
  HC_P_WV,             /* (h_kv, h) */
  HC_P_WO,             /* (h, h) */
  HC_P_FFN_NORM,       /* (h) */
  HC_P_W1,             /* (f, h) gate */
  HC_P_W2,             /* (h, f) down */
  HC_P_W3,             /* (f, h) up ... to here */
  HC_P_NORM,           /* (h) final norm */
  HC_P_OUTPUT,         /* (V, h) LM head */
  HC_P_NKINDS,         /* the base model's kinds end here */
  HC_P_LORA_A = HC_P_NKINDS, /* (r, in) of its target linear (spec.target) */
  HC_P_LORA_B                /* (out, r) */
} hc_param_kind;

#define HC_LAYER_TENSORS 9 /* HC_P_ATTENTION_NORM .. HC_P_W3 */
#define HC_PARAM_NAMELEN 64

typedef struct {
  char name[HC_PARAM_NAMELEN]; /* "layers.3.attention.wq.weight" */
  hc_param_kind kind;
  int layer;       /* 0..L-1, or -1 outside the layers */
  int ndim;        /* 1 (norm gains) or 2 (linear / embedding) */
  size_t shape[2]; /* global; shape[1] == 1 when ndim == 1 */
  size_t numel;
  int decay;       /* AdamW weight decay applies (2-D tensors only) */
  float init_std;  /* N(0, init_std^2); 0 means all ones (norm gains) ... */
  int init_zero;   /* ... unless this is set: all zeros (LoRA's B) */
  int frozen;      /* not trained (the base model under LoRA): no gradient,
                      no optimizer state */
  hc_param_kind target; /* adapters: the linear they adapt (else = kind) */
} hc_param_spec;

/* ---- descriptor --------------------------------------------------------- */
size_t hc_param_num_tensors(const hc_model_config *cfg); /* 3 + 9 L (+ adapters) */
/* The base model's tensors come first, then, under LoRA, per layer and per
 * target kind in kind order: A, then B. */
size_t hc_param_num_base(const hc_model_config *cfg); /* 3 + 9 L */
/* Is `kind` a LoRA target of cfg? (0 without LoRA.) */
int hc_lora_targets(const hc_model_config *cfg, hc_param_kind kind);
/* Index of the adapter A (b = 0) or B (b = 1) of target `kind` in `layer`. */
size_t hc_lora_index(const hc_model_config *cfg, hc_param_kind kind, int layer, int b);
/* Parse "wq,wk,wv,wo,w1,w2,w3" (any subset, "all" for every one) into a
 * target mask; -1 on an unknown name. */
int hc_lora_parse_targets(const char *list, unsigned *mask);
/* Trainable floats of the model (adapters only under LoRA). */
size_t hc_param_count_trained(const hc_model_config *cfg);
void hc_param_spec_get(const hc_model_config *cfg, size_t index, hc_param_spec *spec);
/* Index of a kind in a layer (layer ignored for the three global tensors). */
size_t hc_param_index(const hc_model_config *cfg, hc_param_kind kind, int layer);
/* Total parameter count, summed over the descriptor (no allocation). */
size_t hc_param_count(const hc_model_config *cfg);

/* Initialise elements [first, first + count) of the row-major flattening of
 * tensor `index` into dst[0 .. count). Element e of tensor `index` depends
 * only on (seed, index, e): a sharded caller that fills its block one row
 * segment at a time gets exactly the single-process weights. Normals:
 * N(0, 0.02), wo and w2 scaled by 1/sqrt(2 L) (GPT-2's residual-projection
 * rule); norm gains 1. */
void hc_param_init_range(float *dst, const hc_param_spec *spec, size_t index, uint64_t seed,
                         size_t first, size_t count);

/* ---- the contiguous buffers -------------------------------------------- */
/* A tensor as this chiplet holds it: the block rows [r0, r0+nr) x cols
 * [c0, c0+nc) of its global (rows, cols) shape (1-D tensors: cols = 1),
 * stored row-major. A single process holds every block whole. */
typedef struct {
  hc_param_spec spec;
  size_t offset;           /* of element 0 in params */
  size_t goff;             /* of element 0 in grads, m and v; HC_FROZEN when the
                              tensor is not trained (then it has none) */
  size_t r0, nr, c0, nc;   /* the block */
  size_t numel;            /* nr * nc: elements held here */
  int owner;               /* 1 on the one chiplet that writes the block to files and
                              counts it in the gradient norm (blocks held by several
                              chiplets, like norm gains, have one owner) */
} hc_tensor;

/* Where a sharded caller's block of tensor t lies:
 * out = {r0, nr, c0, nc, owner}. */
typedef void (*hc_shard_fn)(void *ctx, size_t t, const hc_param_spec *spec, size_t out[5]);
/* The whole tensor, owned (a single process). */
void hc_shard_whole(void *ctx, size_t t, const hc_param_spec *spec, size_t out[5]);

#define HC_FROZEN ((size_t)-1)

typedef struct {
  hc_model_config cfg;
  size_t n_tensors;
  hc_tensor *tensors; /* descriptor order */
  size_t n_params;    /* floats in params */
  size_t n_train;     /* floats in grads, m and v (= n_params unless some are frozen) */
  float *params, *grads, *m, *v;
} hc_params;

/* Build the table and allocate the four buffers, zero-filled. */
void hc_params_alloc(hc_params *p, const hc_model_config *cfg);
/* The same with each tensor reduced to this chiplet's block. With
 * buffers == 0 (dry-run) only the table is built: the buffer pointers stay
 * NULL and n_params still counts the floats a real run would hold. */
void hc_params_alloc_sharded(hc_params *p, const hc_model_config *cfg, hc_shard_fn shard,
                             void *ctx, int buffers);
void hc_params_free(hc_params *p);
/* Fill params from the seed (see hc_param_init_range), block by block, so a
 * shard holds exactly the single-process values; m, v untouched. */
void hc_params_init(hc_params *p, uint64_t seed);
void hc_params_zero_grads(hc_params *p);
/* Give LoRA's B adapters N(0, 0.02^2) values from the seed instead of
 * zeros (checks: with B = 0 the gradient of A is zero). */
void hc_params_randomize_lora_b(hc_params *p, uint64_t seed);
/* The tensor of that name, or NULL. */
const hc_tensor *hc_params_find(const hc_params *p, const char *name);

/* Tensor x in one of the four buffers: its params, or its grads, m or v
 * (NULL for a frozen tensor, or with no buffers). */
static inline float *hc_tensor_in(const hc_params *p, const float *buf, const hc_tensor *x) {
  if (!buf) return NULL;
  if (buf == p->params) return p->params + x->offset;
  return x->goff == HC_FROZEN ? NULL : (float *)buf + x->goff;
}
/* Pointer to (kind, layer) in one of the buffers: p->params, p->grads, ... */
static inline float *hc_param_ptr(const hc_params *p, float *buf, hc_param_kind kind,
                                  int layer) {
  return hc_tensor_in(p, buf, &p->tensors[hc_param_index(&p->cfg, kind, layer)]);
}

#endif
