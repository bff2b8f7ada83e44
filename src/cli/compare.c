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
} row;

static void help(void) {
  printf(
      "usage: mpirun -np R*C hecaton compare --model M --mesh RxC [options]\n"
      "  --methods LIST        (default hecaton,megatron,megatron-sp,summa)\n"
      "  --batch B --seq S     (default: B = 2 x lcm(R, C), S = 64 or the model's max)\n"
      "  --dry-run             phantom tensors: paper-scale models\n"
      "  --hw FILE             hardware file (default models/hw/standard.ini)\n"
      "  --csv FILE            also write the table as CSV\n"
      "  --schedule layer|micro --micro-batches M   the DRAM model (default layer, M = B)\n"
      "Per method, one training step (forward, backward, gradient norm): bytes sent by\n"
      "the busiest chiplet, bytes on the busiest directed link, simulated NoP time of\n"
      "the slowest chiplet, the step's simulated time (compute, NoP and DRAM engines)\n"
      "and energy, and memory per chiplet (largest over the mesh): weights,\n"
      "weights + gradients + Adam state, activations (measured; closed form in a\n"
      "dry-run) and communication buffers; ratios are method / hecaton.\n");
}

/* Runs one step of `name`; fills r on rank 0. */
static void measure(hc_cli_env *env, const char *name, const hc_model_config *cfg, int b, int s,
                    int dry, hc_schedule sched, int micro, row *r) {
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
  free(env->comm.stage), free(env->comm.work);
  env->comm.stage = env->comm.work = NULL, env->comm.stage_cap = env->comm.work_cap = 0;
  hc_method m;
  hc_params p;
  hc_cli_method_make(name, env, cfg, b, s, dry, NULL, &m, &p);
  hc_params_init(&p, 1);
  hc_model md;
  hc_model_init(&md, &m);
  int *batch = hc_calloc((size_t)b * (size_t)(s + 1), sizeof(int));
  hc_rng rng;
  hc_rng_seed(&rng, 11);
  for (int k = 0; k < b * (s + 1); k++) batch[k] = (int)(hc_rng_u64(&rng) % (uint64_t)cfg->vocab_size);
  hc_ledger_reset(&env->ledger);
  hc_step_opts so = {.opt = NULL}; /* one step costed; the update is charged, not applied */
  hc_train_step(&md, batch, &so);
  hc_dram_io io = hc_dram_bytes(&env->hw, (double)p.n_params, hc_model_saved_floats(&m),
                                env->hw.elem_bytes, sched, micro > 0 ? micro : b);
  hc_ledger_dram(&env->ledger, env->mesh.cart, io, 0);
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
    hc_ledger_report_free(&rep);
  }
  free(batch);
  hc_model_free(&md);
  hc_cli_method_free(&m);
}

int hc_cmd_compare(int argc, char **argv) {
  const char *model = "tiny-64", *mesh = NULL, *methods = "hecaton,megatron,megatron-sp,summa",
             *bs = NULL, *ss = NULL, *dry_s = NULL, *hw = "models/hw/standard.ini", *csv = NULL,
             *helpf = NULL, *sched_s = "layer", *micro_s = NULL;
  const hc_cli_opt opts[] = {{"--model", 1, &model}, {"--mesh", 1, &mesh},
                             {"--methods", 1, &methods}, {"--batch", 1, &bs}, {"--seq", 1, &ss},
                             {"--dry-run", 0, &dry_s}, {"--hw", 1, &hw}, {"--csv", 1, &csv},
                             {"--schedule", 1, &sched_s}, {"--micro-batches", 1, &micro_s},
                             {"--help", 0, &helpf}};
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char err[HC_ERRLEN], pbuf[1024];
  int bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err, sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0) help();
    return 0;
  }
  hc_model_config cfg;
  if (!bad) bad = hc_model_config_load(hc_cli_model_path(model, pbuf, sizeof pbuf), &cfg, err, sizeof err) != 0;
  char list[256];
  const char *names[8];
  int nm = 0;
  if (!bad && strlen(methods) >= sizeof list) bad = hc_err(err, sizeof err, "--methods: list too long") != 0;
  if (!bad) {
    strcpy(list, methods);
    for (char *t = strtok(list, ","); t && nm < 8; t = strtok(NULL, ",")) names[nm++] = t;
    if (nm == 0) bad = hc_err(err, sizeof err, "--methods: give at least one method") != 0;
    /* A misspelt name is an error, not a row that "cannot run". */
    for (int k = 0; k < nm && !bad; k++)
      if (strcmp(names[k], "hecaton") && strcmp(names[k], "megatron") &&
          strcmp(names[k], "megatron-sp") && strcmp(names[k], "summa") && strcmp(names[k], "single"))
        bad = hc_err(err, sizeof err,
                     "--methods: '%s': expected hecaton, megatron, megatron-sp, summa or single",
                     names[k]) != 0;
  }
  int b = 0, s = 0, micro = 0;
  bad = bad || hc_arg_int(bs, "--batch", 1, &b, err, sizeof err) ||
        hc_arg_int(ss, "--seq", 1, &s, err, sizeof err) ||
        hc_arg_int(micro_s, "--micro-batches", 0, &micro, err, sizeof err);
  if (!bad && csv && rank == 0) bad = hc_arg_output(csv, err, sizeof err) != 0;
  if (!bad && !dry_s) bad = hc_model_fits_memory(&cfg, err, sizeof err) != 0;
  hc_schedule sched;
  if (!bad && hc_parse_schedule(sched_s, &sched))
    bad = hc_err(err, sizeof err, "--schedule '%s': expected layer or micro", sched_s) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  int dry = dry_s != NULL;
  hc_cli_common co = {.mesh = mesh, .hw_path = hw, .phantom = dry};
  hc_cli_env env;
  if (hc_cli_env_init(&env, &co)) return 1;
  int R = env.mesh.topo.R, C = env.mesh.topo.C;
  int l = R > C ? R : C;
  while (l % R || l % C) l++;
  if (!bs) b = 2 * l;
  if (!ss) s = cfg.max_seq_len < 64 ? cfg.max_seq_len : 64;
  row rows[8];
  double t0 = hc_wtime();
  for (int k = 0; k < nm; k++) measure(&env, names[k], &cfg, b, s, dry, sched, micro, &rows[k]);
  int rc = 0;
  if (rank == 0) {
    const row *ref = NULL;
    for (int k = 0; k < nm; k++)
      if (rows[k].ok && !strcmp(rows[k].method, "hecaton")) ref = &rows[k];
    printf("# hecaton compare: model %s on a %dx%d mesh, batch %d x %d tokens, hardware '%s', %s\n",
           cfg.name, R, C, b, s, env.hw.name, dry ? "dry-run" : "data mode");
    printf("%-12s %12s %12s %13s %13s %11s %11s %13s %12s %11s %8s %8s %8s\n", "method",
           "sent/chiplet", "busiest link", "NoP time (s)", "step time (s)", "energy (J)", "weights",
           "+grads+Adam", "activations", "buffers", "x bytes", "x time", "x energy");
    FILE *f = csv ? fopen(csv, "w") : NULL;
    if (csv && !f) rc = 1;
    if (f)
      fprintf(f, "method,runs,reason,bytes_sent_per_chiplet,busiest_link_bytes,nop_time_s,"
                 "weights_bytes,weights_grads_adam_bytes,activation_bytes,buffer_bytes,"
                 "bytes_ratio_to_hecaton,time_ratio_to_hecaton,step_time_s,exposed_comm_s,"
                 "energy_j,step_time_ratio_to_hecaton,energy_ratio_to_hecaton\n");
    for (int k = 0; k < nm; k++) {
      const row *r = &rows[k];
      if (!r->ok) {
        printf("%-12s cannot run: %s\n", r->method, r->why);
        if (f) {
          for (char *c = rows[k].why; *c; c++) if (*c == '"') *c = '\'';
          fprintf(f, "%s,0,\"%s\",,,,,,,,,,,,,,\n", r->method, r->why);
        }
        continue;
      }
      char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];
      double xb = ref && ref->sent > 0 ? r->sent / ref->sent : NAN;
      double xt = ref && ref->nop > 0 ? r->nop / ref->nop : NAN;
      double xs = ref && ref->time > 0 ? r->time / ref->time : NAN;
      double xe = ref && ref->energy > 0 ? r->energy / ref->energy : NAN;
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
    if (f) {
      fclose(f);
      printf("CSV written to %s\n", csv);
    }
    printf("emulator: %.2f s wall\n", hc_wtime() - t0);
    fflush(stdout);
  }
  hc_cli_env_free(&env);
  bad = rc;
  MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (bad) {
    if (rank == 0) fprintf(stderr, "hecaton: error: %s: cannot write the CSV\n", csv);
    return 1;
  }
  return 0;
}
