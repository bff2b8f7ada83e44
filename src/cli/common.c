/* common.c: option values, mesh/ledger set-up and the cost report shared by
 * the commands. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "hecaton/cost.h"
#include "hecaton/parallel.h"
#include "hecaton/pictures.h"
#include "hecaton/optim.h"
#include "hecaton/step.h"
#include "hecaton/util.h"

int hc_cli_algo(const char *s, hc_algo *out, char *err, size_t errlen) {
  if (hc_parse_algo(s, out)) return hc_err(err, errlen, "--algo '%s': expected ring or bidir", s);
  return 0;
}

int hc_cli_schedule(const char *s, hc_schedule *out, char *err, size_t errlen) {
  if (hc_parse_schedule(s, out))
    return hc_err(err, errlen, "--schedule '%s': expected layer or micro", s);
  return 0;
}

int hc_cli_default_batch(int R, int C) {
  int l = R > C ? R : C;
  while (l % R || l % C) l++;
  return 2 * l;
}

void hc_cli_random_tokens(hc_rng *r, int *batch, int b, int s, int vocab) {
  for (size_t k = 0; k < (size_t)b * (size_t)(s + 1); k++)
    batch[k] = (int)(hc_rng_u64(r) % (uint64_t)vocab);
}

int *hc_cli_random_batch(int b, int s, int vocab, uint64_t seed) {
  int *batch = hc_malloc((size_t)b * (size_t)(s + 1) * sizeof(int));
  hc_rng r;
  hc_rng_seed(&r, seed);
  hc_cli_random_tokens(&r, batch, b, s, vocab);
  return batch;
}

void hc_cli_time_steps(hc_model *md, const int *batch, int steps, MPI_Comm comm, double *best,
                       double *mean) {
  hc_adamw opt = {0.9, 0.95, 1e-8, 0.1};
  *best = 1e30, *mean = 0;
  for (int st = 0; st <= steps; st++) { /* step 0 warms up */
    if (comm != MPI_COMM_NULL) MPI_Barrier(comm);
    double t0 = hc_wtime();
    hc_step_opts so = {.opt = &opt, .lr = 1e-4, .clip = 1.0, .t = st + 1};
    hc_train_step(md, batch, &so);
    double dt = hc_wtime() - t0, slowest = dt;
    if (comm != MPI_COMM_NULL) MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
    if (st == 0) continue;
    *mean += slowest / steps;
    if (slowest < *best) *best = slowest;
  }
}

const char *hc_cli_find_file(const char *path, char *buf, size_t len) {
  if (access(path, R_OK) == 0 || path[0] == '/') return path;
  snprintf(buf, len, "%s/%s", HECATON_SOURCE_DIR, path);
  return access(buf, R_OK) == 0 ? buf : path;
}

/* The squarest R x C with R*C == n and R <= C. */
static void squarest(int n, int *R, int *C) {
  int r = 1;
  for (int k = 1; k * k <= n; k++)
    if (n % k == 0) r = k;
  *R = r, *C = n / r;
}

int hc_cli_env_init(hc_cli_env *env, const hc_cli_common *o) {
  memset(env, 0, sizeof *env);
  char err[HC_ERRLEN], pathbuf[1024], meshbuf[32];
  const char *hw_path = hc_cli_find_file(o->hw_path, pathbuf, sizeof pathbuf);
  int bad = hc_hw_load(hw_path, &env->hw, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return -1;
  const char *spec = o->mesh;
  if (!spec) {
    int size, R, C;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    squarest(size, &R, &C);
    snprintf(meshbuf, sizeof meshbuf, "%dx%d", R, C);
    spec = meshbuf;
  }
  if (hc_mesh_create(&env->mesh, spec, env->hw.io_edges)) return -1;
  hc_ledger_init(&env->ledger, &env->mesh.topo, &env->hw, env->mesh.rank);
  hc_comm_init(&env->comm, &env->mesh, &env->ledger, o->algo, o->phantom);
  return 0;
}

void hc_cli_env_free(hc_cli_env *env) {
  hc_comm_free(&env->comm);
  hc_ledger_free(&env->ledger);
  hc_mesh_free(&env->mesh);
}

int hc_cli_finish_ledger(hc_cli_env *env, const char *report_path, int print) {
  hc_ledger_report rep;
  hc_ledger_gather(&env->ledger, env->mesh.cart, &rep);
  char err[HC_ERRLEN];
  int bad = 0;
  if (env->mesh.rank == 0) {
    if (print) hc_ledger_print(&rep, stdout);
    if (report_path) {
      bad = hc_ledger_write_h5(&rep, report_path, err, sizeof err) != 0;
      if (!bad) printf("report written to %s\n", report_path);
    }
    fflush(stdout);
    hc_ledger_report_free(&rep);
  }
  return hc_agree(env->mesh.cart, bad ? err : NULL);
}

/* ---- the cost report of a training run ----------------------------------- */

void hc_cli_memory(const hc_cli_env *env, const hc_method *m, size_t activation_bytes,
                   double out[HC_NMEM]) {
  double pf = sizeof(float) * (double)m->p->n_params, tf = sizeof(float) * (double)m->p->n_train;
  out[HC_MEM_PARAMS] = pf, out[HC_MEM_GRADS] = tf, out[HC_MEM_OPTIM] = 2 * tf;
  out[HC_MEM_ACT] = (double)activation_bytes;
  out[HC_MEM_ACT_FORMULA] = sizeof(float) * hc_model_saved_floats(m);
  out[HC_MEM_BUFFERS] = (double)((env->comm.stage_cap + env->comm.work_cap) * sizeof(float));
  out[HC_MEM_PARAMS_FORMULA] = pf;
  const hc_method_desc *d = hc_method_of(m);
  double buffers = d->buffer_bytes ? (double)d->buffer_bytes(m) : 0;
  double formula = d->param_floats ? d->param_floats(m) : 0;
  if (!m->phantom) out[HC_MEM_BUFFERS] += buffers;
  /* LoRA's adapters: the parts of A and B this chiplet's target blocks use */
  for (size_t t = 0; formula > 0 && t < m->p->n_tensors; t++)
    if (m->p->tensors[t].spec.kind >= HC_P_NKINDS) formula += (double)m->p->tensors[t].numel;
  if (formula > 0) out[HC_MEM_PARAMS_FORMULA] = sizeof(float) * formula;
  out[HC_MEM_RSS] = 0;
}

#define NMEM HC_NMEM
#define MEM_PARAMS HC_MEM_PARAMS
#define MEM_GRADS HC_MEM_GRADS
#define MEM_OPTIM HC_MEM_OPTIM
#define MEM_ACT HC_MEM_ACT
#define MEM_ACT_FORMULA HC_MEM_ACT_FORMULA
#define MEM_BUFFERS HC_MEM_BUFFERS
#define MEM_PARAMS_FORMULA HC_MEM_PARAMS_FORMULA
#define MEM_RSS HC_MEM_RSS
static const char *const kMemNames[NMEM] = {
    "params", "grads", "optimizer", "activations", "activations_formula", "comm_buffers",
    "params_formula", "peak_rss"};

/* The cost summary of a gathered report: what a training run prints at its
 * end and what `hecaton report` prints of a saved one. */
void hc_cli_print_summary(const hc_ledger_report *rep, FILE *f) {
  long n = rep->steps > 0 ? rep->steps : 1;
  int size = rep->nodes;
  double mx[NMEM] = {0};
  for (int k = 0; k < rep->nmem && k < NMEM; k++)
    for (int r = 0; r < size; r++) mx[k] = fmax(mx[k], rep->memory[(size_t)k * size + r]);
  uint64_t sent_max = 0;
  double nop = 0;
  for (int r = 0; r < size; r++) {
    if (rep->chiplet[r].sent > sent_max) sent_max = rep->chiplet[r].sent;
    nop = fmax(nop, rep->chiplet[r].nop_time);
  }
  char b1[32], b2[32];
  fprintf(f, "cost per step (%ld step(s) run; %s):\n", rep->steps,
          rep->phantom ? "dry-run, the same schedule as a real step" : "measured");
  if (size == 1) { /* nothing to count on links: say so rather than print zeros */
    fprintf(f, "  one die (1x1 mesh): no die-to-die link exists, so nothing is sent; its compute,\n"
               "  DRAM traffic, time and energy on this die follow\n");
  } else {
    fprintf(f, "  bytes sent per chiplet (busiest): %s; simulated NoP time (slowest chiplet): %.6e s\n",
            hc_fmt_bytes((double)sent_max / n, b1, sizeof b1), nop / n);
    if (rep->steps > 1)
      fprintf(f, "  (the ledger's tables below are totals over the %ld steps)\n", rep->steps);
    hc_ledger_print(rep, f);
  }
  hc_cost cost;
  hc_cost_from_report(rep, &cost);
  hc_cost_print(&cost, n, f);
  hc_sram_print(rep->sram, rep->nsram, n, NULL, f);
  if (rep->nmem < NMEM) return; /* no memory columns (not a training run) */
  fprintf(f, "memory per chiplet (largest over the mesh)      %s   closed form\n",
          rep->phantom ? "held by a real run" : "measured         ");
  fprintf(f, "  parameters                                    %12s   %12s\n",
          hc_fmt_bytes(mx[MEM_PARAMS], b1, sizeof b1), hc_fmt_bytes(mx[MEM_PARAMS_FORMULA], b2, sizeof b2));
  fprintf(f, "  gradients                                     %12s\n", hc_fmt_bytes(mx[MEM_GRADS], b1, sizeof b1));
  fprintf(f, "  optimizer state (Adam m, v)                   %12s\n", hc_fmt_bytes(mx[MEM_OPTIM], b1, sizeof b1));
  fprintf(f, "  activations (saved for backward + scratch)    %12s   %12s saved\n",
          rep->phantom ? "-" : hc_fmt_bytes(mx[MEM_ACT], b1, sizeof b1),
          hc_fmt_bytes(mx[MEM_ACT_FORMULA], b2, sizeof b2));
  fprintf(f, "  communication buffers                         %12s\n",
          rep->phantom ? "-" : hc_fmt_bytes(mx[MEM_BUFFERS], b1, sizeof b1));
}

int hc_cli_cost_report(hc_cli_env *env, const hc_method *m, const hc_trainer *tr,
                       const char *report_path, double wall, const char *trace_path,
                       const char *heatmap_path) {
  int rank = env->mesh.rank, size = env->mesh.size;
  double mine[NMEM];
  hc_cli_memory(env, m, tr->activation_bytes, mine);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  mine[MEM_RSS] = 1024.0 * (double)ru.ru_maxrss;
  double *all = rank == 0 ? hc_malloc((size_t)size * NMEM * sizeof(double)) : NULL;
  MPI_Gather(mine, NMEM, MPI_DOUBLE, all, NMEM, MPI_DOUBLE, 0, env->mesh.cart);
  double wmax;
  MPI_Reduce(&wall, &wmax, 1, MPI_DOUBLE, MPI_MAX, 0, env->mesh.cart);

  char err[HC_ERRLEN];
  int bad = 0;
  hc_ledger_report rep;
  hc_ledger_gather(&env->ledger, env->mesh.cart, &rep);
  if (env->ledger.trace) hc_ledger_gather_events(&env->ledger, env->mesh.cart, &rep);
  if (trace_path) {
    bad = hc_trace_json(&env->ledger, env->mesh.cart, trace_path, err, sizeof err) != 0;
    if (!bad && rank == 0) printf("Chrome trace of the last step written to %s\n", trace_path);
  }
  if (rank == 0) {
    /* Columns by name, chiplets in order, for the report file. */
    double *cols = hc_malloc((size_t)size * NMEM * sizeof(double)), rss = 0;
    for (int r = 0; r < size; r++) {
      for (int k = 0; k < NMEM; k++) cols[(size_t)k * size + r] = all[(size_t)r * NMEM + k];
      rss = fmax(rss, all[(size_t)r * NMEM + MEM_RSS]);
    }
    rep.nmem = NMEM, rep.mem_names = kMemNames, rep.memory = cols, rep.steps = tr->steps_run;
    rep.phantom = m->phantom;
    snprintf(rep.config, sizeof rep.config, "%s", env->config);
    hc_cli_print_summary(&rep, stdout);
    char b1[32];
    printf("emulator: %.2f s wall, peak memory per rank %s\n", wmax, hc_fmt_bytes(rss, b1, sizeof b1));
    if (heatmap_path && !bad) {
      hc_cost cost;
      hc_cost_from_report(&rep, &cost);
      bad = hc_heatmap_svg(&rep, cost.time, heatmap_path, err, sizeof err) != 0;
      if (!bad) printf("link heatmap written to %s\n", heatmap_path);
    }
    if (report_path && !bad) {
      bad = hc_ledger_write_h5(&rep, report_path, err, sizeof err) != 0;
      if (!bad) printf("report written to %s\n", report_path);
    }
    fflush(stdout);
    rep.memory = NULL;
    free(cols);
    free(all);
    hc_ledger_report_free(&rep);
  }
  return hc_agree(env->mesh.cart, bad ? err : NULL);
}

int hc_cli_lora_apply(const hc_cli_lora *l, hc_model_config *cfg, char *err, size_t errlen) {
  if (!l->rank) {
    if (l->alpha > 0 || l->targets)
      return hc_err(err, errlen, "--lora-alpha and --lora-targets need --lora RANK");
    return 0;
  }
  unsigned mask;
  if (hc_lora_parse_targets(l->targets ? l->targets : "wq,wv", &mask))
    return hc_err(err, errlen, "--lora-targets '%s': expected a comma-separated list of wq, wk, "
                  "wv, wo, w1, w2, w3, or all", l->targets);
  int kv = hc_model_kv_dim(cfg), smallest = cfg->dim < cfg->ffn_dim ? cfg->dim : cfg->ffn_dim;
  if (mask & (1u << HC_P_WK | 1u << HC_P_WV) && kv < smallest) smallest = kv;
  if (l->rank > smallest)
    return hc_err(err, errlen, "--lora %d: the rank must not exceed the smallest dimension of a "
                  "target linear (%d)", l->rank, smallest);
  cfg->lora_rank = l->rank;
  cfg->lora_alpha = l->alpha > 0 ? l->alpha : l->rank;
  cfg->lora_targets = mask;
  return 0;
}
