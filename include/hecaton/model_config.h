/* model_config.h: the shape of a Llama-family model, read from
 * models/<name>.ini, section [model] (DESIGN.md section 6), by the config
 * module (src/config/model.c); this header knows nothing of INI. Dimension names
 * follow DESIGN.md: h = dim, n_h = n_heads, n_kv = n_kv_heads,
 * d = h / n_h (head dim), f = ffn_dim, V = vocab_size. */
#ifndef HECATON_MODEL_CONFIG_H
#define HECATON_MODEL_CONFIG_H

#include <stddef.h>

#define HC_MODEL_NAME_LEN 64

typedef struct {
  int dim;         /* h */
  int n_layers;    /* L */
  int n_heads;     /* n_h query heads */
  int n_kv_heads;  /* n_kv key/value heads (GQA); n_kv == n_h is MHA */
  int ffn_dim;     /* f, SwiGLU hidden size */
  int vocab_size;  /* V */
  int max_seq_len; /* longest sequence RoPE and the data loader allow */
  double norm_eps;   /* RMSNorm epsilon */
  double rope_theta; /* RoPE base frequency */
  char name[HC_MODEL_NAME_LEN]; /* the file's base name without ".ini" */
  /* LoRA finetuning (set from the command line, not the INI): rank r > 0
   * freezes every base tensor and adds, for each target linear W (out, in)
   * of every layer, adapters A (r, in) and B (out, r); the layer then
   * computes with W + (alpha / r) B A. lora_targets: a bit (1u << kind) per
   * targeted hc_param_kind (wq, wk, wv, wo, w1, w2, w3). */
  int lora_rank;
  double lora_alpha;
  unsigned lora_targets;
} hc_model_config;

/* Load and validate `path`. Every key of [model] is required. After
 * loading: dim % n_heads == 0, n_kv_heads <= n_heads, n_heads % n_kv_heads
 * == 0, head dim even (RoPE rotates pairs), at most 2^40 parameters. Returns 0, or -1 with a message in err that names
 * the file and the key or the rule broken. */
int hc_model_config_load(const char *path, hc_model_config *cfg, char *err, size_t errlen);

/* The rules above on a config built in code (tests, sharded callers);
 * `source` names where it came from in the message. */
int hc_model_config_validate(const hc_model_config *cfg, const char *source, char *err,
                             size_t errlen);

/* Does a real (not dry-run) run's state fit this machine? Parameters,
 * gradients and Adam m and v take 16 bytes a parameter over all ranks
 * together; -1 with the sizes in err when they exceed the physical memory. */
int hc_model_fits_memory(const hc_model_config *cfg, char *err, size_t errlen);

static inline int hc_model_head_dim(const hc_model_config *c) { return c->dim / c->n_heads; }
static inline int hc_model_kv_dim(const hc_model_config *c) {
  return c->n_kv_heads * (c->dim / c->n_heads);
}

#endif
