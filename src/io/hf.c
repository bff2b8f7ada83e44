/* hf.c: Hugging Face Llama folders (config.json, safetensors) to and from
 * the parameter table: the config, the name map, the q/k row permutation,
 * block-wise import, row-parallel export, and train --init's dispatch. */
#define _POSIX_C_SOURCE 200809L /* fdatasync, strdup */
#define _FILE_OFFSET_BITS 64
#include "hecaton/hf.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hecaton/checkpoint.h"
#include "hecaton/util.h"

/* ---- config.json ---------------------------------------------------------------- */
/* A positive integer key: 0; -1 (with the message) if missing and
 * required, or not a positive integer that fits an int. */
static int json_int(const cJSON *j, const char *key, int required, int *out, const char *path,
                    char *err, size_t errlen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
  if (!v || cJSON_IsNull(v)) {
    if (!required) return 0;
    return hc_err(err, errlen, "%s: required key \"%s\" missing", path, key);
  }
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
      v->valuedouble > 1073741824.0)
    return hc_err(err, errlen, "%s: \"%s\" must be a positive integer (at most 2^30)", path, key);
  *out = (int)v->valuedouble;
  return 0;
}

static int json_pos(const cJSON *j, const char *key, int required, double *out, const char *path,
                    char *err, size_t errlen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
  if (!v || cJSON_IsNull(v)) {
    if (!required) return 0;
    return hc_err(err, errlen, "%s: required key \"%s\" missing", path, key);
  }
  if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || !isfinite(v->valuedouble))
    return hc_err(err, errlen, "%s: \"%s\" must be a positive number", path, key);
  *out = v->valuedouble;
  return 0;
}

/* What hecaton's Llama cannot compute is refused, not silently ignored. */
static int check_supported(const cJSON *j, const char *path, char *err, size_t errlen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "model_type");
  if (v && !(cJSON_IsString(v) && !strcmp(v->valuestring, "llama")))
    return hc_err(err, errlen, "%s: model_type is not \"llama\"", path);
  v = cJSON_GetObjectItemCaseSensitive(j, "hidden_act");
  if (v && !(cJSON_IsString(v) && !strcmp(v->valuestring, "silu")))
    return hc_err(err, errlen, "%s: hidden_act is not \"silu\" (hecaton's FFN is SwiGLU)", path);
  v = cJSON_GetObjectItemCaseSensitive(j, "rope_scaling");
  if (v && !cJSON_IsNull(v))
    return hc_err(err, errlen, "%s: rope_scaling is set; hecaton's RoPE has no scaling (the "
                  "logits would differ)", path);
  const char *bias[] = {"attention_bias", "mlp_bias"};
  for (int k = 0; k < 2; k++) {
    v = cJSON_GetObjectItemCaseSensitive(j, bias[k]);
    if (cJSON_IsTrue(v))
      return hc_err(err, errlen, "%s: %s is true; hecaton's linears have no bias", path, bias[k]);
  }
  return 0;
}

int hc_hf_config_load(const char *dir, hc_model_config *cfg, int *tied, char *err, size_t errlen) {
  memset(cfg, 0, sizeof *cfg);
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  char *text = hc_read_file(path, NULL);
  if (!text) return hc_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithOpts(text, &end, 1);
  int rc = 0;
  if (!j || !cJSON_IsObject(j))
    rc = hc_err(err, errlen, "%s: malformed JSON (at byte %td)", path, end ? end - text : 0);
  if (!rc) rc = check_supported(j, path, err, errlen);
  if (!rc) rc = json_int(j, "hidden_size", 1, &cfg->dim, path, err, errlen);
  if (!rc) rc = json_int(j, "intermediate_size", 1, &cfg->ffn_dim, path, err, errlen);
  if (!rc) rc = json_int(j, "num_hidden_layers", 1, &cfg->n_layers, path, err, errlen);
  if (!rc) rc = json_int(j, "num_attention_heads", 1, &cfg->n_heads, path, err, errlen);
  cfg->n_kv_heads = cfg->n_heads; /* LlamaConfig's default: MHA */
  if (!rc) rc = json_int(j, "num_key_value_heads", 0, &cfg->n_kv_heads, path, err, errlen);
  if (!rc) rc = json_int(j, "vocab_size", 1, &cfg->vocab_size, path, err, errlen);
  if (!rc) rc = json_int(j, "max_position_embeddings", 1, &cfg->max_seq_len, path, err, errlen);
  if (!rc) rc = json_pos(j, "rms_norm_eps", 1, &cfg->norm_eps, path, err, errlen);
  cfg->rope_theta = 10000.0;
  if (!rc) rc = json_pos(j, "rope_theta", 0, &cfg->rope_theta, path, err, errlen);
  int head_dim = 0;
  if (!rc) rc = json_int(j, "head_dim", 0, &head_dim, path, err, errlen);
  if (!rc && head_dim && (long)head_dim * cfg->n_heads != cfg->dim)
    rc = hc_err(err, errlen, "%s: head_dim %d is not hidden_size / num_attention_heads = %d / %d",
                path, head_dim, cfg->dim, cfg->n_heads);
  const cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "tie_word_embeddings") : NULL;
  if (!rc && t && !cJSON_IsBool(t))
    rc = hc_err(err, errlen, "%s: \"tie_word_embeddings\" must be true or false", path);
  *tied = cJSON_IsTrue(t); /* LlamaConfig's default: false */
  cJSON_Delete(j);
  free(text);
  if (rc) return rc;
  /* name: the folder's base name */
  char base[4096];
  snprintf(base, sizeof base, "%s", dir);
  size_t n = strlen(base);
  while (n > 1 && base[n - 1] == '/') base[--n] = '\0';
  const char *b = strrchr(base, '/');
  b = b ? b + 1 : base;
  size_t len = strlen(b) < sizeof cfg->name ? strlen(b) : sizeof cfg->name - 1;
  memcpy(cfg->name, b, len);
  cfg->name[len] = '\0';
  return hc_model_config_validate(cfg, path, err, errlen);
}

int hc_model_config_same(const hc_model_config *a, const hc_model_config *b, const char *an,
                         const char *bn, char *err, size_t errlen) {
  const struct { const char *key; long long x, y; } ints[] = {
      {"dim", a->dim, b->dim}, {"n_layers", a->n_layers, b->n_layers},
      {"n_heads", a->n_heads, b->n_heads}, {"n_kv_heads", a->n_kv_heads, b->n_kv_heads},
      {"ffn_dim", a->ffn_dim, b->ffn_dim}, {"vocab_size", a->vocab_size, b->vocab_size},
      {"max_seq_len", a->max_seq_len, b->max_seq_len}};
  for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
    if (ints[k].x != ints[k].y)
      return hc_err(err, errlen, "%s and %s describe different models: %s %lld vs %lld", an, bn,
                    ints[k].key, ints[k].x, ints[k].y);
  if (a->norm_eps != b->norm_eps || a->rope_theta != b->rope_theta)
    return hc_err(err, errlen, "%s and %s describe different models: norm_eps %g vs %g, "
                  "rope_theta %g vs %g", an, bn, a->norm_eps, b->norm_eps, a->rope_theta,
                  b->rope_theta);
  return 0;
}

/* ---- names and the q/k row permutation --------------------------------------------- */
static const char *const kHfNames[HC_P_NKINDS] = {
    [HC_P_TOK_EMBEDDINGS] = "model.embed_tokens.weight",
    [HC_P_ATTENTION_NORM] = "model.layers.%d.input_layernorm.weight",
    [HC_P_WQ] = "model.layers.%d.self_attn.q_proj.weight",
    [HC_P_WK] = "model.layers.%d.self_attn.k_proj.weight",
    [HC_P_WV] = "model.layers.%d.self_attn.v_proj.weight",
    [HC_P_WO] = "model.layers.%d.self_attn.o_proj.weight",
    [HC_P_FFN_NORM] = "model.layers.%d.post_attention_layernorm.weight",
    [HC_P_W1] = "model.layers.%d.mlp.gate_proj.weight",
    [HC_P_W2] = "model.layers.%d.mlp.down_proj.weight",
    [HC_P_W3] = "model.layers.%d.mlp.up_proj.weight",
    [HC_P_NORM] = "model.norm.weight",
    [HC_P_OUTPUT] = "lm_head.weight",
};

/* The Hugging Face name of a base tensor; 0, or -1 for a tensor with no
 * counterpart (not a base kind). */
static int hf_name(const hc_param_spec *s, char *buf, size_t len) {
  if ((int)s->kind < 0 || s->kind >= HC_P_NKINDS) return -1;
  snprintf(buf, len, kHfNames[s->kind], s->layer);
  return 0;
}

/* Rows of q_proj and k_proj are permuted per head (head dim d); other
 * tensors keep their rows. */
static size_t hf_row(const hc_model_config *c, hc_param_kind kind, size_t r) {
  if (kind != HC_P_WQ && kind != HC_P_WK) return r;
  size_t d = (size_t)hc_model_head_dim(c), j = r % d;
  return r - j + (j % 2) * (d / 2) + j / 2;
}

/* ---- import ------------------------------------------------------------------------ */
static void fmt_dims(char *buf, size_t len, const size_t *shape, int ndim) {
  if (ndim == 2) snprintf(buf, len, "[%zu, %zu]", shape[0], shape[1]);
  else if (ndim == 1) snprintf(buf, len, "[%zu]", shape[0]);
  else snprintf(buf, len, "(%d dimensions)", ndim);
}

/* The safetensors tensor that holds table tensor x, checked. */
static int find_source(const hc_st_set *set, const char *dir, const hc_tensor *x, int tied,
                       const hc_st_tensor **out, char *err, size_t errlen) {
  char name[128];
  hf_name(&x->spec, name, sizeof name);
  const hc_st_tensor *t = hc_st_find(set, name);
  if (!t && x->spec.kind == HC_P_OUTPUT) {
    if (!tied)
      return hc_err(err, errlen, "%s: no lm_head.weight and config.json's tie_word_embeddings is "
                    "false", dir);
    t = hc_st_find(set, kHfNames[HC_P_TOK_EMBEDDINGS]); /* tied: the embedding, copied */
    snprintf(name, sizeof name, "%s", kHfNames[HC_P_TOK_EMBEDDINGS]);
  }
  if (!t) return hc_err(err, errlen, "%s: no tensor %s in the safetensors files", dir, name);
  const hc_param_spec *s = &x->spec;
  if (t->ndim != s->ndim || t->shape[0] != s->shape[0] || (s->ndim == 2 && t->shape[1] != s->shape[1])) {
    char got[64], want[64];
    fmt_dims(got, sizeof got, t->shape, t->ndim);
    fmt_dims(want, sizeof want, s->shape, s->ndim);
    return hc_err(err, errlen, "%s: config.json disagrees with the weights: %s is %s in %s, "
                  "config.json implies %s", dir, name, got, set->paths[t->file], want);
  }
  if (t->dtype == HC_ST_OTHER)
    return hc_err(err, errlen, "%s: tensor %s has dtype %s: hecaton reads F32, F16 and BF16",
                  set->paths[t->file], name, t->dtype_name);
  *out = t;
  return 0;
}

/* This rank's block of x: whole consecutive rows in one read when their
 * order is kept, else one read per row segment. */
static int read_block(const hc_st_set *set, const hc_model_config *c, const hc_tensor *x,
                      const hc_st_tensor *t, float *dst, char *err, size_t errlen) {
  size_t cols = x->spec.ndim == 2 ? x->spec.shape[1] : 1;
  int permuted = x->spec.kind == HC_P_WQ || x->spec.kind == HC_P_WK;
  if (!permuted && x->nc == cols)
    return hc_st_read(set, t, (uint64_t)x->r0 * cols, x->nr * cols, dst, err, errlen);
  for (size_t a = 0; a < x->nr; a++) {
    uint64_t first = (uint64_t)hf_row(c, x->spec.kind, x->r0 + a) * cols + x->c0;
    if (hc_st_read(set, t, first, x->nc, dst + a * x->nc, err, errlen)) return -1;
  }
  return 0;
}

int hc_hf_load(const char *dir, hc_params *local, char *err, size_t errlen) {
  hc_model_config cfg;
  int tied;
  if (hc_hf_config_load(dir, &cfg, &tied, err, errlen)) return -1;
  hc_st_set set;
  if (hc_st_open_dir(&set, dir, err, errlen)) return -1;
  int rc = 0;
  /* every shape first: a mismatch is found before any byte is read */
  const hc_st_tensor **src = hc_calloc(local->n_tensors + 1, sizeof *src);
  for (size_t k = 0; k < local->n_tensors && !rc; k++)
    if (local->tensors[k].spec.kind < HC_P_NKINDS)
      rc = find_source(&set, dir, &local->tensors[k], tied, &src[k], err, errlen);
  for (size_t k = 0; k < local->n_tensors && !rc; k++) {
    const hc_tensor *x = &local->tensors[k];
    if (src[k] && x->numel > 0 && local->params)
      rc = read_block(&set, &local->cfg, x, src[k], local->params + x->offset, err, errlen);
  }
  free(src);
  hc_st_close(&set);
  return rc;
}

/* ---- export ------------------------------------------------------------------------ */
void hc_hf_shard_rows(void *ctx, size_t t, const hc_param_spec *spec, size_t out[5]) {
  (void)t;
  const int *rs = ctx;
  size_t R = spec->shape[0], k = (size_t)rs[0], N = (size_t)rs[1];
  out[0] = R * k / N;
  out[1] = R * (k + 1) / N - out[0];
  out[2] = 0;
  out[3] = spec->ndim == 2 ? spec->shape[1] : 1;
  out[4] = 1;
}

static cJSON *config_json(const hc_model_config *c, hc_st_dtype d) {
  static const char *torch_dtype[] = {"float32", "float16", "bfloat16"};
  cJSON *j = cJSON_CreateObject();
  cJSON *arch = cJSON_AddArrayToObject(j, "architectures");
  cJSON_AddItemToArray(arch, cJSON_CreateString("LlamaForCausalLM"));
  cJSON_AddStringToObject(j, "model_type", "llama");
  cJSON_AddNumberToObject(j, "hidden_size", c->dim);
  cJSON_AddNumberToObject(j, "intermediate_size", c->ffn_dim);
  cJSON_AddNumberToObject(j, "num_hidden_layers", c->n_layers);
  cJSON_AddNumberToObject(j, "num_attention_heads", c->n_heads);
  cJSON_AddNumberToObject(j, "num_key_value_heads", c->n_kv_heads);
  cJSON_AddNumberToObject(j, "head_dim", hc_model_head_dim(c));
  cJSON_AddNumberToObject(j, "vocab_size", c->vocab_size);
  cJSON_AddNumberToObject(j, "max_position_embeddings", c->max_seq_len);
  cJSON_AddNumberToObject(j, "rms_norm_eps", c->norm_eps);
  cJSON_AddNumberToObject(j, "rope_theta", c->rope_theta);
  cJSON_AddNullToObject(j, "rope_scaling");
  cJSON_AddStringToObject(j, "hidden_act", "silu");
  cJSON_AddFalseToObject(j, "attention_bias");
  cJSON_AddFalseToObject(j, "mlp_bias");
  cJSON_AddFalseToObject(j, "tie_word_embeddings"); /* hecaton holds output.weight apart */
  cJSON_AddStringToObject(j, "torch_dtype", torch_dtype[d]);
  return j;
}

/* Rank 0: the folder exists (made if missing) and holds no sharded model
 * that a reader would take instead of model.safetensors. */
static int prepare_dir(const char *dir, char *err, size_t errlen) {
  struct stat st;
  if (mkdir(dir, 0777) && errno != EEXIST)
    return hc_err(err, errlen, "%s: cannot create the folder: %s", dir, strerror(errno));
  if (stat(dir, &st) || !S_ISDIR(st.st_mode))
    return hc_err(err, errlen, "%s: exists and is not a folder", dir);
  char p[4096];
  snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
  if (!access(p, F_OK))
    return hc_err(err, errlen, "%s holds model.safetensors.index.json (a sharded model); export "
                  "into a new or empty folder", dir);
  return 0;
}

/* Rank 0: the file under its temporary name, header written, full size. */
static int create_file(const char *tmp, const unsigned char *hdr, size_t hlen, uint64_t size,
                       char *err, size_t errlen) {
  int fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY, 0666);
  int ok = fd >= 0 && pwrite(fd, hdr, hlen, 0) == (ssize_t)hlen && ftruncate(fd, (off_t)size) == 0;
  int e = errno;
  if (fd >= 0) close(fd);
  return ok ? 0 : hc_err(err, errlen, "%s: cannot write: %s", tmp, strerror(e));
}

/* Every rank: its rows of every base tensor, through the hook. */
static int write_rows(const char *tmp, const hc_params *p, const uint64_t *offsets, hc_st_dtype d,
                      hc_hf_export_hook hook, void *hook_arg, char *err, size_t errlen) {
  int fd = open(tmp, O_WRONLY);
  if (fd < 0) return hc_err(err, errlen, "%s: cannot open for writing: %s", tmp, strerror(errno));
  size_t es = hc_st_dtype_size(d), e = 0, most = 0;
  for (size_t k = 0; k < p->n_tensors; k++)
    if (p->tensors[k].numel > most) most = p->tensors[k].numel;
  float *rows = hc_malloc((most ? most : 1) * sizeof(float));
  int rc = 0;
  for (size_t k = 0; k < p->n_tensors && !rc; k++) {
    const hc_tensor *x = &p->tensors[k];
    if (x->spec.kind >= HC_P_NKINDS) continue;
    uint64_t base = offsets[e++];
    if (!x->numel) continue;
    HC_ASSERT(x->c0 == 0 && x->nc == (x->spec.ndim == 2 ? x->spec.shape[1] : 1)); /* whole rows */
    memcpy(rows, p->params + x->offset, x->numel * sizeof(float));
    if (hook) hook(hook_arg, p, k, rows);
    if (x->spec.kind != HC_P_WQ && x->spec.kind != HC_P_WK) {
      rc = hc_st_write(fd, base + (uint64_t)x->r0 * x->nc * es, rows, x->numel, d);
    } else {
      for (size_t a = 0; a < x->nr && !rc; a++)
        rc = hc_st_write(fd, base + (uint64_t)hf_row(&p->cfg, x->spec.kind, x->r0 + a) * x->nc * es,
                         rows + a * x->nc, x->nc, d);
    }
    if (rc) rc = hc_err(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
  }
  free(rows);
  if (!rc && fdatasync(fd)) rc = hc_err(err, errlen, "%s: cannot sync: %s", tmp, strerror(errno));
  if (close(fd) && !rc) rc = hc_err(err, errlen, "%s: cannot close: %s", tmp, strerror(errno));
  return rc;
}

/* Rank 0: config.json under its temporary name. */
static int write_config(const char *tmp, const hc_model_config *c, hc_st_dtype d, char *err,
                        size_t errlen) {
  cJSON *j = config_json(c, d);
  char *text = cJSON_Print(j);
  cJSON_Delete(j);
  FILE *f = fopen(tmp, "w");
  int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  if (f && fclose(f)) ok = 0;
  free(text);
  return ok ? 0 : hc_err(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
}

/* Every rank learns whether all did well; a rank that did not fail itself
 * says that another one did. */
static int all_ok(MPI_Comm comm, int rc, char *err, size_t errlen) {
  int ok = rc == 0, all;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, comm);
  if (!all && ok) hc_err(err, errlen, "export failed on another rank");
  return all ? 0 : -1;
}

int hc_hf_export(const char *dir, MPI_Comm comm, const hc_params *p, hc_st_dtype d,
                 hc_hf_export_hook hook, void *hook_arg, char *err, size_t errlen) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  hc_st_entry *ent = hc_calloc(p->n_tensors + 1, sizeof *ent);
  char (*names)[128] = hc_calloc(p->n_tensors + 1, sizeof *names);
  size_t n = 0;
  for (size_t k = 0; k < p->n_tensors; k++) {
    const hc_param_spec *s = &p->tensors[k].spec;
    if (hf_name(s, names[n], sizeof names[n])) continue; /* adapters: no counterpart */
    ent[n] = (hc_st_entry){names[n], s->ndim, {s->shape[0], s->shape[1]}};
    n++;
  }
  uint64_t *offsets = hc_malloc((n + 1) * sizeof *offsets);
  size_t hlen;
  unsigned char *hdr = hc_st_header(ent, n, d, &hlen, offsets);
  char path[4096], tmp[4200], cpath[4096], ctmp[4200];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  snprintf(cpath, sizeof cpath, "%s/config.json", dir);
  snprintf(ctmp, sizeof ctmp, "%s.tmp", cpath);
  int rc = 0;
  if (rank == 0) {
    rc = prepare_dir(dir, err, errlen);
    if (!rc) rc = create_file(tmp, hdr, hlen, offsets[n], err, errlen);
  }
  rc = all_ok(comm, rc, err, errlen);
  if (!rc) rc = all_ok(comm, write_rows(tmp, p, offsets, d, hook, hook_arg, err, errlen), err, errlen);
  if (rank == 0) {
    if (!rc) rc = write_config(ctmp, &p->cfg, d, err, errlen);
    if (!rc && (rename(tmp, path) || rename(ctmp, cpath)))
      rc = hc_err(err, errlen, "%s: cannot rename the files into place: %s", dir, strerror(errno));
    if (rc) remove(tmp), remove(ctmp);
  }
  rc = all_ok(comm, rc, err, errlen);
  free(hdr), free(offsets), free(ent), free(names);
  return rc;
}

/* ---- train --init ------------------------------------------------------------------ */
static int is_dir(const char *path) {
  struct stat st;
  return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int hc_init_config(const char *path, hc_model_config *cfg, char *err, size_t errlen) {
  int tied;
  if (is_dir(path)) return hc_hf_config_load(path, cfg, &tied, err, errlen);
  if (hc_checkpoint_read_config(path, cfg, err, errlen)) return -1;
  if (cfg->lora_rank > 0) /* its adapters would be dropped: fold them in first */
    return hc_err(err, errlen, "%s holds LoRA adapters (rank %d): export it with --merge-lora "
                  "and start from that folder with --init", path, cfg->lora_rank);
  return 0;
}

int hc_init_load(const char *path, MPI_Comm comm, hc_params *local, char *err, size_t errlen) {
  if (!is_dir(path)) return hc_checkpoint_load_params(path, comm, local, err, errlen);
  int rc = hc_hf_load(path, local, err, errlen), first, rank, size;
  /* rank 0 names the fault if it saw one; else the first rank that did */
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int mine = rc ? rank : size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return 0;
  MPI_Bcast(err, (int)errlen, MPI_CHAR, first, comm);
  return -1;
}
