/* estimate.c: `hecaton estimate`: the analytic estimator (estimate.h) from
 * the command line: any mesh size, no MPI ranks needed (rank 0 computes;
 * run it with mpirun -np 1). One row per method, text and CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/args.h"
#include "hecaton/estimate.h"
#include "hecaton/util.h"

static void help(void) {
  printf(
      "usage: mpirun -np 1 hecaton estimate --model M --mesh RxC [options]\n"
      "  --method LIST         comma-separated, of (default hecaton):\n");
  hc_cli_help_methods(1);
  printf(
      "  --hw FILE             hardware file (default models/hw/standard.ini)\n"
      "  --batch B --seq S     (default: B = 2 x lcm(R, C), S = min(2048, max_seq_len))\n"
      "  --chunks K            hecaton's forward linears in K token chunks (default 1)\n"
      "  --save-gathered       keep gathered inputs for backward\n"
      "  --recompute MODE      none (keep the attention probabilities), selective\n"
      "                        (default: recompute them in backward) or full (run each\n"
      "                        layer again in backward); a bare --recompute means full\n"
      "  --schedule layer|micro --micro-batches M   the DRAM model (default layer, M = B)\n"
      "  --csv FILE            append one CSV row per method (header when the file is new)\n"
      HC_LORA_HELP
      "One training step: bytes sent by the busiest chiplet, its NoP time, the step's\n"
      "simulated time and where it goes, FLOPs per NoP byte, energy by component; then\n"
      "per method the SRAM working sets (what fits, is tiled or streams, DRAM bytes).\n");
}

/* What to estimate, from the options. */
typedef struct {
  hc_estimate_in in;
  hc_cli_method_set methods;
  const char *csv;
} estimate_job;

static int estimate_rows(const estimate_job *job);

/* Options, model, hardware and mesh: 0, HC_CLI_HELP, or -1 with err. */
static int parse_options(int argc, char **argv, estimate_job *job, char *err, size_t errlen) {
  const char *model = "tiny-64", *mesh = "2x2", *methods = "hecaton",
             *hw = "models/hw/standard.ini", *sched = "layer";
  hc_estimate_in *in = &job->in;
  int b = 0, s = 0;
  hc_recompute recompute = HC_RECOMPUTE_SELECTIVE;
  hc_cli_lora lora = {0};
  *in = (hc_estimate_in){.chunks = 1, .micro_batches = 0};
  job->csv = NULL;
  const hc_cli_opt opts[] = {
      HC_STRING("model", &model),        HC_STRING("mesh", &mesh),
      HC_STRING("method", &methods),     HC_STRING("hw", &hw),
      HC_INT("batch", &b, 1),            HC_INT("seq", &s, 1),
      HC_INT("chunks", &in->chunks, 1),  HC_FLAG("save-gathered", &in->save_gathered),
      HC_RECOMPUTE("recompute", &recompute),
      HC_STRING("schedule", &sched),     HC_INT("micro-batches", &in->micro_batches, 0),
      HC_STRING("csv", &job->csv),       HC_LORA_OPTS(&lora)};
  char b1[1024], b2[1024];
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, errlen);
  if (rc) return rc;
  in->recompute = (int)recompute;
  if (hc_model_config_load(hc_cli_model_path(model, b1, sizeof b1), &in->cfg, err, errlen) ||
      hc_cli_lora_apply(&lora, &in->cfg, err, errlen) ||
      hc_hw_load(hc_cli_find_file(hw, b2, sizeof b2), &in->hw, err, errlen) ||
      hc_parse_mesh(mesh, &in->R, &in->C, err, errlen) ||
      hc_cli_schedule(sched, &in->schedule, err, errlen))
    return -1;
  in->b = b ? b : hc_cli_default_batch(in->R, in->C);
  in->s = s ? s : in->cfg.max_seq_len < 2048 ? in->cfg.max_seq_len : 2048;
  if (in->s > in->cfg.max_seq_len)
    return hc_err(err, errlen, "--seq %d is longer than the model's max_seq_len %d", in->s,
                  in->cfg.max_seq_len);
  return hc_cli_method_names(methods, "--method ", 1, &job->methods, err, errlen) < 0 ? -1 : 0;
}

int hc_cmd_estimate(int argc, char **argv) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char err[HC_ERRLEN];
  estimate_job job;
  int rc = parse_options(argc, argv, &job, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  int bad = rc != 0;
  if (!bad && job.csv && rank == 0) /* find out now that the CSV cannot be written */
    bad = hc_arg_output(job.csv, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  rc = rank == 0 ? estimate_rows(&job) : 0;
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}

/* The CSV to append to, with its header when new; NULL after a message. */
static FILE *open_csv(const char *csv) {
  FILE *probe = fopen(csv, "r");
  int fresh = probe == NULL;
  if (probe) fclose(probe);
  FILE *f = fopen(csv, "a");
  if (!f) {
    fprintf(stderr, "hecaton: error: %s: cannot write the CSV\n", csv);
    return NULL;
  }
  if (fresh)
    fprintf(f, "model,method,mesh_rows,mesh_cols,batch,seq,hardware,schedule,micro_batches,chunks,"
               "runs,reason,bytes_sent_per_chiplet,nop_time_s,step_time_s,compute_busy_s,"
               "dram_busy_s,exposed_comm_s,flops_per_chiplet,flops_per_nop_byte,flops_total,"
               "link_byte_hops,dram_bytes,energy_link_j,energy_dram_j,energy_compute_j,"
               "params_bytes_per_chiplet,chiplets_evaluated,wall_s,recompute,"
               "state_bytes_per_chiplet,lora_rank\n");
  return f;
}

/* The CSV's first columns: the configuration of the row. */
static void csv_config(FILE *f, const hc_estimate_in *in, const char *name) {
  fprintf(f, "%s,%s,%d,%d,%d,%d,%s,%s,%d,%d,", in->cfg.name, name, in->R, in->C, in->b, in->s,
          in->hw.name, hc_schedule_name(in->schedule), in->micro_batches, in->chunks);
}

/* A method that cannot run: why, on stdout and in the CSV. */
static void row_cannot_run(FILE *f, const hc_estimate_in *in, const char *name, char *why) {
  printf("%-12s cannot run: %s\n", name, why);
  if (!f) return;
  for (char *c = why; *c; c++) if (*c == ',' || *c == '"') *c = ';';
  csv_config(f, in, name);
  fprintf(f, "0,\"%s\"%s,%s,,%d\n", why, ",,,,,,,,,,,,,,,,,",
          hc_recompute_name((hc_recompute)in->recompute), in->cfg.lora_rank);
}

static void row_estimate(FILE *f, const hc_estimate_in *in, const char *name,
                         const hc_estimate_out *o, double wall) {
  char b1[64];
  double energy = o->energy_link + o->energy_dram + o->energy_compute;
  double ratio = o->sent > 0 ? o->flops_chiplet / o->sent : 0;
  char b2[64];
  printf("%-12s %12s %13.6e %13.6e %13.6e %13.6e %10.1f %12.4e %8.3f %13s\n", name,
         hc_fmt_bytes(o->sent, b1, sizeof b1), o->nop_time, o->time, o->busy[HC_ENG_COMPUTE],
         o->exposed_comm, ratio, energy, wall, hc_fmt_bytes(o->state_bytes, b2, sizeof b2));
  if (!f) return;
  csv_config(f, in, name);
  fprintf(f, "1,,%.0f,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.0f,%d,%.3f,"
          "%s,%.0f,%d\n", o->sent, o->nop_time, o->time, o->busy[HC_ENG_COMPUTE], o->busy[HC_ENG_DRAM],
          o->exposed_comm, o->flops_chiplet, ratio, o->flops, o->link_bytes, o->dram_bytes,
          o->energy_link, o->energy_dram, o->energy_compute, o->params_bytes, o->evaluated, wall,
          hc_recompute_name((hc_recompute)in->recompute), o->state_bytes, in->cfg.lora_rank);
}

/* Rank 0: one row per method. */
static int estimate_rows(const estimate_job *job) {
  hc_estimate_in in = job->in;
  FILE *f = job->csv ? open_csv(job->csv) : NULL;
  if (job->csv && !f) return 1;
  char lora[96] = "";
  if (in.cfg.lora_rank > 0)
    snprintf(lora, sizeof lora, ", LoRA rank %d (alpha %g)", in.cfg.lora_rank, in.cfg.lora_alpha);
  printf("# hecaton estimate: model %s, mesh %dx%d, batch %d x %d tokens, hardware '%s', DRAM %s, "
         "recompute %s%s\n", in.cfg.name, in.R, in.C, in.b, in.s, in.hw.name,
         hc_schedule_name(in.schedule), hc_recompute_name((hc_recompute)in.recompute), lora);
  printf("%-12s %12s %13s %13s %13s %13s %10s %12s %8s %13s\n", "method", "sent/chiplet",
         "NoP time (s)", "step time (s)", "compute (s)", "exposed (s)", "FLOP/B", "energy (J)",
         "wall (s)", "state/chiplet");
  hc_estimate_out *o = hc_calloc((size_t)job->methods.n, sizeof *o);
  int *ok = hc_calloc((size_t)job->methods.n, sizeof *ok);
  for (int k = 0; k < job->methods.n; k++) {
    char err[HC_ERRLEN];
    in.method = job->methods.names[k];
    double t0 = hc_wtime();
    ok[k] = hc_estimate(&in, &o[k], err, sizeof err) == 0;
    if (ok[k]) row_estimate(f, &in, in.method, &o[k], hc_wtime() - t0);
    else row_cannot_run(f, &in, in.method, err);
  }
  for (int k = 0; k < job->methods.n; k++) /* what fits and what spills, as compare prints it */
    if (ok[k]) hc_sram_print(o[k].sram, o[k].nsram, 1, job->methods.names[k], stdout);
  free(o), free(ok);
  return f && fclose(f) ? 1 : 0;
}
