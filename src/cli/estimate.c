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
      "  --method LIST         hecaton,megatron,megatron-sp,summa (default hecaton)\n"
      "  --hw FILE             hardware file (default models/hw/standard.ini)\n"
      "  --batch B --seq S     (default: B = 2 x lcm(R, C), S = min(2048, max_seq_len))\n"
      "  --chunks K            hecaton's forward linears in K token chunks (default 1)\n"
      "  --save-gathered       keep gathered inputs for backward\n"
      "  --schedule layer|micro --micro-batches M   the DRAM model (default layer, M = B)\n"
      "  --csv FILE            append one CSV row per method (header when the file is new)\n"
      "One training step: bytes sent by the busiest chiplet, its NoP time, the step's\n"
      "simulated time and where it goes, FLOPs per NoP byte, energy by component.\n");
}

static int estimate_rows(hc_estimate_in *in_, const char *methods, const char *csv);

int hc_cmd_estimate(int argc, char **argv) {
  const char *model = "tiny-64", *mesh = "2x2", *methods = "hecaton", *hw = "models/hw/standard.ini",
             *bs = NULL, *ss = NULL, *ks = NULL, *save_g = NULL, *sched = "layer", *micro = NULL,
             *csv = NULL, *helpf = NULL;
  const hc_cli_opt opts[] = {{"--model", 1, &model},  {"--mesh", 1, &mesh},     {"--method", 1, &methods},
                             {"--hw", 1, &hw},        {"--batch", 1, &bs},      {"--seq", 1, &ss},
                             {"--chunks", 1, &ks},    {"--save-gathered", 0, &save_g},
                             {"--schedule", 1, &sched}, {"--micro-batches", 1, &micro},
                             {"--csv", 1, &csv},      {"--help", 0, &helpf}};
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char err[HC_ERRLEN], b1[1024], b2[1024];
  int bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err, sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0) help();
    return 0;
  }
  hc_estimate_in in = {0};
  if (!bad) bad = hc_model_config_load(hc_cli_model_path(model, b1, sizeof b1), &in.cfg, err, sizeof err) != 0;
  if (!bad) bad = hc_hw_load(hc_cli_find_file(hw, b2, sizeof b2), &in.hw, err, sizeof err) != 0;
  if (!bad) bad = hc_parse_mesh(mesh, &in.R, &in.C, err, sizeof err) != 0;
  if (!bad && hc_parse_schedule(sched, &in.schedule))
    bad = hc_err(err, sizeof err, "--schedule '%s': expected layer or micro", sched) != 0;
  int l = 1;
  if (!bad) {
    l = in.R > in.C ? in.R : in.C;
    while (l % in.R || l % in.C) l++;
  }
  in.b = 2 * l, in.s = in.cfg.max_seq_len < 2048 ? in.cfg.max_seq_len : 2048;
  in.chunks = 1, in.save_gathered = save_g != NULL, in.micro_batches = 0;
  bad = bad || hc_arg_int(bs, "--batch", 1, &in.b, err, sizeof err) ||
        hc_arg_int(ss, "--seq", 1, &in.s, err, sizeof err) ||
        hc_arg_int(ks, "--chunks", 1, &in.chunks, err, sizeof err) ||
        hc_arg_int(micro, "--micro-batches", 0, &in.micro_batches, err, sizeof err);
  if (!bad && in.s > in.cfg.max_seq_len)
    bad = hc_err(err, sizeof err, "--seq %d is longer than the model's max_seq_len %d", in.s,
                 in.cfg.max_seq_len) != 0;
  char mlist[256];
  snprintf(mlist, sizeof mlist, "%s", methods);
  for (char *t = strtok(mlist, ","); t && !bad; t = strtok(NULL, ","))
    if (strcmp(t, "hecaton") && strcmp(t, "megatron") && strcmp(t, "megatron-sp") && strcmp(t, "summa"))
      bad = hc_err(err, sizeof err, "--method '%s': expected hecaton, megatron, megatron-sp or summa", t) != 0;
  if (!bad && csv && rank == 0) /* find out now that the CSV cannot be written */
    bad = hc_arg_output(csv, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  int rc = rank == 0 ? estimate_rows(&in, methods, csv) : 0;
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}

/* Rank 0: one row per method. */
static int estimate_rows(hc_estimate_in *in_, const char *methods, const char *csv) {
  hc_estimate_in in = *in_;
  char err[HC_ERRLEN], b1[64];

  FILE *f = NULL;
  if (csv) {
    FILE *probe = fopen(csv, "r");
    int fresh = probe == NULL;
    if (probe) fclose(probe);
    f = fopen(csv, "a");
    if (!f) {
      fprintf(stderr, "hecaton: error: %s: cannot write the CSV\n", csv);
      return 1;
    }
    if (fresh)
      fprintf(f, "model,method,mesh_rows,mesh_cols,batch,seq,hardware,schedule,micro_batches,chunks,"
                 "runs,reason,bytes_sent_per_chiplet,nop_time_s,step_time_s,compute_busy_s,"
                 "dram_busy_s,exposed_comm_s,flops_per_chiplet,flops_per_nop_byte,flops_total,"
                 "link_byte_hops,dram_bytes,energy_link_j,energy_dram_j,energy_compute_j,"
                 "params_bytes_per_chiplet,chiplets_evaluated,wall_s\n");
  }
  printf("# hecaton estimate: model %s, mesh %dx%d, batch %d x %d tokens, hardware '%s', DRAM %s\n",
         in.cfg.name, in.R, in.C, in.b, in.s, in.hw.name, hc_schedule_name(in.schedule));
  printf("%-12s %12s %13s %13s %13s %13s %10s %12s %8s\n", "method", "sent/chiplet", "NoP time (s)",
         "step time (s)", "compute (s)", "exposed (s)", "FLOP/B", "energy (J)", "wall (s)");
  char list[256];
  snprintf(list, sizeof list, "%s", methods);
  int rc = 0;
  for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
    in.method = name;
    hc_estimate_out o;
    double t0 = hc_wtime();
    int ok = hc_estimate(&in, &o, err, sizeof err) == 0;
    double wall = hc_wtime() - t0;
    if (!ok) {
      printf("%-12s cannot run: %s\n", name, err);
      if (f) {
        for (char *c = err; *c; c++) if (*c == ',' || *c == '"') *c = ';';
        fprintf(f, "%s,%s,%d,%d,%d,%d,%s,%s,%d,%d,0,\"%s\"%s\n", in.cfg.name, name, in.R, in.C, in.b,
                in.s, in.hw.name, hc_schedule_name(in.schedule), in.micro_batches, in.chunks, err,
                ",,,,,,,,,,,,,,,,,");
      }
      continue;
    }
    double energy = o.energy_link + o.energy_dram + o.energy_compute;
    double ratio = o.sent > 0 ? o.flops_chiplet / o.sent : 0;
    printf("%-12s %12s %13.6e %13.6e %13.6e %13.6e %10.1f %12.4e %8.3f\n", name,
           hc_fmt_bytes(o.sent, b1, sizeof b1), o.nop_time, o.time, o.busy[HC_ENG_COMPUTE],
           o.exposed_comm, ratio, energy, wall);
    if (f)
      fprintf(f, "%s,%s,%d,%d,%d,%d,%s,%s,%d,%d,1,,%.0f,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,"
                 "%.9g,%.9g,%.9g,%.9g,%.0f,%d,%.3f\n",
              in.cfg.name, name, in.R, in.C, in.b, in.s, in.hw.name, hc_schedule_name(in.schedule),
              in.micro_batches, in.chunks, o.sent, o.nop_time, o.time, o.busy[HC_ENG_COMPUTE],
              o.busy[HC_ENG_DRAM], o.exposed_comm, o.flops_chiplet, ratio, o.flops, o.link_bytes,
              o.dram_bytes, o.energy_link, o.energy_dram, o.energy_compute, o.params_bytes,
              o.evaluated, wall);
  }
  if (f && fclose(f)) rc = 1;
  return rc;
}
