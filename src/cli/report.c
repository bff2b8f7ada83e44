/* report.c: `hecaton report FILE.h5`: a saved run's report read back whole
 * and shown without HDF5 tools: its configuration, the per-step ledger by
 * collective and by phase/op, the busiest links, time and energy, memory
 * per chiplet; as text, or as one long CSV table (--csv); the link heatmap
 * and the Chrome trace of its last step can be drawn from it again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/cost.h"
#include "hecaton/pictures.h"
#include "hecaton/util.h"

static void help(void) {
  printf("usage: hecaton report FILE.h5 [--csv] [--heatmap FILE.svg] [--trace FILE.json]\n"
         "  FILE.h5              a report from 'hecaton train --report' (or bench-collectives)\n"
         "  --csv                the figures as one CSV table on stdout:\n"
         "                       table,row,column,value (config, phase_op, collective, link,\n"
         "                       chiplet, time, energy, memory)\n"
         "  --heatmap FILE.svg   draw the run's link heatmap again\n"
         "  --trace FILE.json    write the last step's Chrome trace again (needs a report of a\n"
         "                       run that recorded its timeline: train --report does)\n");
}

/* CSV: one figure per line; a field that may hold a comma (link and
 * chiplet names, the configuration's values) is quoted. */
static void csv_config(const char *config, FILE *f) {
  char buf[2048];
  snprintf(buf, sizeof buf, "%s", config);
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    char *eq = strstr(line, " = ");
    if (!eq) continue;
    *eq = '\0';
    fprintf(f, "config,%s,value,\"", line);
    for (const char *p = eq + 3; *p; p++) fprintf(f, *p == '"' ? "\"\"" : "%c", *p);
    fprintf(f, "\"\n");
  }
}

static void print_csv(const hc_ledger_report *r, FILE *f) {
  long n = r->steps > 0 ? r->steps : 1;
  fprintf(f, "table,row,column,value\n");
  csv_config(r->config, f);
  if (!r->config[0]) /* a report without the run's configuration: what it holds itself */
    fprintf(f, "config,mesh,value,\"%dx%d\"\nconfig,steps,value,\"%ld\"\nconfig,hardware,value,\"%s\"\n",
            r->topo.R, r->topo.C, r->steps, r->hw.name);
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) {
      const hc_counters *c = &r->tag[p][o];
      double fl = r->flops_tag[p][o];
      if (!c->msgs && fl == 0) continue;
      const char *row[2] = {hc_phase_name(p), hc_opkind_name(o)};
      fprintf(f, "phase_op,%s/%s,bytes_sent_per_step,%.17g\n", row[0], row[1], (double)c->sent / n);
      fprintf(f, "phase_op,%s/%s,messages_per_step,%.17g\n", row[0], row[1], (double)c->msgs / n);
      fprintf(f, "phase_op,%s/%s,nop_time_s_per_step,%.17g\n", row[0], row[1], c->nop_time / n);
      fprintf(f, "phase_op,%s/%s,flops_per_step,%.17g\n", row[0], row[1], fl / n);
    }
  for (int k = 0; k < HC_NCOLLS; k++) {
    const hc_coll_stats *s = &r->coll[k];
    if (!s->calls) continue;
    fprintf(f, "collective,%s,calls,%llu\n", hc_coll_name(k), (unsigned long long)s->calls);
    fprintf(f, "collective,%s,payload_bytes,%llu\n", hc_coll_name(k), (unsigned long long)s->bytes);
    fprintf(f, "collective,%s,sim_time_s,%.17g\n", hc_coll_name(k), s->sim_time);
  }
  for (int k = 0; k < r->nlinks; k++) {
    if (!hc_link_valid(&r->topo, k)) continue;
    uint64_t b = hc_report_link_total(r, k);
    char name[64];
    hc_link_name(&r->topo, k, name, sizeof name);
    fprintf(f, "link,\"%s\",bytes_per_step,%.17g\n", name, (double)b / n);
  }
  for (int c = 0; c < r->nodes; c++) {
    const char *cols[] = {"bytes_sent", "bytes_received", "messages", "nop_time_s", "step_time_s",
                          "flops", "dram_bytes"};
    double v[] = {(double)r->chiplet[c].sent, (double)r->chiplet[c].recv, (double)r->chiplet[c].msgs,
                  r->chiplet[c].nop_time, r->step_time[c], r->flops[c], r->dram_bytes[c]};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
      fprintf(f, "chiplet,\"(%d,%d)\",%s_per_step,%.17g\n", c / r->topo.C, c % r->topo.C, cols[k], v[k] / n);
  }
  hc_cost cost;
  hc_cost_from_report(r, &cost);
  fprintf(f, "time,step,total_s,%.17g\n", cost.time / n);
  for (int e = 0; e < HC_NENGINES; e++) fprintf(f, "time,step,busy_%s_s,%.17g\n", hc_engine_name(e), cost.busy[e] / n);
  fprintf(f, "time,step,exposed_communication_s,%.17g\n", cost.exposed_comm / n);
  fprintf(f, "energy,step,links_J,%.17g\nenergy,step,dram_J,%.17g\nenergy,step,compute_J,%.17g\n",
          cost.energy_link / n, cost.energy_dram / n, cost.energy_compute / n);
  fprintf(f, "energy,step,total_J,%.17g\n", (cost.energy_link + cost.energy_dram + cost.energy_compute) / n);
  for (int p = 0; p < HC_NPHASES; p++) fprintf(f, "energy,%s,total_J,%.17g\n", hc_phase_name(p), cost.energy_phase[p] / n);
  for (int k = 0; k < r->nmem; k++) {
    double mx = 0;
    for (int c = 0; c < r->nodes; c++) mx = fmax(mx, r->memory[(size_t)k * r->nodes + c]);
    fprintf(f, "memory,largest_chiplet,%s_bytes,%.17g\n", r->mem_names[k], mx);
  }
}

/* The report as text: its configuration, then the cost summary. */
static void print_text(const char *path, const hc_ledger_report *r) {
  printf("# hecaton report %s: mesh %dx%d, hardware '%s', %ld step(s)\n", path, r->topo.R,
         r->topo.C, r->hw.name, r->steps);
  if (r->config[0]) {
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", r->config);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) printf("#   %s\n", line);
  }
  hc_cli_print_summary(r, stdout);
}

/* The pictures drawn again (rank 0): 0, or -1 with the reason in err. */
static int redraw(const hc_ledger_report *r, const char *heatmap, const char *trace, FILE *notes,
                  char *err, size_t errlen) {
  hc_cost cost;
  hc_cost_from_report(r, &cost);
  if (heatmap) {
    if (hc_heatmap_svg(r, cost.time, heatmap, err, errlen)) return -1;
    fprintf(notes, "link heatmap written to %s\n", heatmap);
  }
  if (trace) {
    if (hc_trace_json_events(&r->topo, r->nodes, r->event_counts, r->events, trace, err, errlen))
      return -1;
    fprintf(notes, "Chrome trace written to %s\n", trace);
  }
  return 0;
}

int hc_cmd_report(int argc, char **argv) {
  int rank, csv = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const char *path = NULL, *heatmap = NULL, *trace = NULL;
  const hc_cli_opt opts[] = {HC_FLAG("csv", &csv), HC_STRING("heatmap", &heatmap),
                             HC_STRING("trace", &trace)};
  hc_cli_args file = {.args = &path, .max = 1};
  char err[HC_ERRLEN] = "";
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), &file, help, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  int bad = rc != 0;
  if (!bad && !path) bad = hc_err(err, sizeof err, "report: give the report file (hecaton report FILE.h5)") != 0;
  hc_ledger_report r;
  memset(&r, 0, sizeof r);
  /* The report is read and written on rank 0; the verdict is shared. */
  if (!bad && rank == 0) bad = hc_ledger_read_h5(path, &r, err, sizeof err) != 0;
  if (!bad && rank == 0 && trace && !r.events)
    bad = hc_err(err, sizeof err, "%s: the report holds no timeline events (written by a run "
                 "without --report's timeline, e.g. bench-collectives): cannot draw a trace", path) != 0;
  if (!bad && rank == 0) {
    if (csv) print_csv(&r, stdout);
    else print_text(path, &r);
    bad = redraw(&r, heatmap, trace, csv ? stderr : stdout, err, sizeof err) != 0;
    fflush(stdout);
  }
  if (rank == 0) {
    free(r.memory);
    hc_ledger_report_free(&r);
  }
  return hc_agree(MPI_COMM_WORLD, bad ? err : NULL) ? 1 : 0;
}
