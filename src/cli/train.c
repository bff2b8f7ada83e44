/* train.c: `hecaton train`: train a Llama-family model on the mesh with a
 * parallel method (today: the single-process reference). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/data.h"
#include "hecaton/model.h"
#include "hecaton/train.h"
#include "hecaton/util.h"

static void help(void) {
  printf(
      "usage: mpirun -np N hecaton train [options]\n"
      "  --method single        parallel method (single: the one-rank reference)\n"
      "  --model NAME|FILE      models/NAME.ini or a path (default tiny-64)\n"
      "  --data FILE.h5         token file from 'hecaton prepare' (default data/licenses.h5)\n"
      "  --steps N              optimizer steps (default 200)\n"
      "  --batch B --seq S      B sequences of S tokens per step (default 8, 64)\n"
      "  --lr X --min-lr X      peak / final learning rate (default 3e-3, 3e-4)\n"
      "  --warmup N             linear warm-up steps, then cosine decay (default 20)\n"
      "  --wd X --clip X        AdamW weight decay (0.1), gradient-norm clip (1.0; 0 = off)\n"
      "  --seed N               weight initialisation seed (default 1337)\n"
      "  --data-seed N          batch order seed (default 42)\n"
      "  --val-fraction X       share of the tokens held out for validation (default 0.1)\n"
      "  --val-every N --val-batches N   validation cadence and size (50, 8)\n"
      "  --log-every N          progress line every N steps (default 1)\n"
      "  --save FILE.h5 --save-every N   checkpoint (at the end, and every N steps)\n"
      "  --resume FILE.h5       continue from a checkpoint\n"
      "  --dump-grads FILE.h5   write the first step's parameters, gradients, batch, loss\n"
      "  --stop-after N         end this run after N steps (checkpointing with --save);\n"
      "                         --resume continues the same schedule to --steps\n"
      "  --log-file FILE.csv    per step: loss, lr, grad norm, validation loss (exact)\n");
}

static int parse_int(const char *s, const char *name, int min, int *out, char *err, size_t len) {
  char *end;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s) return 0;
  if (*s == '\0' || *end != '\0' || v < min || v > 1L << 30)
    return hc_err(err, len, "%s '%s': expected an integer >= %d", name, s, min);
  *out = (int)v;
  return 0;
}

static int parse_double(const char *s, const char *name, double min, double *out, char *err,
                        size_t len) {
  char *end;
  if (!s) return 0;
  double v = strtod(s, &end);
  if (*s == '\0' || *end != '\0' || !(v >= min))
    return hc_err(err, len, "%s '%s': expected a number >= %g", name, s, min);
  *out = v;
  return 0;
}

int hc_cmd_train(int argc, char **argv) {
  const char *method = "single", *model = "tiny-64", *data = "data/licenses.h5", *mesh = NULL;
  const char *steps = NULL, *batch = NULL, *seq = NULL, *lr = NULL, *min_lr = NULL,
             *warmup = NULL, *wd = NULL, *clip = NULL, *seed = NULL, *dseed = NULL,
             *valf = NULL, *val_every = NULL, *val_batches = NULL, *log_every = NULL,
             *save = NULL, *save_every = NULL, *resume = NULL, *dump = NULL, *helpf = NULL,
             *stop_after = NULL, *log_file = NULL;
  const hc_cli_opt opts[] = {
      {"--method", 1, &method},        {"--model", 1, &model},
      {"--data", 1, &data},            {"--mesh", 1, &mesh},
      {"--steps", 1, &steps},          {"--batch", 1, &batch},
      {"--seq", 1, &seq},              {"--lr", 1, &lr},
      {"--min-lr", 1, &min_lr},        {"--warmup", 1, &warmup},
      {"--wd", 1, &wd},                {"--clip", 1, &clip},
      {"--seed", 1, &seed},            {"--data-seed", 1, &dseed},
      {"--val-fraction", 1, &valf},    {"--val-every", 1, &val_every},
      {"--val-batches", 1, &val_batches}, {"--log-every", 1, &log_every},
      {"--save", 1, &save},            {"--save-every", 1, &save_every},
      {"--resume", 1, &resume},        {"--dump-grads", 1, &dump},
      {"--stop-after", 1, &stop_after}, {"--log-file", 1, &log_file},
      {"--help", 0, &helpf},
  };
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char err[HC_ERRLEN], pathbuf[1024];
  hc_train_opts o;
  hc_train_defaults(&o);
  int b = 8, s = 64, iseed = (int)o.seed, idseed = 42, warm = (int)o.warmup;
  double vf = 0.1;
  int bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err, sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0) help();
    return 0;
  }
  bad = bad || parse_int(steps, "--steps", 1, &o.steps, err, sizeof err) ||
        parse_int(batch, "--batch", 1, &b, err, sizeof err) ||
        parse_int(seq, "--seq", 1, &s, err, sizeof err) ||
        parse_double(lr, "--lr", 0, &o.lr, err, sizeof err) ||
        parse_double(min_lr, "--min-lr", 0, &o.min_lr, err, sizeof err) ||
        parse_int(warmup, "--warmup", 0, &warm, err, sizeof err) ||
        parse_double(wd, "--wd", 0, &o.weight_decay, err, sizeof err) ||
        parse_double(clip, "--clip", 0, &o.clip, err, sizeof err) ||
        parse_int(seed, "--seed", 0, &iseed, err, sizeof err) ||
        parse_int(dseed, "--data-seed", 0, &idseed, err, sizeof err) ||
        parse_double(valf, "--val-fraction", 0, &vf, err, sizeof err) ||
        parse_int(val_every, "--val-every", 0, &o.val_every, err, sizeof err) ||
        parse_int(val_batches, "--val-batches", 0, &o.val_batches, err, sizeof err) ||
        parse_int(log_every, "--log-every", 0, &o.log_every, err, sizeof err) ||
        parse_int(save_every, "--save-every", 0, &o.save_every, err, sizeof err) ||
        parse_int(stop_after, "--stop-after", 1, &o.stop_after, err, sizeof err);
  o.log_file = log_file;
  o.seed = (uint64_t)iseed, o.warmup = warm;
  o.save = save, o.resume = resume, o.dump_grads = dump;
  if (!bad && strcmp(method, "single") != 0)
    bad = hc_err(err, sizeof err, "--method '%s': this build trains with: single", method) != 0;
  if (!bad && size != 1)
    bad = hc_err(err, sizeof err,
                 "--method single runs on one rank, but mpirun started %d: use mpirun -np 1", size) != 0;
  (void)mesh;
  hc_model_config cfg;
  const char *mpath = hc_cli_model_path(model, pathbuf, sizeof pathbuf);
  if (!bad) bad = hc_model_config_load(mpath, &cfg, err, sizeof err) != 0;
  if (!bad && s > cfg.max_seq_len)
    bad = hc_err(err, sizeof err, "--seq %d is longer than the model's max_seq_len %d (%s)", s,
                 cfg.max_seq_len, mpath) != 0;
  hc_tokens tok = {0};
  if (!bad) {
    char dbuf[1024];
    const char *dpath = hc_cli_find_file(data, dbuf, sizeof dbuf);
    bad = hc_tokens_load(dpath, &tok, err, sizeof err) != 0;
    if (bad && !strcmp(data, "data/licenses.h5"))
      snprintf(err + strlen(err), sizeof err - strlen(err),
               " (make it with: hecaton prepare /usr/share/common-licenses/* -o data/licenses.h5)");
  }
  if (!bad && tok.max_id >= (uint32_t)cfg.vocab_size)
    bad = hc_err(err, sizeof err, "%s: token id %u does not fit the model's vocab_size %d", data,
                 tok.max_id, cfg.vocab_size) != 0;
  hc_loader loader = {0};
  if (!bad) bad = hc_loader_init(&loader, &tok, s, b, vf, (uint64_t)idseed, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) {
    hc_tokens_free(&tok);
    hc_loader_free(&loader);
    return 1;
  }

  hc_params p;
  hc_params_alloc(&p, &cfg);
  hc_method m;
  hc_single_method(&m, &p, b, s);
  hc_trainer tr = {.m = &m, .comm = MPI_COMM_WORLD, .data = &loader};
  if (rank == 0) {
    printf("# hecaton train: method %s, model %s (%zu parameters: dim %d, %d layers, %d/%d heads, "
           "ffn %d, vocab %d)\n",
           m.name, cfg.name, hc_param_count(&cfg), cfg.dim, cfg.n_layers, cfg.n_heads,
           cfg.n_kv_heads, cfg.ffn_dim, cfg.vocab_size);
    printf("# data %s: %zu tokens (%s), %zu training and %zu validation windows; batch %d x %d "
           "tokens; %d steps, lr %.2e -> %.2e, warm-up %ld\n",
           data, tok.n, tok.tokenizer, loader.n_train, loader.n_val, b, s, o.steps, o.lr,
           o.min_lr, o.warmup);
    fflush(stdout);
  }
  int rc = hc_train_run(&tr, &o);
  if (!rc && rank == 0) {
    char val[32] = "not run";
    if (!isnan(tr.last_val)) snprintf(val, sizeof val, "%.4f", tr.last_val);
    printf("done: loss %.4f -> %.4f, validation %s (ln V = %.4f), %.1f s\n", tr.first_loss,
           tr.last_loss, val, log((double)cfg.vocab_size), tr.seconds);
  }
  hc_params_free(&p);
  hc_loader_free(&loader);
  hc_tokens_free(&tok);
  return rc ? 1 : 0;
}
