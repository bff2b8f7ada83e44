/* hfio.c: `hecaton import HF_DIR -o CKPT.h5` and `hecaton export CKPT.h5
 * -o HF_DIR`: Hugging Face Llama folders (config.json + safetensors) to and
 * from hecaton checkpoints (include/hecaton/hf.h). Both run on any number
 * of ranks: rank k of N holds rows [R k / N, R (k+1) / N) of every tensor,
 * so no rank ever holds a whole model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/lora.h"
#include "hecaton/args.h"
#include "hecaton/checkpoint.h"
#include "hecaton/hf.h"
#include "hecaton/util.h"

static void import_help(void) {
  printf(
      "usage: mpirun -np N hecaton import HF_DIR -o CKPT.h5 [--model-out FILE.ini]\n"
      "  HF_DIR: a Hugging Face Llama folder: config.json and model.safetensors, or the\n"
      "  shards model.safetensors.index.json lists (F32, F16 or BF16, read as float32).\n"
      "  Writes CKPT.h5, a hecaton checkpoint of those weights (step 0, Adam state zero),\n"
      "  and the model as an INI file (default: CKPT.ini, next to it), so that\n"
      "    hecaton train --init CKPT.h5 ...    finetunes from it (its config is in it), and\n"
      "    --model CKPT.ini                    describes the model to any other command.\n"
      "  (hecaton train --init HF_DIR reads the folder directly, without this step.)\n"
      "  Each rank reads only its rows of every tensor: use N ranks for a model too\n"
      "  large for one process's memory.\n");
}

static void export_help(void) {
  printf(
      "usage: mpirun -np N hecaton export CKPT.h5 -o HF_DIR [--dtype f32|bf16|f16]\n"
      "  Writes HF_DIR/config.json and HF_DIR/model.safetensors (default F32; bf16 and\n"
      "  f16 round to nearest even) from a hecaton checkpoint, in the layout of\n"
      "  transformers' LlamaForCausalLM (q_proj/k_proj rows permuted for its rotate-half\n"
      "  RoPE; lm_head.weight written, tie_word_embeddings false). HF_DIR is created if\n"
      "  missing; the files appear under their names only when complete.\n"
      "  --merge-lora   a checkpoint of a --lora run: write W + (alpha/r) B A for every\n"
      "                 adapted linear (without it, the adapters are refused: they\n"
      "                 have no place in the Hugging Face layout)\n");
}

/* export --merge-lora: fold the adapters into the rows of their target. */
static void merge_hook(void *arg, const hc_params *p, size_t t, float *rows) {
  (void)arg;
  const hc_tensor *x = &p->tensors[t];
  const hc_model_config *c = &p->cfg;
  if (!hc_lora_targets(c, x->spec.kind)) return;
  const hc_tensor *a = &p->tensors[hc_lora_index(c, x->spec.kind, x->spec.layer, 0)];
  const hc_tensor *b = &p->tensors[hc_lora_index(c, x->spec.kind, x->spec.layer, 1)];
  hc_lora_merge(rows, rows, p->params + a->offset, p->params + b->offset, x, c->lora_rank,
                (float)(c->lora_alpha / c->lora_rank));
}

/* "ck.h5" -> "ck.ini" (or "<path>.ini" without the .h5). */
static void ini_next_to(const char *ckpt, char *buf, size_t len) {
  size_t n = strlen(ckpt);
  if (n > 3 && !strcmp(ckpt + n - 3, ".h5")) n -= 3;
  snprintf(buf, len, "%.*s.ini", (int)n, ckpt);
}

/* The shortest decimal that reads back as x. */
static void fmt_exact(char *buf, size_t len, double x) {
  for (int digits = 6; digits <= 17; digits++) {
    snprintf(buf, len, "%.*g", digits, x);
    if (strtod(buf, NULL) == x) return;
  }
}

/* Rank 0: the model's INI file under "<path>.tmp". */
static int write_ini(const char *path, const char *from, const hc_model_config *c, char *err,
                     size_t errlen) {
  char tmp[4200], eps[40], theta[40];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  fmt_exact(eps, sizeof eps, c->norm_eps);
  fmt_exact(theta, sizeof theta, c->rope_theta);
  FILE *f = fopen(tmp, "w");
  if (!f) return hc_err(err, errlen, "%s: cannot be written", path);
  fprintf(f,
          "; imported by hecaton import from %s/config.json\n\n[model]\n"
          "dim = %d\nn_layers = %d\nn_heads = %d\nn_kv_heads = %d\nffn_dim = %d\n"
          "vocab_size = %d\nmax_seq_len = %d\nnorm_eps = %s\nrope_theta = %s\n",
          from, c->dim, c->n_layers, c->n_heads, c->n_kv_heads, c->ffn_dim, c->vocab_size,
          c->max_seq_len, eps, theta);
  return fclose(f) ? hc_err(err, errlen, "%s: cannot be written", path) : 0;
}

/* The model's tensors split by rows over the world (hc_hf_shard_rows),
 * holding only what the command moves: the parameters, and for import the
 * Adam m and v a checkpoint holds, zero, as one buffer read for both (4 or
 * 8 bytes a parameter over the ranks, not a training run's 16). */
static void alloc_rows(hc_params *p, const hc_model_config *cfg, int adam) {
  int rs[2];
  MPI_Comm_rank(MPI_COMM_WORLD, &rs[0]);
  MPI_Comm_size(MPI_COMM_WORLD, &rs[1]);
  hc_params_alloc_sharded(p, cfg, hc_hf_shard_rows, rs, 0); /* the table only */
  p->params = hc_calloc(p->n_params ? p->n_params : 1, sizeof(float));
  if (adam) p->m = p->v = hc_calloc(p->n_train ? p->n_train : 1, sizeof(float));
}

static void free_rows(hc_params *p) {
  p->v = NULL; /* shared with m */
  hc_params_free(p);
}

int hc_cmd_import(int argc, char **argv) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const char *out = NULL, *ini = NULL, *dir[1] = {NULL};
  const hc_cli_opt opts[] = {{"output", HC_OPT_STRING, &out, 0, 'o'},
                             HC_STRING("model-out", &ini)};
  hc_cli_args pos = {.args = dir, .max = 1, .too_many = "import takes one Hugging Face folder"};
  char err[HC_ERRLEN] = "", inibuf[4096];
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), &pos, import_help, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  if (!rc && (!dir[0] || !out))
    rc = hc_err(err, sizeof err, "import: give a Hugging Face folder and -o CKPT.h5");
  hc_model_config cfg;
  int tied = 0;
  if (!rc) rc = hc_hf_config_load(dir[0], &cfg, &tied, err, sizeof err);
  if (!rc && !ini) ini_next_to(out, inibuf, sizeof inibuf), ini = inibuf;
  if (!rc) { /* the model is named after its INI file, as models/NAME.ini are */
    const char *b = strrchr(ini, '/');
    b = b ? b + 1 : ini;
    size_t n = strlen(b) > 4 && !strcmp(b + strlen(b) - 4, ".ini") ? strlen(b) - 4 : strlen(b);
    snprintf(cfg.name, sizeof cfg.name, "%.*s", (int)n, b);
  }
  if (!rc) rc = hc_model_fits_memory(&cfg, err, sizeof err);
  if (!rc && rank == 0) rc = hc_arg_output(out, err, sizeof err);
  if (!rc && rank == 0) rc = hc_arg_output(ini, err, sizeof err);
  if (hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) return 1;

  hc_params p;
  alloc_rows(&p, &cfg, 1);
  rc = hc_init_load(dir[0], MPI_COMM_WORLD, &p, err, sizeof err);
  if (!hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) {
    rc = rank == 0 ? write_ini(ini, dir[0], &cfg, err, sizeof err) : 0;
    if (!hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) {
      hc_ckpt_meta meta = {0};
      rc = hc_checkpoint_save(out, MPI_COMM_WORLD, &p, &meta, err, sizeof err);
      char tmp[4200];
      snprintf(tmp, sizeof tmp, "%s.tmp", ini);
      if (rank == 0 && (rc ? remove(tmp) : rename(tmp, ini)) && !rc)
        rc = hc_err(err, sizeof err, "%s: cannot rename into place", ini);
      rc = hc_agree(MPI_COMM_WORLD, rc ? err : NULL);
    } else {
      rc = -1;
    }
  } else {
    rc = -1;
  }
  if (!rc && rank == 0)
    printf("imported %s (%zu parameters: dim %d, %d layers, %d/%d heads, ffn %d, vocab %d%s) "
           "into %s; model file %s\n  finetune: mpirun -np R*C hecaton train --init %s --data "
           "TOKENS.h5 ...\n",
           dir[0], hc_param_count(&cfg), cfg.dim, cfg.n_layers, cfg.n_heads, cfg.n_kv_heads,
           cfg.ffn_dim, cfg.vocab_size, tied ? ", tied embeddings copied into output.weight" : "",
           out, ini, out);
  free_rows(&p);
  return rc ? 1 : 0;
}

int hc_cmd_export(int argc, char **argv) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const char *out = NULL, *dtype = "f32", *ck[1] = {NULL};
  int merge = 0;
  const hc_cli_opt opts[] = {{"output", HC_OPT_STRING, &out, 0, 'o'}, HC_STRING("dtype", &dtype),
                             HC_FLAG("merge-lora", &merge)};
  hc_cli_args pos = {.args = ck, .max = 1, .too_many = "export takes one checkpoint"};
  char err[HC_ERRLEN] = "";
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), &pos, export_help, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  if (!rc && (!ck[0] || !out))
    rc = hc_err(err, sizeof err, "export: give a checkpoint and -o HF_DIR");
  hc_st_dtype d = HC_ST_F32;
  if (!rc && hc_st_parse_dtype(dtype, &d))
    rc = hc_err(err, sizeof err, "--dtype '%s': expected f32, bf16 or f16", dtype);
  hc_model_config cfg;
  if (!rc) rc = hc_checkpoint_read_config(ck[0], &cfg, err, sizeof err);
  if (!rc) rc = hc_model_fits_memory(&cfg, err, sizeof err);
  if (!rc && cfg.lora_rank > 0 && !merge)
    rc = hc_err(err, sizeof err, "%s holds LoRA adapters (rank %d): give --merge-lora to fold them "
                "into the weights", ck[0], cfg.lora_rank);
  if (!rc && cfg.lora_rank == 0 && merge)
    rc = hc_err(err, sizeof err, "--merge-lora: %s holds no LoRA adapters", ck[0]);
  if (hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) return 1;

  hc_params p;
  alloc_rows(&p, &cfg, 0);
  rc = merge ? hc_checkpoint_load_all_params(ck[0], MPI_COMM_WORLD, &p, err, sizeof err)
             : hc_checkpoint_load_params(ck[0], MPI_COMM_WORLD, &p, err, sizeof err);
  hc_hf_export_hook hook = merge ? merge_hook : NULL;
  void *hook_arg = NULL;
  if (!hc_agree(MPI_COMM_WORLD, rc ? err : NULL))
    rc = hc_agree(MPI_COMM_WORLD,
                  hc_hf_export(out, MPI_COMM_WORLD, &p, d, hook, hook_arg, err, sizeof err) ? err
                                                                                            : NULL);
  else
    rc = -1;
  if (!rc && rank == 0)
    printf("exported %s (%zu parameters, %s%s) to %s/config.json and %s/model.safetensors\n", ck[0],
           hc_param_count(&(hc_model_config){.dim = cfg.dim, .n_layers = cfg.n_layers,
                                             .n_heads = cfg.n_heads, .n_kv_heads = cfg.n_kv_heads,
                                             .ffn_dim = cfg.ffn_dim, .vocab_size = cfg.vocab_size}),
           hc_st_dtype_name(d), merge ? ", LoRA adapters merged" : "", out, out);
  free_rows(&p);
  return rc ? 1 : 0;
}
