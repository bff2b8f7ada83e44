/* model.c: models/<name>.ini through the INI table, then the shape rules
 * that the kernels rely on. */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include "hecaton/model_config.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "hecaton/ini.h"
#include "hecaton/util.h"

_Static_assert(HC_INI_STRLEN <= HC_MODEL_NAME_LEN, "a model name from the INI file fits the config");

#define R HC_KEY_REQUIRED
static const hc_ini_key kModelKeys[] = {
    {"model", "dim", HC_KEY_INT, offsetof(hc_model_config, dim), R},
    {"model", "n_layers", HC_KEY_INT, offsetof(hc_model_config, n_layers), R},
    {"model", "n_heads", HC_KEY_INT, offsetof(hc_model_config, n_heads), R},
    {"model", "n_kv_heads", HC_KEY_INT, offsetof(hc_model_config, n_kv_heads), R},
    {"model", "ffn_dim", HC_KEY_INT, offsetof(hc_model_config, ffn_dim), R},
    {"model", "vocab_size", HC_KEY_INT, offsetof(hc_model_config, vocab_size), R},
    {"model", "max_seq_len", HC_KEY_INT, offsetof(hc_model_config, max_seq_len), R},
    {"model", "norm_eps", HC_KEY_DOUBLE, offsetof(hc_model_config, norm_eps), R},
    {"model", "rope_theta", HC_KEY_DOUBLE, offsetof(hc_model_config, rope_theta), R},
};
#undef R

/* The parameter count of the descriptor (params.c), in double: no overflow
 * however large the dimensions (after the shape rules hold). */
static double param_count(const hc_model_config *c) {
  double h = c->dim, kv = (double)c->n_kv_heads * (c->dim / c->n_heads), f = c->ffn_dim;
  return 2.0 * c->vocab_size * h + h + c->n_layers * (2 * h + 2 * h * h + 2 * kv * h + 3 * f * h);
}

int hc_model_config_validate(const hc_model_config *c, const char *source, char *err,
                             size_t errlen) {
  if (c->dim <= 0 || c->n_layers <= 0 || c->n_heads <= 0 || c->n_kv_heads <= 0 ||
      c->ffn_dim <= 0 || c->vocab_size <= 0 || c->max_seq_len <= 0)
    return hc_err(err, errlen, "%s: every dimension must be a positive integer", source);
  if (!(c->norm_eps > 0) || !(c->rope_theta > 0))
    return hc_err(err, errlen, "%s: norm_eps and rope_theta must be positive", source);
  if (c->dim % c->n_heads)
    return hc_err(err, errlen,
                  "%s: dim %d is not divisible by n_heads %d (rule: dim %% n_heads == 0)",
                  source, c->dim, c->n_heads);
  if (c->n_kv_heads > c->n_heads)
    return hc_err(err, errlen,
                  "%s: n_kv_heads %d is more than n_heads %d (rule: each KV head serves a "
                  "group of query heads)",
                  source, c->n_kv_heads, c->n_heads);
  if (c->n_heads % c->n_kv_heads)
    return hc_err(err, errlen,
                  "%s: n_heads %d is not a multiple of n_kv_heads %d "
                  "(rule: n_heads %% n_kv_heads == 0, GQA groups)",
                  source, c->n_heads, c->n_kv_heads);
  if ((c->dim / c->n_heads) % 2)
    return hc_err(err, errlen,
                  "%s: head dim dim/n_heads = %d is odd (rule: head dim even, RoPE "
                  "rotates pairs)",
                  source, c->dim / c->n_heads);
  /* A huge dimension must be refused, not wrap size_t and reach an
   * allocation. 2^40 is well above the largest shipped model (llama3.1-405b). */
  double n = param_count(c);
  if (n > 1099511627776.0)
    return hc_err(err, errlen, "%s: %.3g parameters, more than 2^40 (dimensions too large?)", source,
                  n);
  return 0;
}

int hc_model_config_load(const char *path, hc_model_config *cfg, char *err, size_t errlen) {
  memset(cfg, 0, sizeof *cfg);
  if (hc_ini_load(path, kModelKeys, sizeof kModelKeys / sizeof kModelKeys[0], cfg, err,
                  errlen))
    return -1;
  /* name = base name without ".ini": "models/llama2-7b.ini" -> "llama2-7b". */
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 4 && !strcmp(base + n - 4, ".ini")) n -= 4;
  if (n >= sizeof cfg->name) n = sizeof cfg->name - 1;
  memcpy(cfg->name, base, n);
  cfg->name[n] = '\0';
  return hc_model_config_validate(cfg, path, err, errlen);
}

int hc_model_fits_memory(const hc_model_config *c, char *err, size_t errlen) {
  double n = param_count(c);
  double need = 16 * n, have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGE_SIZE);
  if (have > 0 && need > have)
    return hc_err(err, errlen,
                  "model %s: %.3g parameters need %.3g GB for weights, gradients and Adam state; "
                  "this machine has %.3g GB (cost it with --dry-run instead)",
                  c->name, n, need / 1e9, have / 1e9);
  return 0;
}
