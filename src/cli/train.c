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
#include "hecaton/hf.h"
#include "hecaton/model.h"
#include "hecaton/train.h"
#include "hecaton/util.h"

static void help(void) {
  printf(
      "usage: mpirun -np R*C hecaton train [options]\n"
      "  --method M             default: single on one rank, hecaton on more; one of\n");
  hc_cli_help_methods(0);
  printf(
      "  --mesh RxC             chiplet mesh (default: the squarest mesh of -np)\n"
      "  --hw FILE              hardware file (default models/hw/standard.ini)\n"
      "  --algo ring|bidir      collective algorithm; --save-gathered keeps gathered\n"
      "                         linear inputs for backward instead of gathering again\n"
      "  --dry-run              the same schedule with phantom tensors: costs paper-scale\n"
      "                         models (no data file, no memory, no FLOPs)\n"
      "  --report FILE.h5       the run's ledger, per-link table and memory per chiplet\n"
      "  --recompute MODE       activation recomputation: none (keep the attention\n"
      "                         probabilities for backward), selective (default:\n"
      "                         recompute them from q, k and the log-sum-exp) or full\n"
      "                         (keep each layer's input, run the layer again in\n"
      "                         backward); a bare --recompute means full\n"
      "  --chunks K             hecaton: forward linears in K token chunks, overlapping\n"
      "                         gathers, GEMMs and reduce-scatters on the timeline\n"
      "  --schedule layer|micro DRAM traffic of layer-major (default) or micro-batch-major\n"
      "                         execution; --micro-batches M (default: one per sequence)\n"
      "  --trace FILE.json      Chrome trace of the last step (chiplets x engines; Perfetto)\n"
      "  --heatmap FILE.svg     per-link utilisation of the mesh over the run\n"
      "  --model NAME|FILE      models/NAME.ini or a path (default tiny-64)\n"
      "  --init DIR|FILE.h5     start from these weights (step 0, fresh Adam state): a\n"
      "                         Hugging Face Llama folder (config.json + safetensors) or a\n"
      "                         hecaton checkpoint (e.g. from 'hecaton import'); the model\n"
      "                         comes from it (--model, if given, must describe the same)\n"
      "  --data FILE.h5         token file from 'hecaton prepare' (default data/licenses.h5)\n"
      "  --steps N              optimizer steps (default 200)\n"
      "  --batch B --seq S      B sequences of S tokens per step (default 8, 64)\n"
      "  --lr X --min-lr X      peak / final learning rate (default 3e-3, 3e-4)\n"
      "  --warmup N             linear warm-up steps, then cosine decay (default 20)\n"
      "  --wd X --clip X        AdamW weight decay (0.1), gradient-norm clip (1.0; 0 = off)\n"
      HC_LORA_HELP
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

/* The command line of a run. */
typedef struct {
  const char *method, *model, *data, *algo, *sched, *report, *trace, *heatmap;
  int dry, check, b, s, seed, data_seed, warmup;
  double val_fraction;
  hc_cli_common common;
  hc_train_opts o;
  hc_method_opts mo;
  hc_cli_lora lora;
} train_args;

/* What a run holds; train_free releases whatever was set up. */
typedef struct {
  hc_model_config cfg;
  char model_buf[1024];
  const char *model_path;
  hc_tokens tok;
  hc_loader loader;
  hc_cli_env env;
  int have_env;
} train_run;

static void train_free(train_run *run) {
  if (run->have_env) hc_cli_env_free(&run->env);
  hc_loader_free(&run->loader);
  hc_tokens_free(&run->tok);
}

/* 0, HC_CLI_HELP, or -1 with err. */
static int parse_options(int argc, char **argv, train_args *a, char *err, size_t errlen) {
  *a = (train_args){.model = NULL, .data = "data/licenses.h5", .algo = "ring",
                    .sched = "layer", .b = 8, .s = 64, .data_seed = 42, .val_fraction = 0.1,
                    .common = {.hw_path = "models/hw/standard.ini"}, .mo = {.chunks = 1}};
  hc_train_opts *o = &a->o;
  hc_train_defaults(o);
  a->seed = (int)o->seed, a->warmup = (int)o->warmup;
  const hc_cli_opt opts[] = {
      HC_STRING("method", &a->method),     HC_STRING("model", &a->model),
      HC_STRING("data", &a->data),         HC_STRING("mesh", &a->common.mesh),
      HC_INT("steps", &o->steps, 1),       HC_INT("batch", &a->b, 1),
      HC_INT("seq", &a->s, 1),             HC_DOUBLE("lr", &o->lr, 0),
      HC_DOUBLE("min-lr", &o->min_lr, 0),  HC_INT("warmup", &a->warmup, 0),
      HC_DOUBLE("wd", &o->weight_decay, 0), HC_DOUBLE("clip", &o->clip, 0),
      HC_INT("seed", &a->seed, 0),         HC_INT("data-seed", &a->data_seed, 0),
      HC_DOUBLE("val-fraction", &a->val_fraction, 0),
      HC_INT("val-every", &o->val_every, 0), HC_INT("val-batches", &o->val_batches, 0),
      HC_INT("log-every", &o->log_every, 0), HC_STRING("save", &o->save),
      HC_INT("save-every", &o->save_every, 0), HC_STRING("resume", &o->resume),
      HC_STRING("init", &o->init),
      HC_STRING("dump-grads", &o->dump_grads), HC_INT("stop-after", &o->stop_after, 1),
      HC_STRING("log-file", &o->log_file), HC_FLAG("check", &a->check),
      HC_STRING("hw", &a->common.hw_path), HC_STRING("algo", &a->algo),
      HC_FLAG("dry-run", &a->dry),         HC_STRING("report", &a->report),
      HC_FLAG("save-gathered", &a->mo.save_gathered), HC_RECOMPUTE("recompute", &a->mo.recompute),
      HC_INT("chunks", &a->mo.chunks, 1),
      HC_STRING("schedule", &a->sched),    HC_INT("micro-batches", &o->micro_batches, 1),
      HC_STRING("trace", &a->trace),       HC_STRING("heatmap", &a->heatmap),
      HC_LORA_OPTS(&a->lora)};
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, errlen);
  if (rc) return rc;
  o->seed = (uint64_t)a->seed, o->warmup = a->warmup;
  a->common.phantom = a->dry;
  hc_schedule schedule;
  if (hc_cli_schedule(a->sched, &schedule, err, errlen)) return -1;
  o->schedule = (int)schedule;
  if (o->init && o->resume)
    return hc_err(err, errlen, "--init and --resume both give the starting weights: use one "
                  "(--resume continues a run, --init starts one)");
  if (a->dry && (o->save || o->resume || o->dump_grads))
    return hc_err(err, errlen, "--dry-run moves no data: --save, --resume and --dump-grads need a real run");
  return hc_cli_algo(a->algo, &a->common.algo, err, errlen);
}

/* The model file and, in data mode, the tokens and their loader: 0 or -1 with err. */
static int load_inputs(const train_args *a, train_run *run, char *err, size_t errlen) {
  if (a->o.init) { /* the model comes with the weights; --model may only confirm it */
    run->model_path = a->o.init;
    if (hc_init_config(a->o.init, &run->cfg, err, errlen)) return -1;
    hc_model_config given;
    const char *gpath = a->model ? hc_cli_model_path(a->model, run->model_buf, sizeof run->model_buf) : NULL;
    if (gpath && (hc_model_config_load(gpath, &given, err, errlen) ||
                  hc_model_config_same(&given, &run->cfg, gpath, a->o.init, err, errlen)))
      return -1;
  } else {
    run->model_path = hc_cli_model_path(a->model ? a->model : "tiny-64", run->model_buf,
                                        sizeof run->model_buf);
    if (hc_model_config_load(run->model_path, &run->cfg, err, errlen)) return -1;
  }
  if (hc_cli_lora_apply(&a->lora, &run->cfg, err, errlen)) return -1;
  if (a->dry) return 0;
  char dbuf[1024];
  const char *dpath = hc_cli_find_file(a->data, dbuf, sizeof dbuf);
  if (hc_tokens_load(dpath, &run->tok, err, errlen)) {
    if (!strcmp(a->data, "data/licenses.h5"))
      snprintf(err + strlen(err), errlen - strlen(err),
               " (make it with: hecaton prepare /usr/share/common-licenses/* -o data/licenses.h5)");
    return -1;
  }
  if (run->tok.max_id >= (uint32_t)run->cfg.vocab_size)
    return hc_err(err, errlen, "%s: token id %u does not fit the model's vocab_size %d", a->data,
                  run->tok.max_id, run->cfg.vocab_size);
  if (a->s > run->cfg.max_seq_len)
    return hc_err(err, errlen, "--seq %d is longer than the model's max_seq_len %d (%s)", a->s,
                  run->cfg.max_seq_len, run->model_path);
  return hc_loader_init(&run->loader, &run->tok, a->s, a->b, a->val_fraction,
                        (uint64_t)a->data_seed, err, errlen);
}

/* On the mesh: the method can run the model, the state fits, and (rank 0)
 * every output can be written: found out now, not after the run. */
static int check_run(const train_args *a, train_run *run, char *err, size_t errlen) {
  if (hc_cli_method_check(a->method, &run->env, &run->cfg, a->b, a->s, err, errlen)) return -1;
  if (!a->dry && hc_model_fits_memory(&run->cfg, err, errlen)) return -1;
  if (run->env.mesh.rank != 0) return 0;
  const hc_train_opts *o = &a->o;
  /* the log file is appended to when resuming */
  const char *outputs[] = {o->save, a->report, a->trace, a->heatmap,
                           o->resume ? NULL : o->log_file, o->dump_grads};
  for (size_t k = 0; k < HC_NOPTS(outputs); k++)
    if (outputs[k] && hc_arg_output(outputs[k], err, errlen)) return -1;
  return 0;
}

/* Options, inputs and mesh, agreed by every rank: 0, HC_CLI_HELP, or -1
 * after one message. */
static int set_up(int argc, char **argv, train_args *a, train_run *run) {
  char err[HC_ERRLEN];
  int size, rc = parse_options(argc, argv, a, err, sizeof err);
  if (rc == HC_CLI_HELP) return rc;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (!a->method) a->method = size == 1 ? "single" : "hecaton";
  if (!rc) rc = load_inputs(a, run, err, sizeof err);
  if (hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) return -1;
  if (hc_cli_env_init(&run->env, &a->common)) return -1;
  run->have_env = 1;
  rc = check_run(a, run, err, sizeof err);
  return hc_agree(MPI_COMM_WORLD, rc ? err : NULL);
}

/* Rank 0: what is about to run. */
static void print_header(const train_args *a, const train_run *run, const hc_method *m) {
  const hc_model_config *c = &run->cfg;
  printf("# hecaton train: method %s on a %dx%d mesh (%s), model %s (%zu parameters: dim %d, "
         "%d layers, %d/%d heads, ffn %d, vocab %d)\n",
         m->name, run->env.mesh.topo.R, run->env.mesh.topo.C,
         a->dry ? "dry-run: no data, no FLOPs" : "data mode", c->name, hc_param_count(c), c->dim,
         c->n_layers, c->n_heads, c->n_kv_heads, c->ffn_dim, c->vocab_size);
  if (!a->dry)
    printf("# data %s: %zu tokens (%s), %zu training and %zu validation windows; ", a->data,
           run->tok.n, run->tok.tokenizer, run->loader.n_train, run->loader.n_val);
  else
    printf("# ");
  printf("batch %d x %d tokens; %d step(s), lr %.2e -> %.2e, warm-up %ld; hardware '%s'\n", a->b,
         a->s, a->o.steps, a->o.lr, a->o.min_lr, a->o.warmup, run->env.hw.name);
  fflush(stdout);
}

/* The run's configuration, stamped into its report. */
static void stamp_config(const train_args *a, train_run *run, const hc_method *m) {
  const hc_model_config *c = &run->cfg;
  snprintf(run->env.config, sizeof run->env.config,
           "command = train\nmethod = %s\nmesh = %dx%d\nmodel = %s (dim %d, %d layers, %d/%d heads, "
           "ffn %d, vocab %d)\nbatch = %d x %d tokens\nsteps = %d\nmode = %s\nhardware = %s\n"
           "schedule = %s\nchunks = %d\nsave_gathered = %d\nrecompute = %s\ndata = %s\n",
           m->name, run->env.mesh.topo.R, run->env.mesh.topo.C, c->name, c->dim, c->n_layers,
           c->n_heads, c->n_kv_heads, c->ffn_dim, c->vocab_size, a->b, a->s, a->o.steps,
           a->dry ? "dry-run" : "data", run->env.hw.name, hc_schedule_name((hc_schedule)a->o.schedule),
           a->mo.chunks, a->mo.save_gathered, hc_recompute_name(a->mo.recompute), a->dry ? "-" : a->data);
}

/* Build the method, train, and report: 0 or -1 (collective). */
static int train(train_args *a, train_run *run) {
  double wall0 = hc_wtime();
  hc_params p;
  hc_method m;
  hc_cli_env *env = &run->env;
  hc_cli_method_make(a->method, env, &run->cfg, a->b, a->s, a->dry, &a->mo, &m, &p);
  hc_trainer tr = {.m = &m, .comm = env->mesh.cart, .data = a->dry ? NULL : &run->loader,
                   .ledger = &env->ledger};
  hc_cli_check ck = {.rtol = 1e-4};
  if (a->check) tr.check = hc_cli_check_step, tr.check_arg = &ck;
  if (env->mesh.rank == 0) print_header(a, run, &m);
  hc_ledger_reset(&env->ledger);
  env->ledger.trace = a->trace != NULL || a->report != NULL; /* the report keeps the last step's timeline */
  stamp_config(a, run, &m);
  int rc = hc_train_run(&tr, &a->o);
  if (!rc && env->mesh.rank == 0 && !a->dry) {
    char val[32] = "not run";
    if (!isnan(tr.last_val)) snprintf(val, sizeof val, "%.4f", tr.last_val);
    printf("done: loss %.4f -> %.4f, validation %s (ln V = %.4f), %.1f s\n", tr.first_loss,
           tr.last_loss, val, log((double)run->cfg.vocab_size), tr.seconds);
  }
  if (!rc) rc = hc_cli_cost_report(env, &m, &tr, a->report, hc_wtime() - wall0, a->trace, a->heatmap);
  hc_cli_method_free(&m);
  return rc;
}

int hc_cmd_train(int argc, char **argv) {
  train_args a;
  train_run run = {0};
  int rc = set_up(argc, argv, &a, &run);
  if (!rc) rc = train(&a, &run);
  train_free(&run);
  return rc && rc != HC_CLI_HELP ? 1 : 0;
}
