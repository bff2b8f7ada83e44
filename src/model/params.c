/* params.c: the parameter descriptor (names, global shapes, decay and
 * initialisation rules) and the four contiguous buffers built from it. */
#include "hecaton/params.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "hecaton/rng.h"
#include "hecaton/util.h"

/* Dimension symbols of DESIGN.md, resolved against a config. */
typedef enum { D_ONE, D_H, D_HKV, D_F, D_V } dim_sym;
typedef enum { INIT_NORMAL, INIT_RESIDUAL, INIT_ONES } init_rule;

typedef struct {
  hc_param_kind kind;
  const char *name; /* "%d" stands for the layer */
  dim_sym rows, cols;
  init_rule init;
} kind_desc;

/* The one place where a parameter's name, shape and init are defined. */
static const kind_desc kKinds[HC_P_NKINDS] = {
    {HC_P_TOK_EMBEDDINGS, "tok_embeddings.weight", D_V, D_H, INIT_NORMAL},
    {HC_P_ATTENTION_NORM, "layers.%d.attention_norm.weight", D_H, D_ONE, INIT_ONES},
    {HC_P_WQ, "layers.%d.attention.wq.weight", D_H, D_H, INIT_NORMAL},
    {HC_P_WK, "layers.%d.attention.wk.weight", D_HKV, D_H, INIT_NORMAL},
    {HC_P_WV, "layers.%d.attention.wv.weight", D_HKV, D_H, INIT_NORMAL},
    {HC_P_WO, "layers.%d.attention.wo.weight", D_H, D_H, INIT_RESIDUAL},
    {HC_P_FFN_NORM, "layers.%d.ffn_norm.weight", D_H, D_ONE, INIT_ONES},
    {HC_P_W1, "layers.%d.feed_forward.w1.weight", D_F, D_H, INIT_NORMAL},
    {HC_P_W2, "layers.%d.feed_forward.w2.weight", D_H, D_F, INIT_RESIDUAL},
    {HC_P_W3, "layers.%d.feed_forward.w3.weight", D_F, D_H, INIT_NORMAL},
    {HC_P_NORM, "norm.weight", D_H, D_ONE, INIT_ONES},
    {HC_P_OUTPUT, "output.weight", D_V, D_H, INIT_NORMAL},
};

#define INIT_STD 0.02

static size_t resolve(const hc_model_config *c, dim_sym d) {
  switch (d) {
    case D_ONE: return 1;
    case D_H: return (size_t)c->dim;
    case D_HKV: return (size_t)hc_model_kv_dim(c);
    case D_F: return (size_t)c->ffn_dim;
    case D_V: return (size_t)c->vocab_size;
  }
  return 0;
}

size_t hc_param_num_base(const hc_model_config *cfg) {
  return 3 + (size_t)HC_LAYER_TENSORS * (size_t)cfg->n_layers;
}

/* The linears LoRA can adapt, in kind order, and their names. */
static const struct {
  hc_param_kind kind;
  const char *name;
} kTargets[] = {{HC_P_WQ, "wq"}, {HC_P_WK, "wk"}, {HC_P_WV, "wv"}, {HC_P_WO, "wo"},
                {HC_P_W1, "w1"}, {HC_P_W2, "w2"}, {HC_P_W3, "w3"}};
#define N_TARGETS (sizeof kTargets / sizeof kTargets[0])

int hc_lora_targets(const hc_model_config *cfg, hc_param_kind kind) {
  return cfg->lora_rank > 0 && kind < HC_P_NKINDS && (cfg->lora_targets >> kind & 1u);
}

static size_t n_targets(const hc_model_config *cfg) {
  size_t n = 0;
  for (size_t j = 0; j < N_TARGETS; j++) n += (size_t)hc_lora_targets(cfg, kTargets[j].kind);
  return n;
}

int hc_lora_parse_targets(const char *list, unsigned *mask) {
  *mask = 0;
  if (!strcmp(list, "all")) {
    for (size_t j = 0; j < N_TARGETS; j++) *mask |= 1u << kTargets[j].kind;
    return 0;
  }
  const char *s = list;
  while (*s) {
    size_t len = strcspn(s, ",");
    size_t j = 0;
    while (j < N_TARGETS && !(strlen(kTargets[j].name) == len && !strncmp(s, kTargets[j].name, len)))
      j++;
    if (j == N_TARGETS) return -1;
    *mask |= 1u << kTargets[j].kind;
    s += len;
    if (*s == ',') s++;
  }
  return *mask ? 0 : -1;
}

size_t hc_param_num_tensors(const hc_model_config *cfg) {
  return hc_param_num_base(cfg) + 2 * n_targets(cfg) * (size_t)cfg->n_layers;
}

size_t hc_lora_index(const hc_model_config *cfg, hc_param_kind kind, int layer, int b) {
  HC_ASSERT(hc_lora_targets(cfg, kind) && layer >= 0 && layer < cfg->n_layers);
  size_t j = 0;
  for (size_t k = 0; k < N_TARGETS && kTargets[k].kind != kind; k++)
    j += (size_t)hc_lora_targets(cfg, kTargets[k].kind);
  return hc_param_num_base(cfg) + 2 * ((size_t)layer * n_targets(cfg) + j) + (size_t)b;
}

/* Adapter `index` (past the base tensors): A (r, in) ~ N(0, 1/(3 in)), the
 * variance of PyTorch's default Kaiming-uniform init of a linear's weight
 * as PEFT uses it; B (out, r) zero, so training starts at the base model. */
static void lora_spec(const hc_model_config *cfg, size_t index, hc_param_spec *s) {
  size_t a = index - hc_param_num_base(cfg), per = 2 * n_targets(cfg);
  int layer = (int)(a / per), b = (int)(a % per % 2);
  size_t j = a % per / 2, k = 0;
  while (!hc_lora_targets(cfg, kTargets[k].kind) || j--) k++;
  hc_param_spec base;
  hc_param_spec_get(cfg, hc_param_index(cfg, kTargets[k].kind, layer), &base);
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%.*s.lora_%c", (int)(strlen(base.name) - strlen(".weight")),
           base.name, b ? 'b' : 'a');
  s->kind = b ? HC_P_LORA_B : HC_P_LORA_A;
  s->target = base.kind;
  s->layer = layer;
  s->ndim = 2;
  size_t r = (size_t)cfg->lora_rank;
  s->shape[0] = b ? base.shape[0] : r;
  s->shape[1] = b ? r : base.shape[1];
  s->numel = s->shape[0] * s->shape[1];
  s->decay = 1;
  s->init_std = (float)(1.0 / sqrt(3.0 * (double)base.shape[1]));
  s->init_zero = b;
}

size_t hc_param_index(const hc_model_config *cfg, hc_param_kind kind, int layer) {
  size_t L = (size_t)cfg->n_layers;
  switch (kind) {
    case HC_P_TOK_EMBEDDINGS: return 0;
    case HC_P_NORM: return 1 + HC_LAYER_TENSORS * L;
    case HC_P_OUTPUT: return 2 + HC_LAYER_TENSORS * L;
    default:
      HC_ASSERT(kind > HC_P_TOK_EMBEDDINGS && kind < HC_P_NORM);
      HC_ASSERT(layer >= 0 && layer < cfg->n_layers);
      return 1 + HC_LAYER_TENSORS * (size_t)layer + (size_t)(kind - HC_P_ATTENTION_NORM);
  }
}

void hc_param_spec_get(const hc_model_config *cfg, size_t index, hc_param_spec *s) {
  size_t n = hc_param_num_base(cfg);
  HC_ASSERT(index < hc_param_num_tensors(cfg));
  if (index >= n) {
    lora_spec(cfg, index, s);
    return;
  }
  hc_param_kind kind;
  int layer = -1;
  if (index == 0) kind = HC_P_TOK_EMBEDDINGS;
  else if (index == n - 2) kind = HC_P_NORM;
  else if (index == n - 1) kind = HC_P_OUTPUT;
  else {
    layer = (int)((index - 1) / HC_LAYER_TENSORS);
    kind = (hc_param_kind)(HC_P_ATTENTION_NORM + (index - 1) % HC_LAYER_TENSORS);
  }
  const kind_desc *d = &kKinds[kind];
  HC_ASSERT(d->kind == kind);
  memset(s, 0, sizeof *s);
  if (layer >= 0) snprintf(s->name, sizeof s->name, d->name, layer);
  else snprintf(s->name, sizeof s->name, "%s", d->name);
  s->kind = kind;
  s->target = kind;
  s->frozen = cfg->lora_rank > 0;
  s->layer = layer;
  s->ndim = d->cols == D_ONE ? 1 : 2;
  s->shape[0] = resolve(cfg, d->rows);
  s->shape[1] = resolve(cfg, d->cols);
  s->numel = s->shape[0] * s->shape[1];
  s->decay = s->ndim == 2; /* no decay on norm gains */
  switch (d->init) {
    case INIT_NORMAL: s->init_std = (float)INIT_STD; break;
    case INIT_RESIDUAL: s->init_std = (float)(INIT_STD / sqrt(2.0 * cfg->n_layers)); break;
    case INIT_ONES: s->init_std = 0.0f; break;
  }
}

size_t hc_param_count(const hc_model_config *cfg) {
  size_t total = 0, n = hc_param_num_tensors(cfg);
  hc_param_spec s;
  for (size_t t = 0; t < n; t++) {
    hc_param_spec_get(cfg, t, &s);
    total += s.numel;
  }
  return total;
}

size_t hc_param_count_trained(const hc_model_config *cfg) {
  size_t total = 0, n = hc_param_num_tensors(cfg);
  hc_param_spec s;
  for (size_t t = 0; t < n; t++) {
    hc_param_spec_get(cfg, t, &s);
    if (!s.frozen) total += s.numel;
  }
  return total;
}

void hc_param_init_range(float *dst, const hc_param_spec *s, size_t index, uint64_t seed,
                         size_t first, size_t count) {
  HC_ASSERT(first + count <= s->numel);
  if (s->init_zero) {
    memset(dst, 0, count * sizeof(float));
    return;
  }
  if (s->init_std == 0.0f) {
    for (size_t e = 0; e < count; e++) dst[e] = 1.0f;
    return;
  }
  /* One stream per tensor, started at a hash of (seed, index); element e
   * takes draws 2e and 2e+1, so any range can start anywhere. */
  hc_rng r;
  hc_rng_seed(&r, hc_mix64(seed ^ hc_mix64((uint64_t)index + 1)));
  hc_rng_skip(&r, 2 * (uint64_t)first);
  for (size_t e = 0; e < count; e++) dst[e] = (float)(s->init_std * hc_rng_normal(&r));
}

void hc_shard_whole(void *ctx, size_t t, const hc_param_spec *s, size_t out[5]) {
  (void)ctx, (void)t;
  out[0] = 0, out[1] = s->shape[0], out[2] = 0, out[3] = s->ndim == 2 ? s->shape[1] : 1;
  out[4] = 1;
}

void hc_params_alloc_sharded(hc_params *p, const hc_model_config *cfg, hc_shard_fn shard,
                             void *ctx, int buffers) {
  memset(p, 0, sizeof *p);
  p->cfg = *cfg;
  p->n_tensors = hc_param_num_tensors(cfg);
  p->tensors = hc_calloc(p->n_tensors, sizeof *p->tensors);
  size_t off = 0, goff = 0;
  for (size_t t = 0; t < p->n_tensors; t++) {
    hc_tensor *x = &p->tensors[t];
    hc_param_spec_get(cfg, t, &x->spec);
    size_t b[5];
    if (x->spec.kind >= HC_P_NKINDS) {
      /* Adapters follow their target's block W[r0:r0+nr, c0:c0+nc]: a
       * chiplet holds A[:, c0:c0+nc] and B[r0:r0+nr, :], the parts its
       * block computes with (lora.h). Of the chiplets holding the same
       * part, the target's owner with r0 = 0 (for A) or c0 = 0 (B) owns it. */
      const hc_tensor *w = &p->tensors[hc_param_index(cfg, x->spec.target, x->spec.layer)];
      size_t r = (size_t)cfg->lora_rank;
      int a = x->spec.kind == HC_P_LORA_A;
      b[0] = a ? 0 : w->r0, b[1] = a ? r : w->nr, b[2] = a ? w->c0 : 0, b[3] = a ? w->nc : r;
      b[4] = (size_t)(w->owner && (a ? w->r0 : w->c0) == 0);
    } else {
      shard(ctx, t, &x->spec, b);
    }
    size_t cols = x->spec.ndim == 2 ? x->spec.shape[1] : 1;
    HC_ASSERT(b[0] + b[1] <= x->spec.shape[0] && b[2] + b[3] <= cols);
    x->r0 = b[0], x->nr = b[1], x->c0 = b[2], x->nc = b[3];
    x->numel = b[1] * b[3];
    x->owner = (int)b[4];
    x->offset = off;
    off += x->numel;
    x->goff = x->spec.frozen ? HC_FROZEN : goff;
    if (!x->spec.frozen) goff += x->numel;
  }
  p->n_params = off;
  p->n_train = goff;
  if (buffers) {
    p->params = hc_calloc(off, sizeof(float));
    p->grads = hc_calloc(goff ? goff : 1, sizeof(float));
    p->m = hc_calloc(goff ? goff : 1, sizeof(float));
    p->v = hc_calloc(goff ? goff : 1, sizeof(float));
  }
}

void hc_params_alloc(hc_params *p, const hc_model_config *cfg) {
  hc_params_alloc_sharded(p, cfg, hc_shard_whole, NULL, 1);
}

void hc_params_free(hc_params *p) {
  free(p->tensors);
  free(p->params);
  free(p->grads);
  free(p->m);
  free(p->v);
  memset(p, 0, sizeof *p);
}

/* Tensor t's block from spec s, one row segment at a time. */
static void init_block(hc_params *p, size_t t, const hc_param_spec *s, uint64_t seed) {
  const hc_tensor *x = &p->tensors[t];
  size_t cols = s->ndim == 2 ? s->shape[1] : 1;
  for (size_t r = 0; r < x->nr; r++)
    hc_param_init_range(p->params + x->offset + r * x->nc, s, t, seed, (x->r0 + r) * cols + x->c0,
                        x->nc);
}

void hc_params_init(hc_params *p, uint64_t seed) {
  if (!p->params) return;
  for (size_t t = 0; t < p->n_tensors; t++) init_block(p, t, &p->tensors[t].spec, seed);
}

void hc_params_randomize_lora_b(hc_params *p, uint64_t seed) {
  if (!p->params) return;
  for (size_t t = 0; t < p->n_tensors; t++) {
    const hc_tensor *x = &p->tensors[t];
    if (x->spec.kind != HC_P_LORA_B) continue;
    hc_param_spec s = x->spec;
    s.init_zero = 0, s.init_std = (float)INIT_STD;
    init_block(p, t, &s, seed);
  }
}

void hc_params_zero_grads(hc_params *p) {
  if (p->grads) memset(p->grads, 0, p->n_train * sizeof(float));
}

const hc_tensor *hc_params_find(const hc_params *p, const char *name) {
  for (size_t t = 0; t < p->n_tensors; t++)
    if (!strcmp(p->tensors[t].spec.name, name)) return &p->tensors[t];
  return NULL;
}
