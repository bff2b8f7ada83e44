/* compare.c: `hecaton compare`: one training step of the same model on the
 * same mesh under several methods, side by side: bytes sent per chiplet,
 * the busiest link, simulated NoP time, memory per chiplet, and each ratio
 * to Hecaton. A method that cannot run the configuration says why in its
 * row. Text on stdout, and CSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/args.h"
#include "hecaton/cost.h"
#include "hecaton/flops.h"
#include "hecaton/rng.h"
#include "hecaton/step.h"
#include "hecaton/util.h"

typedef struct {
  char method[32];
  int ok;
  char why[HC_ERRLEN];
  double sent, busiest, nop, weights, state, act, buffers;
  double time, exposed, energy;
  int nsram;                        /* the SRAM model's rows (cost.h) */
  hc_sram_row sram[HC_SRAM_ROWS];
} row;

static void help(void) {
  printf(
      "usage: mpirun -np R*C hecaton compare --model M --mesh RxC [options]\n"
      "  --methods LIST        comma-separated (default: every mesh method):\n");
  hc_cli_help_methods(0);
  printf(
      "  --batch B --seq S     (default: B = 2 x lcm(R, C), S = 64 or the model's max)\n"
      "  --dry-run             phantom tensors: paper-scale models\n"
      "  --hw FILE             hardware file (default models/hw/standard.ini)\n"
      "  --csv FILE            also write the table as CSV\n"
      "  --schedule layer|micro --micro-batches M   the DRAM model (default layer, M = B)\n"
      "  --recompute MODE      activation recomputation of every method: none (keep the\n"
      "                        attention probabilities), selective (default: recompute\n"
      "                        them in backward) or full (run each layer again); bare\n"
      "                        --recompute: full\n"
      HC_LORA_HELP
      "Per method, one training step (forward, backward, gradient norm): bytes sent by\n"
      "the busiest chiplet, bytes on the busiest directed link, simulated NoP time of\n"
      "the slowest chiplet, the step's simulated time (compute, NoP and DRAM engines)\n"
      "and energy, and memory per chiplet (largest over the mesh): weights,\n"
      "weights + gradients + Adam state, activations (measured; closed form in a\n"
      "dry-run) and communication buffers; ratios are method / hecaton.\n");
}

/* What to compare, from the options. */
typedef struct {
  hc_cli_common common;
  hc_model_config cfg;
  hc_cli_method_set methods;
  int b, s, micro; /* b, s: 0 until the mesh gives the default */
  hc_schedule sched;
  hc_recompute recompute;
  const char *csv;
  hc_cli_lora lora;
} compare_job;

/* Options and model: 0, HC_CLI_HELP, or -1 with err. */
static int parse_options(int argc, char **argv, compare_job *job, char *err, size_t errlen) {
  const char *model = "tiny-64", *methods = NULL, *sched = "layer";
  memset(job, 0, sizeof *job);
  job->common.hw_path = "models/hw/standard.ini";
  const hc_cli_opt opts[] = {
      HC_STRING("model", &model),         HC_STRING("mesh", &job->common.mesh),
      HC_STRING("methods", &methods),     HC_INT("batch", &job->b, 1),
      HC_INT("seq", &job->s, 1),          HC_FLAG("dry-run", &job->common.phantom),
      HC_STRING("hw", &job->common.hw_path), HC_STRING("csv", &job->csv),
      HC_STRING("schedule", &sched),      HC_INT("micro-batches", &job->micro, 0),
      HC_RECOMPUTE("recompute", &job->recompute), HC_LORA_OPTS(&job->lora)};
  char pbuf[1024];
  int rank, rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, errlen);
  if (rc) return rc;
  if (hc_model_config_load(hc_cli_model_path(model, pbuf, sizeof pbuf), &job->cfg, err, errlen) ||
      hc_cli_lora_apply(&job->lora, &job->cfg, err, errlen))
    return -1;
  int n = hc_cli_method_names(methods, "--methods: ", 0, &job->methods, err, errlen);
  if (n == 0) return hc_err(err, errlen, "--methods: give at least one method");
  if (n < 0) return -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (job->csv && rank == 0 && hc_arg_output(job->csv, err, errlen)) return -1;
  if (!job->common.phantom && hc_model_fits_memory(&job->cfg, err, errlen)) return -1;
  return hc_cli_schedule(sched, &job->sched, err, errlen);
}

/* Runs one step of `name`; fills r on rank 0. */
static void measure(hc_cli_env *env, const compare_job *job, const char *name, row *r) {
  const hc_model_config *cfg = &job->cfg;
  int b = job->b, s = job->s, dry = job->common.phantom, micro = job->micro;
  char err[HC_ERRLEN];
  int bad = hc_cli_method_check(name, env, cfg, b, s, err, sizeof err) != 0, any;
  MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, env->mesh.cart);
  snprintf(r->method, sizeof r->method, "%s", name);
  if (any) {
    r->ok = 0;
    snprintf(r->why, sizeof r->why, "%s", bad ? err : "cannot run on some chiplet");
    return;
  }
  r->ok = 1;
  /* Each method's own communication buffers, not the previous one's. */
  hc_comm_release_scratch(&env->comm);
  hc_method m;
  hc_params p;
  hc_method_opts mo = {.recompute = job->recompute};
  hc_cli_method_make(name, env, cfg, b, s, dry, &mo, &m, &p);
  hc_params_init(&p, 1);
  hc_model md;
  hc_model_init(&md, &m);
  int *batch = hc_cli_random_batch(b, s, cfg->vocab_size, 11);
  hc_ledger_reset(&env->ledger);
  hc_ledger_sram_plan(&env->ledger, job->sched, micro > 0 ? micro : b, (double)p.n_params, (double)p.n_train,
                      hc_model_saved_floats(&m));
  hc_step_opts so = {.opt = NULL}; /* one step costed; the update is charged, not applied */
  hc_train_step(&md, batch, &so);
  hc_ledger_sram_finish(&env->ledger, 0);
  double mem[HC_NMEM], mx[HC_NMEM];
  hc_cli_memory(env, &m, md.bytes, mem);
  MPI_Reduce(mem, mx, HC_NMEM, MPI_DOUBLE, MPI_MAX, 0, env->mesh.cart);
  hc_ledger_report rep;
  hc_ledger_gather(&env->ledger, env->mesh.cart, &rep);
  if (env->mesh.rank == 0) {
    r->sent = r->nop = r->busiest = 0;
    for (int n = 0; n < rep.nodes; n++) {
      r->sent = fmax(r->sent, (double)rep.chiplet[n].sent);
      r->nop = fmax(r->nop, rep.chiplet[n].nop_time);
    }
    for (int l = 0; l < rep.nlinks; l++) r->busiest = fmax(r->busiest, (double)hc_report_link_total(&rep, l));
    r->weights = mx[HC_MEM_PARAMS];
    r->state = mx[HC_MEM_PARAMS] + mx[HC_MEM_GRADS] + mx[HC_MEM_OPTIM];
    r->act = dry ? mx[HC_MEM_ACT_FORMULA] : mx[HC_MEM_ACT];
    r->buffers = mx[HC_MEM_BUFFERS];
    hc_cost cost;
    hc_cost_from_report(&rep, &cost);
    r->time = cost.time, r->exposed = cost.exposed_comm;
    r->energy = cost.energy_link + cost.energy_dram + cost.energy_compute;
    r->nsram = rep.nsram;
    memcpy(r->sram, rep.sram, sizeof rep.sram);
    hc_ledger_report_free(&rep);
  }
  free(batch);
  hc_model_free(&md);
  hc_cli_method_free(&m);
}

static const char kCsvHeader[] =
    "method,runs,reason,bytes_sent_per_chiplet,busiest_link_bytes,nop_time_s,"
    "weights_bytes,weights_grads_adam_bytes,activation_bytes,buffer_bytes,"
    "bytes_ratio_to_hecaton,time_ratio_to_hecaton,step_time_s,exposed_comm_s,"
    "energy_j,step_time_ratio_to_hecaton,energy_ratio_to_hecaton\n";

/* a / b, or NaN without a reference to divide by. */
static double ratio(double a, const row *ref, double b) { return ref && b > 0 ? a / b : NAN; }

/* One method's line of the table and of the CSV (f may be NULL). */
static void print_row(row *r, const row *ref, int dry, FILE *f) {
  if (!r->ok) {
    printf("%-12s cannot run: %s\n", r->method, r->why);
    if (f) {
      for (char *c = r->why; *c; c++) if (*c == '"') *c = '\'';
      fprintf(f, "%s,0,\"%s\",,,,,,,,,,,,,,\n", r->method, r->why);
    }
    return;
  }
  char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];
  double xb = ratio(r->sent, ref, ref ? ref->sent : 0), xt = ratio(r->nop, ref, ref ? ref->nop : 0);
  double xs = ratio(r->time, ref, ref ? ref->time : 0);
  double xe = ratio(r->energy, ref, ref ? ref->energy : 0);
  printf("%-12s %12s %12s %13.6e %13.6e %11.4e %11s %13s %12s %11s %8.2f %8.2f %8.2f\n",
         r->method, hc_fmt_bytes(r->sent, b1, sizeof b1), hc_fmt_bytes(r->busiest, b2, sizeof b2),
         r->nop, r->time, r->energy, hc_fmt_bytes(r->weights, b3, sizeof b3),
         hc_fmt_bytes(r->state, b4, sizeof b4), hc_fmt_bytes(r->act, b5, sizeof b5),
         dry ? "-" : hc_fmt_bytes(r->buffers, b6, sizeof b6), xb, xt, xe);
  if (f)
    fprintf(f, "%s,1,,%.0f,%.0f,%.9g,%.0f,%.0f,%.0f,%.0f,%.6g,%.6g,%.9g,%.9g,%.9g,%.6g,%.6g\n",
            r->method, r->sent, r->busiest, r->nop, r->weights, r->state, r->act,
            dry ? 0.0 : r->buffers, xb, xt, r->time, r->exposed, r->energy, xs, xe);
}

/* Rank 0: the table, and the CSV; 0, or 1 if the CSV could not be written. */
static int print_table(const compare_job *job, const hc_cli_env *env, row *rows, double t0) {
  const row *ref = NULL;
  int dry = job->common.phantom, rc = 0;
  for (int k = 0; k < job->methods.n; k++)
    if (rows[k].ok && !strcmp(rows[k].method, "hecaton")) ref = &rows[k];
  char lora[96] = "";
  if (job->cfg.lora_rank > 0)
    snprintf(lora, sizeof lora, ", LoRA rank %d (alpha %g)", job->cfg.lora_rank, job->cfg.lora_alpha);
  printf("# hecaton compare: model %s on a %dx%d mesh, batch %d x %d tokens, hardware '%s', %s, "
         "recompute %s%s\n", job->cfg.name, env->mesh.topo.R, env->mesh.topo.C, job->b, job->s,
         env->hw.name, dry ? "dry-run" : "data mode", hc_recompute_name(job->recompute), lora);
  printf("%-12s %12s %12s %13s %13s %11s %11s %13s %12s %11s %8s %8s %8s\n", "method",
         "sent/chiplet", "busiest link", "NoP time (s)", "step time (s)", "energy (J)", "weights",
         "+grads+Adam", "activations", "buffers", "x bytes", "x time", "x energy");
  FILE *f = job->csv ? fopen(job->csv, "w") : NULL;
  if (job->csv && !f) rc = 1;
  if (f) fputs(kCsvHeader, f);
  for (int k = 0; k < job->methods.n; k++) print_row(&rows[k], ref, dry, f);
  fflush(stdout);
  for (int k = 0; k < job->methods.n; k++) { /* what fits and what spills, per method */
    if (rows[k].ok) hc_sram_print(rows[k].sram, rows[k].nsram, 1, rows[k].method, stdout);
    /* whole lines per write: mpirun interleaves stdout and stderr by writes */
    fflush(stdout);
  }
  if (f) {
    fclose(f);
    printf("CSV written to %s\n", job->csv);
  }
  printf("emulator: %.2f s wall\n", hc_wtime() - t0);
  fflush(stdout);
  return rc;
}

int hc_cmd_compare(int argc, char **argv) {
  char err[HC_ERRLEN];
  compare_job job;
  int rc = parse_options(argc, argv, &job, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  if (hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) return 1;
  hc_cli_env env;
  if (hc_cli_env_init(&env, &job.common)) return 1;
  if (!job.b) job.b = hc_cli_default_batch(env.mesh.topo.R, env.mesh.topo.C);
  if (!job.s) job.s = job.cfg.max_seq_len < 64 ? job.cfg.max_seq_len : 64;
  row rows[HC_CLI_MAX_METHODS];
  double t0 = hc_wtime();
  for (int k = 0; k < job.methods.n; k++) {
    measure(&env, &job, job.methods.names[k], &rows[k]);
    /* progress on stderr, so that the table on stdout stays a table */
    if (env.mesh.rank == 0)
      fprintf(stderr, "compare: %s done (%d/%d), %.1f s elapsed\n", job.methods.names[k], k + 1,
              job.methods.n, hc_wtime() - t0);
  }
  if (env.mesh.rank == 0) rc = print_table(&job, &env, rows, t0);
  hc_cli_env_free(&env);
  if (rc) snprintf(err, sizeof err, "%s: cannot write the CSV", job.csv);
  return hc_agree(MPI_COMM_WORLD, rc ? err : NULL) ? 1 : 0;
}
