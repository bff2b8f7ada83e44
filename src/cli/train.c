/* train.c: `hecaton train`: train a Llama-family model on the mesh with a
 * parallel method (today: the single-process reference). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/args.h"
#include "hecaton/cost.h"
#include "hecaton/data.h"
#include "hecaton/model.h"
#include "hecaton/train.h"
#include "hecaton/util.h"

static void help(void) {
  printf(
      "usage: mpirun -np R*C hecaton train [options]\n"
      "  --method M             single (one rank, the reference), hecaton (2D), megatron,\n"
      "                         megatron-sp (1D tensor parallel) or summa (2D, square);\n"
      "                         default: single on one rank, hecaton on more\n"
      "  --mesh RxC             chiplet mesh (default: the squarest mesh of -np)\n"
      "  --hw FILE              hardware file (default models/hw/standard.ini)\n"
      "  --algo ring|bidir      collective algorithm; --save-gathered keeps gathered\n"
      "                         linear inputs for backward instead of gathering again\n"
      "  --dry-run              the same schedule with phantom tensors: costs paper-scale\n"
      "                         models (no data file, no memory, no FLOPs)\n"
      "  --report FILE.h5       the run's ledger, per-link table and memory per chiplet\n"
      "  --chunks K             hecaton: forward linears in K token chunks, overlapping\n"
      "                         gathers, GEMMs and reduce-scatters on the timeline\n"
      "  --schedule layer|micro DRAM traffic of layer-major (default) or micro-batch-major\n"
      "                         execution; --micro-batches M (default: one per sequence)\n"
      "  --trace FILE.json      Chrome trace of the last step (chiplets x engines; Perfetto)\n"
      "  --heatmap FILE.svg     per-link utilisation of the mesh over the run\n"
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
      "  --log-file FILE.csv    per step: loss, lr, grad norm, validation loss (exact)\n"
      "  --check                check step 1 against the single-process reference (the\n"
      "                         mesh's gradients reassembled on rank 0; bound 1e-4 of each\n"
      "                         tensor's largest value); the run stops if it fails\n");
}

static int parse_int(const char *s, const char *name, int min, int *out, char *err, size_t len) {
  return hc_arg_int(s, name, min, out, err, len);
}

static int parse_double(const char *s, const char *name, double min, double *out, char *err,
                        size_t len) {
  return hc_arg_double(s, name, min, out, err, len);
}

int hc_cmd_train(int argc, char **argv) {
  const char *method = NULL, *model = "tiny-64", *data = "data/licenses.h5", *mesh = NULL,
             *hw = "models/hw/standard.ini", *algo = "ring", *dry_s = NULL, *report = NULL,
             *save_g = NULL, *sched = "layer", *micro = NULL, *chunks_s = NULL, *trace = NULL, *heatmap = NULL;
  const char *steps = NULL, *batch = NULL, *seq = NULL, *lr = NULL, *min_lr = NULL,
             *warmup = NULL, *wd = NULL, *clip = NULL, *seed = NULL, *dseed = NULL,
             *valf = NULL, *val_every = NULL, *val_batches = NULL, *log_every = NULL,
             *save = NULL, *save_every = NULL, *resume = NULL, *dump = NULL, *helpf = NULL,
             *stop_after = NULL, *log_file = NULL, *check = NULL;
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
      {"--stop-after", 1, &stop_after}, {"--log-file", 1, &log_file}, {"--check", 0, &check},
      {"--hw", 1, &hw},                {"--algo", 1, &algo},
      {"--dry-run", 0, &dry_s},        {"--report", 1, &report},
      {"--save-gathered", 0, &save_g}, {"--chunks", 1, &chunks_s}, {"--schedule", 1, &sched},
      {"--micro-batches", 1, &micro},  {"--trace", 1, &trace},
      {"--heatmap", 1, &heatmap},
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
  int dry = dry_s != NULL;
  hc_schedule schedule = (hc_schedule)o.schedule; /* also read on the error path below */
  if (!bad && hc_parse_schedule(sched, &schedule))
    bad = hc_err(err, sizeof err, "--schedule '%s': expected layer or micro", sched) != 0;
  o.schedule = (int)schedule;
  if (!bad) bad = parse_int(micro, "--micro-batches", 1, &o.micro_batches, err, sizeof err);
  if (!bad && dry && (save || resume || dump))
    bad = hc_err(err, sizeof err, "--dry-run moves no data: --save, --resume and --dump-grads need a real run") != 0;
  hc_cli_common co = {.mesh = mesh, .hw_path = hw, .phantom = dry};
  if (!bad && hc_parse_algo(algo, &co.algo))
    bad = hc_err(err, sizeof err, "--algo '%s': expected ring or bidir", algo) != 0;
  if (!method) method = size == 1 ? "single" : "hecaton";
  hc_model_config cfg;
  const char *mpath = hc_cli_model_path(model, pathbuf, sizeof pathbuf);
  if (!bad) bad = hc_model_config_load(mpath, &cfg, err, sizeof err) != 0;
  hc_tokens tok = {0};
  hc_loader loader = {0};
  if (!bad && !dry) {
    char dbuf[1024];
    const char *dpath = hc_cli_find_file(data, dbuf, sizeof dbuf);
    bad = hc_tokens_load(dpath, &tok, err, sizeof err) != 0;
    if (bad && !strcmp(data, "data/licenses.h5"))
      snprintf(err + strlen(err), sizeof err - strlen(err),
               " (make it with: hecaton prepare /usr/share/common-licenses/* -o data/licenses.h5)");
    if (!bad && tok.max_id >= (uint32_t)cfg.vocab_size)
      bad = hc_err(err, sizeof err, "%s: token id %u does not fit the model's vocab_size %d", data,
                   tok.max_id, cfg.vocab_size) != 0;
    if (!bad && s > cfg.max_seq_len)
      bad = hc_err(err, sizeof err, "--seq %d is longer than the model's max_seq_len %d (%s)", s,
                   cfg.max_seq_len, mpath) != 0;
    if (!bad) bad = hc_loader_init(&loader, &tok, s, b, vf, (uint64_t)idseed, err, sizeof err) != 0;
  }
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) {
    hc_tokens_free(&tok);
    hc_loader_free(&loader);
    return 1;
  }
  hc_cli_env env;
  if (hc_cli_env_init(&env, &co)) {
    hc_tokens_free(&tok);
    hc_loader_free(&loader);
    return 1;
  }
  bad = hc_cli_method_check(method, &env, &cfg, b, s, err, sizeof err) != 0;
  if (!bad && !dry) bad = hc_model_fits_memory(&cfg, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) {
    hc_cli_env_free(&env);
    hc_tokens_free(&tok);
    hc_loader_free(&loader);
    return 1;
  }
  double wall0 = hc_wtime();
  hc_method_opts mo = {.save_gathered = save_g != NULL, .chunks = 1};
  bad = parse_int(chunks_s, "--chunks", 1, &mo.chunks, err, sizeof err) != 0;
  /* Outputs: find out now, not after the run, that one cannot be written. */
  const char *outputs[] = {save, report, trace, heatmap, log_file, dump};
  for (size_t k = 0; k < sizeof outputs / sizeof outputs[0] && !bad && rank == 0; k++) {
    if (!outputs[k] || (k == 4 && resume)) continue;
    char probe[1100];
    snprintf(probe, sizeof probe, "%s.probe.tmp", outputs[k]);
    FILE *f = fopen(probe, "w");
    if (!f) bad = hc_err(err, sizeof err, "%s: cannot be written (directory missing or not writable?)", outputs[k]) != 0;
    else fclose(f), remove(probe);
  }
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) {
    hc_cli_env_free(&env);
    hc_tokens_free(&tok);
    hc_loader_free(&loader);
    return 1;
  }
  hc_params p;
  hc_method m;
  hc_cli_method_make(method, &env, &cfg, b, s, dry, &mo, &m, &p);
  hc_trainer tr = {.m = &m, .comm = env.mesh.cart, .data = dry ? NULL : &loader,
                   .ledger = &env.ledger};
  hc_cli_check ck = {.rtol = 1e-4};
  if (check) tr.check = hc_cli_check_step, tr.check_arg = &ck;
  if (rank == 0) {
    printf("# hecaton train: method %s on a %dx%d mesh (%s), model %s (%zu parameters: dim %d, "
           "%d layers, %d/%d heads, ffn %d, vocab %d)\n",
           m.name, env.mesh.topo.R, env.mesh.topo.C, dry ? "dry-run: no data, no FLOPs" : "data mode",
           cfg.name, hc_param_count(&cfg), cfg.dim, cfg.n_layers, cfg.n_heads, cfg.n_kv_heads,
           cfg.ffn_dim, cfg.vocab_size);
    if (!dry)
      printf("# data %s: %zu tokens (%s), %zu training and %zu validation windows; ", data, tok.n,
             tok.tokenizer, loader.n_train, loader.n_val);
    else
      printf("# ");
    printf("batch %d x %d tokens; %d step(s), lr %.2e -> %.2e, warm-up %ld; hardware '%s'\n", b, s,
           o.steps, o.lr, o.min_lr, o.warmup, env.hw.name);
    fflush(stdout);
  }
  hc_ledger_reset(&env.ledger);
  env.ledger.trace = trace != NULL || report != NULL; /* the report keeps the last step's timeline */
  snprintf(env.config, sizeof env.config,
           "command = train\nmethod = %s\nmesh = %dx%d\nmodel = %s (dim %d, %d layers, %d/%d heads, "
           "ffn %d, vocab %d)\nbatch = %d x %d tokens\nsteps = %d\nmode = %s\nhardware = %s\n"
           "schedule = %s\nchunks = %d\nsave_gathered = %d\ndata = %s\n",
           m.name, env.mesh.topo.R, env.mesh.topo.C, cfg.name, cfg.dim, cfg.n_layers, cfg.n_heads,
           cfg.n_kv_heads, cfg.ffn_dim, cfg.vocab_size, b, s, o.steps, dry ? "dry-run" : "data",
           env.hw.name, hc_schedule_name((hc_schedule)o.schedule), mo.chunks, mo.save_gathered,
           dry ? "-" : data);
  int rc = hc_train_run(&tr, &o);
  if (!rc && rank == 0 && !dry) {
    char val[32] = "not run";
    if (!isnan(tr.last_val)) snprintf(val, sizeof val, "%.4f", tr.last_val);
    printf("done: loss %.4f -> %.4f, validation %s (ln V = %.4f), %.1f s\n", tr.first_loss,
           tr.last_loss, val, log((double)cfg.vocab_size), tr.seconds);
  }
  if (!rc) rc = hc_cli_cost_report(&env, &m, &tr, report, hc_wtime() - wall0, trace, heatmap);
  hc_cli_method_free(&m);
  hc_cli_env_free(&env);
  hc_loader_free(&loader);
  hc_tokens_free(&tok);
  return rc ? 1 : 0;
}
