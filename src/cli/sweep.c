/* sweep.c: `hecaton sweep`: the analytic estimator (estimate.h) over the
 * cross product of values of hardware keys (those of models/hw/NAME.ini,
 * named section_key: link_bandwidth, die_pj_per_flop, io_edges, ...) and
 * workload keys (mesh, batch, seq, micro_batches, schedule), for every mesh
 * method of the registry. One CSV row per point and method: the point, the
 * step's time, energy, bytes and memory per chiplet, and each method's
 * step time and energy as ratios to Hecaton's at the same point (a method
 * that cannot run a point gets a row saying why). The charts are drawn by
 * `hecaton plot` (plot.c) from a table written here: step time, energy
 * and the two ratios against the first swept key, one line per method. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/args.h"
#include "hecaton/estimate.h"
#include "hecaton/topo.h"
#include "hecaton/util.h"

/* ---- the keys ------------------------------------------------------------ */

typedef enum {
  K_HW,       /* a positive number of the hardware file */
  K_FRACTION, /* a hardware fraction in (0, 1] */
  K_ELEMENT,  /* [link] element_bytes: 1, 2, 4 or 8 */
  K_EDGES,    /* [io] edges: "west+east", "all" */
  K_MESH,     /* RxC */
  K_BATCH,
  K_SEQ,
  K_MICRO,    /* micro-batches, 0: one per sequence */
  K_SCHEDULE, /* layer | micro */
  K_RECOMPUTE,/* activation recomputation: none, selective or full (model.h) */
} key_kind;

typedef struct {
  const char *name; /* hardware: the file's section_key */
  key_kind kind;
  size_t offset;    /* into hc_hw, for the hardware keys */
  const char *label;/* for the charts' x axis, with the unit of value / scale */
  double scale;
} sweep_key;

#define HW(name, kind, field, label, scale) {name, kind, offsetof(hc_hw, field), label, scale}
static const sweep_key kKeys[] = {
    HW("die_peak_flops", K_HW, peak_flops, "die peak (TFLOP/s)", 1e12),
    HW("die_efficiency", K_FRACTION, compute_eff, "compute efficiency (fraction of peak)", 1),
    HW("die_sram_bytes", K_HW, sram_bytes, "SRAM per die (MiB)", 1048576),
    HW("die_pj_per_flop", K_HW, pj_per_flop, "compute energy (pJ/FLOP)", 1),
    HW("link_bandwidth", K_HW, link_bw, "link bandwidth per direction (GB/s)", 1e9),
    HW("link_latency", K_HW, link_latency, "link latency per hop (ns)", 1e-9),
    HW("link_overhead", K_HW, msg_overhead, "overhead per message (ns)", 1e-9),
    HW("link_efficiency", K_FRACTION, link_eff, "link efficiency (fraction of bandwidth)", 1),
    HW("link_pj_per_bit", K_HW, link_pj_per_bit, "link energy (pJ/bit)", 1),
    HW("link_element_bytes", K_ELEMENT, elem_bytes, "bytes per element on the wire (B)", 1),
    HW("io_edges", K_EDGES, io_edges, "I/O die edges", 1),
    HW("io_port_bandwidth", K_HW, io_port_bw, "I/O port bandwidth per direction (GB/s)", 1e9),
    HW("dram_bandwidth", K_HW, dram_bw, "DRAM bandwidth per I/O die (GB/s)", 1e9),
    HW("dram_pj_per_bit", K_HW, dram_pj_per_bit, "DRAM energy (pJ/bit)", 1),
    {"mesh", K_MESH, 0, "chiplets (R x C mesh)", 1},
    {"batch", K_BATCH, 0, "batch (sequences per step)", 1},
    {"seq", K_SEQ, 0, "sequence length (tokens)", 1},
    {"micro_batches", K_MICRO, 0, "micro-batches per step", 1},
    {"schedule", K_SCHEDULE, 0, "DRAM schedule", 1},
    {"recompute", K_RECOMPUTE, 0, "activation recomputation (none, selective, full)", 1},
};
#undef HW
#define N_KEYS (sizeof kKeys / sizeof kKeys[0])

/* "a, b, ..." of the keys, for the unknown-key message. */
static const char *key_list(void) {
  static char buf[512];
  size_t o = 0;
  for (size_t k = 0; k < N_KEYS && o < sizeof buf; k++)
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", k ? ", " : "", kKeys[k].name);
  return buf;
}

/* Set key to the text v in the point *in: 0, or -1 with "--param KEY 'v': ...". */
static int apply(const sweep_key *key, const char *v, hc_estimate_in *in, char *err, size_t errlen) {
  char name[80], edges[128];
  snprintf(name, sizeof name, "--param %s", key->name);
  double *field = (double *)((char *)&in->hw + key->offset);
  switch (key->kind) {
    case K_HW: return hc_arg_positive(v, name, field, err, errlen);
    case K_FRACTION:
      if (hc_arg_positive(v, name, field, err, errlen)) return -1;
      return *field > 1 ? hc_err(err, errlen, "%s '%s': expected a fraction in (0, 1]", name, v) : 0;
    case K_ELEMENT: {
      int *e = (int *)((char *)&in->hw + key->offset);
      if (hc_arg_int(v, name, 1, e, err, errlen)) return -1;
      return *e == 1 || *e == 2 || *e == 4 || *e == 8
                 ? 0 : hc_err(err, errlen, "%s '%s': expected 1, 2, 4 or 8", name, v);
    }
    case K_EDGES: {
      snprintf(edges, sizeof edges, "%s", strcmp(v, "all") ? v : "west+east+north+south");
      for (char *c = edges; *c; c++) if (*c == '+') *c = ',';
      unsigned *mask = (unsigned *)((char *)&in->hw + key->offset);
      return strchr(v, ' ') || hc_parse_edges(edges, mask)
                 ? hc_err(err, errlen, "%s '%s': expected edges joined by '+' (west+east), or all",
                          name, v) : 0;
    }
    case K_MESH:
      if (hc_parse_mesh(v, &in->R, &in->C, err, errlen) == 0) return 0;
      return hc_err(err, errlen, "%s '%s': expected RxC, e.g. 8x8", name, v);
    case K_BATCH: return hc_arg_int(v, name, 1, &in->b, err, errlen);
    case K_SEQ: return hc_arg_int(v, name, 1, &in->s, err, errlen);
    case K_MICRO: return hc_arg_int(v, name, 0, &in->micro_batches, err, errlen);
    case K_SCHEDULE:
      return hc_parse_schedule(v, &in->schedule)
                 ? hc_err(err, errlen, "%s '%s': expected layer or micro", name, v) : 0;
    case K_RECOMPUTE: {
      hc_recompute r;
      if (hc_parse_recompute(v, &r))
        return hc_err(err, errlen, "%s '%s': expected none, selective or full", name, v);
      in->recompute = (int)r;
      return 0;
    }
  }
  return 0;
}

/* ---- the options ----------------------------------------------------------- */

#define MAX_PARAMS 8
#define MAX_VALUES 64
#define MAX_POINTS 4096

typedef struct {
  const sweep_key *key;
  const char *values[MAX_VALUES]; /* into text */
  int n;
  char text[1024];
} sweep_param;

typedef struct {
  hc_estimate_in base;  /* the point before the swept keys are applied */
  sweep_param params[MAX_PARAMS];
  int np, points;
  hc_cli_method_set methods; /* hecaton first: the ratios' reference */
  const char *csv, *svg;
} sweep_job;

static void help(void) {
  printf("usage: mpirun -np 1 hecaton sweep --param KEY=V1,V2,... [--param ...] --model M\n"
         "                              --mesh RxC --csv OUT.csv [options]\n"
         "  --param KEY=V1,V2,...  a key and its values; several --param: their cross product\n"
         "                         (the first varies slowest). Keys:\n");
  for (size_t k = 0; k < N_KEYS; k++)
    printf("    %-20s %s\n", kKeys[k].name, kKeys[k].label);
  printf("                         hardware keys: [section] key of models/hw/NAME.ini as\n"
         "                         section_key; io_edges: edges joined by '+' (west+east) or all\n"
         "  --methods LIST         comma-separated (default: every mesh method); hecaton always\n"
         "                         runs, the ratios' reference. Of:\n");
  hc_cli_help_methods(1);
  printf("  --hw FILE              the hardware before the sweep (default models/hw/standard.ini)\n"
         "  --batch B --seq S      (default: B = 2 x lcm(R, C), S = min(2048, max_seq_len))\n"
         "  --schedule layer|micro --micro-batches M   the DRAM model (default layer, M = B)\n"
         "  --recompute MODE       none, selective (default) or full (bare: full); the\n"
         "                         key recompute sweeps it\n"
         "  --csv FILE             one row per point and method (written whole)\n"
         "  --svg FILE.svg         charts against the first key: FILE.svg (step time),\n"
         "                         FILE-energy.svg, FILE-speedup.svg, FILE-energy-ratio.svg\n"
         "Columns time_ratio and energy_ratio: a method's step time and energy over\n"
         "Hecaton's at the same point (above 1: Hecaton is faster, or spends less).\n");
}

/* Take every --param out of argv (into p), leaving the other arguments. */
static int take_params(int *argc, char **argv, sweep_job *job, char *err, size_t errlen) {
  int out = 2;
  for (int a = 2; a < *argc; a++) {
    const char *v = NULL;
    if (!strcmp(argv[a], "--param")) {
      if (a + 1 == *argc) return hc_err(err, errlen, "option --param needs a value");
      v = argv[++a];
    } else if (!strncmp(argv[a], "--param=", 8)) {
      v = argv[a] + 8;
    } else {
      argv[out++] = argv[a];
      continue;
    }
    if (job->np == MAX_PARAMS) return hc_err(err, errlen, "--param: at most %d keys", MAX_PARAMS);
    sweep_param *p = &job->params[job->np++];
    snprintf(p->text, sizeof p->text, "%s", v);
  }
  *argc = out;
  return 0;
}

/* One --param's text into its key and values, each checked on a copy of the point. */
static int parse_param(sweep_job *job, sweep_param *p, char *err, size_t errlen) {
  char given[1100];
  snprintf(given, sizeof given, "%s", p->text);
  char *eq = strchr(p->text, '=');
  if (!eq) return hc_err(err, errlen, "--param '%s': expected KEY=V1,V2,...", given);
  *eq = '\0';
  for (size_t k = 0; k < N_KEYS; k++)
    if (!strcmp(p->text, kKeys[k].name)) p->key = &kKeys[k];
  if (!p->key)
    return hc_err(err, errlen, "--param '%s': unknown key '%s' (keys: %s)", given, p->text, key_list());
  for (sweep_param *q = job->params; q < p; q++)
    if (q->key == p->key) return hc_err(err, errlen, "--param: key '%s' given twice", p->text);
  if (!eq[1]) return hc_err(err, errlen, "--param '%s': no values (expected KEY=V1,V2,...)", given);
  for (char *v = eq + 1, *next; v; v = next) {
    next = strchr(v, ',');
    if (next) *next++ = '\0';
    if (!*v) return hc_err(err, errlen, "--param '%s': an empty value", given);
    if (p->n == MAX_VALUES) return hc_err(err, errlen, "--param '%s': at most %d values", given, MAX_VALUES);
    hc_estimate_in scratch = job->base;
    if (apply(p->key, v, &scratch, err, errlen)) return -1;
    p->values[p->n++] = v;
  }
  return 0;
}

/* The method list with hecaton first (added when not named). */
static int method_set(const char *list, hc_cli_method_set *set, char *err, size_t errlen) {
  hc_cli_method_set named;
  if (hc_cli_method_names(list, "--methods ", 1, &named, err, errlen) < 0) return -1;
  set->n = 0;
  set->names[set->n++] = "hecaton";
  for (int k = 0; k < named.n && set->n < HC_CLI_MAX_METHODS; k++)
    if (strcmp(named.names[k], "hecaton")) set->names[set->n++] = named.names[k];
  /* names point into named.buf when given: keep them in set->buf */
  size_t o = 0;
  for (int k = 1; k < set->n; k++) {
    size_t n = strlen(set->names[k]) + 1;
    if (o + n > sizeof set->buf) return hc_err(err, errlen, "--methods: list too long");
    memcpy(set->buf + o, set->names[k], n);
    set->names[k] = set->buf + o, o += n;
  }
  return 0;
}

/* Options, model, hardware, the keys and their values: 0, HC_CLI_HELP or -1 with err. */
static int parse_options(int argc, char **argv, sweep_job *job, char *err, size_t errlen) {
  const char *model = NULL, *mesh = NULL, *methods = NULL, *hw = "models/hw/standard.ini",
             *sched = "layer";
  hc_estimate_in *in = &job->base;
  int b = 0, s = 0;
  hc_recompute recompute = HC_RECOMPUTE_SELECTIVE;
  memset(job, 0, sizeof *job);
  in->chunks = 1;
  if (take_params(&argc, argv, job, err, errlen)) return -1;
  const hc_cli_opt opts[] = {
      HC_STRING("model", &model),       HC_STRING("mesh", &mesh),
      HC_STRING("methods", &methods),   HC_STRING("hw", &hw),
      HC_INT("batch", &b, 1),           HC_INT("seq", &s, 1),
      HC_STRING("schedule", &sched),    HC_INT("micro-batches", &in->micro_batches, 0),
      HC_RECOMPUTE("recompute", &recompute),
      HC_STRING("csv", &job->csv),      HC_STRING("svg", &job->svg)};
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, errlen);
  if (rc) return rc;
  in->recompute = (int)recompute;
  if (!model || !job->csv) return hc_err(err, errlen, "sweep: give --model and --csv");
  if (job->np == 0) return hc_err(err, errlen, "sweep: give at least one --param KEY=V1,V2,...");
  char b1[1024], b2[1024];
  if (hc_model_config_load(hc_cli_model_path(model, b1, sizeof b1), &in->cfg, err, errlen) ||
      hc_hw_load(hc_cli_find_file(hw, b2, sizeof b2), &in->hw, err, errlen) ||
      hc_cli_schedule(sched, &in->schedule, err, errlen))
    return -1;
  job->points = 1;
  const sweep_param *meshes = NULL;
  for (int k = 0; k < job->np; k++) {
    if (parse_param(job, &job->params[k], err, errlen)) return -1;
    if (job->params[k].key->kind == K_MESH) meshes = &job->params[k];
    job->points *= job->params[k].n;
    if (job->points > MAX_POINTS)
      return hc_err(err, errlen, "--param: more than %d points in the cross product", MAX_POINTS);
  }
  /* The mesh the defaults follow: --mesh, or the first swept one. */
  if (mesh ? hc_parse_mesh(mesh, &in->R, &in->C, err, errlen)
           : meshes ? apply(meshes->key, meshes->values[0], in, err, errlen)
                    : hc_err(err, errlen, "sweep: give --mesh RxC (or sweep mesh)"))
    return -1;
  in->b = b ? b : hc_cli_default_batch(in->R, in->C);
  in->s = s ? s : in->cfg.max_seq_len < 2048 ? in->cfg.max_seq_len : 2048;
  if (job->svg && (strlen(job->svg) < 5 || strcmp(job->svg + strlen(job->svg) - 4, ".svg")))
    return hc_err(err, errlen, "--svg '%s': expected a name ending in .svg", job->svg);
  return method_set(methods, &job->methods, err, errlen);
}

/* ---- the sweep (rank 0) ------------------------------------------------------- */

/* Point p: the value index of each key (the last key varies fastest). */
static void point_values(const sweep_job *job, int p, int *idx) {
  for (int k = job->np - 1; k >= 0; k--) idx[k] = p % job->params[k].n, p /= job->params[k].n;
}

typedef struct {
  int ok;
  char why[HC_ERRLEN];
  hc_estimate_out o;
} method_result;

static double energy(const hc_estimate_out *o) {
  return o->energy_link + o->energy_dram + o->energy_compute;
}

/* A swept key has a column of its own, unless the run's columns show it
 * (batch, seq, schedule, micro_batches). */
static int own_column(const sweep_key *key) {
  return key->kind != K_BATCH && key->kind != K_SEQ && key->kind != K_SCHEDULE && key->kind != K_MICRO &&
         key->kind != K_RECOMPUTE;
}

static void csv_header(FILE *f, const sweep_job *job) {
  fprintf(f, "point,model,hardware");
  for (int k = 0; k < job->np; k++)
    if (own_column(job->params[k].key)) fprintf(f, ",%s", job->params[k].key->name);
  fprintf(f, ",mesh_rows,mesh_cols,batch,seq,schedule,micro_batches,recompute,method,runs,reason,"
             "step_time_s,compute_busy_s,nop_busy_s,dram_busy_s,exposed_comm_s,energy_j,"
             "energy_link_j,energy_dram_j,energy_compute_j,bytes_sent_per_chiplet,link_byte_hops,"
             "dram_bytes,flops_total,params_bytes_per_chiplet,state_bytes_per_chiplet,time_ratio,"
             "energy_ratio\n");
}

/* One row: the point, the method, its figures and its ratios to Hecaton (r[0]). */
static void csv_row(FILE *f, const sweep_job *job, int p, const int *idx, const hc_estimate_in *in,
                    int m, const method_result *r) {
  fprintf(f, "%d,%s,%s", p + 1, in->cfg.name, in->hw.name);
  for (int k = 0; k < job->np; k++)
    if (own_column(job->params[k].key)) fprintf(f, ",%s", job->params[k].values[idx[k]]);
  fprintf(f, ",%d,%d,%d,%d,%s,%d,%s,%s,", in->R, in->C, in->b, in->s, hc_schedule_name(in->schedule),
          in->micro_batches, hc_recompute_name((hc_recompute)in->recompute), job->methods.names[m]);
  const method_result *me = &r[m];
  if (!me->ok) {
    char why[HC_ERRLEN];
    snprintf(why, sizeof why, "%s", me->why);
    for (char *c = why; *c; c++) if (*c == ',' || *c == '"' || *c == '\n') *c = ';';
    fprintf(f, "0,\"%s\",,,,,,,,,,,,,,,,,\n", why);
    return;
  }
  const hc_estimate_out *o = &me->o;
  fprintf(f, "1,,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.0f,%.9g,%.9g,%.9g,%.0f,%.0f,", o->time,
          o->busy[HC_ENG_COMPUTE], o->busy[HC_ENG_NOP], o->busy[HC_ENG_DRAM], o->exposed_comm,
          energy(o), o->energy_link, o->energy_dram, o->energy_compute, o->sent, o->link_bytes,
          o->dram_bytes, o->flops, o->params_bytes, 4 * o->params_bytes);
  if (r[0].ok) fprintf(f, "%.6g,%.6g\n", o->time / r[0].o.time, energy(o) / energy(&r[0].o));
  else fprintf(f, ",\n");
}

/* The chart's x for a value: the number in the label's unit; a mesh, its
 * chiplets; a word (edges, schedule), its place in the list. */
static double chart_x(const sweep_param *p, int v) {
  const sweep_key *key = p->key;
  hc_estimate_in scratch = {0};
  char err[HC_ERRLEN];
  double x = v + 1;
  if (key->kind == K_MESH && apply(key, p->values[v], &scratch, err, sizeof err) == 0)
    x = (double)scratch.R * scratch.C;
  else if (key->kind != K_EDGES && key->kind != K_SCHEDULE)
    hc_parse_number(p->values[v], &x), x /= key->scale;
  return x;
}

/* The table the charts are drawn from: x, the series (method, and the
 * other keys' values when they vary), the figures and ratios. */
static void chart_row(FILE *g, const sweep_job *job, const int *idx, const char *method,
                      const method_result *r, const method_result *hec) {
  fprintf(g, "%.9g,%s", chart_x(&job->params[0], idx[0]), method);
  for (int k = 1; k < job->np; k++)
    if (job->params[k].n > 1) fprintf(g, " %s=%s", job->params[k].key->name, job->params[k].values[idx[k]]);
  const hc_estimate_out *o = &r->o;
  fprintf(g, ",%.9g,%.9g,", o->time, energy(o));
  if (hec->ok) fprintf(g, "%.6g,%.6g\n", o->time / hec->o.time, energy(o) / energy(&hec->o));
  else fprintf(g, ",\n");
}

static void print_row(const sweep_job *job, const int *idx, const char *method, const method_result *r,
                      const method_result *hec) {
  char point[256];
  size_t o = 0;
  for (int k = 0; k < job->np && o < sizeof point; k++)
    o += (size_t)snprintf(point + o, sizeof point - o, "%s%s=%s", k ? " " : "", job->params[k].key->name,
                          job->params[k].values[idx[k]]);
  if (!r->ok) {
    printf("%-40s %-12s cannot run: %s\n", point, method, r->why);
    return;
  }
  printf("%-40s %-12s %13.6e %12.4e", point, method, r->o.time, energy(&r->o));
  if (hec->ok) printf(" %8.3f %8.3f", r->o.time / hec->o.time, energy(&r->o) / energy(&hec->o));
  printf("\n");
}

/* Every point, every method: the CSV, and the charts' table when asked. */
static int sweep_rows(const sweep_job *job, const char *chart_csv) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", job->csv);
  FILE *f = fopen(tmp, "w"), *g = chart_csv ? fopen(chart_csv, "w") : NULL;
  if (!f || (chart_csv && !g)) {
    fprintf(stderr, "hecaton: error: %s: cannot be written\n", f ? chart_csv : job->csv);
    if (f) fclose(f), remove(tmp);
    return 1;
  }
  csv_header(f, job);
  if (g) fprintf(g, "x,series,step_time_s,energy_j,time_ratio,energy_ratio\n");
  const hc_estimate_in *b = &job->base;
  printf("# hecaton sweep: model %s, mesh %dx%d, batch %d x %d tokens, hardware '%s', %d point(s)\n",
         b->cfg.name, b->R, b->C, b->b, b->s, b->hw.name, job->points);
  printf("%-40s %-12s %13s %12s %8s %8s\n", "point", "method", "step time (s)", "energy (J)", "time/hec",
         "J/hec");
  method_result r[HC_CLI_MAX_METHODS];
  for (int p = 0; p < job->points; p++) {
    int idx[MAX_PARAMS];
    char err[HC_ERRLEN];
    hc_estimate_in in = job->base;
    point_values(job, p, idx);
    for (int k = 0; k < job->np; k++) apply(job->params[k].key, job->params[k].values[idx[k]], &in, err, sizeof err);
    for (int m = 0; m < job->methods.n; m++) {
      in.method = job->methods.names[m];
      r[m].ok = hc_estimate(&in, &r[m].o, r[m].why, sizeof r[m].why) == 0;
    }
    for (int m = 0; m < job->methods.n; m++) {
      csv_row(f, job, p, idx, &in, m, r);
      print_row(job, idx, job->methods.names[m], &r[m], &r[0]);
      if (g && r[m].ok) chart_row(g, job, idx, job->methods.names[m], &r[m], &r[0]);
    }
  }
  int bad = g && fclose(g);
  if (fclose(f) || rename(tmp, job->csv)) {
    remove(tmp);
    fprintf(stderr, "hecaton: error: %s: cannot be written\n", job->csv);
    return 1;
  }
  printf("CSV written to %s (%d rows)\n", job->csv, job->points * job->methods.n);
  return bad;
}

/* ---- the charts: `hecaton plot` on the table -------------------------------- */

/* A chart of column y of the table (all ranks: plot is collective). */
static int chart(const sweep_job *job, const char *table, const char *y, const char *ylabel,
                 const char *what, const char *suffix, int logy) {
  const sweep_param *p = &job->params[0];
  const hc_estimate_in *b = &job->base;
  char out[4096], title[512], xlabel[600], legend[256], where[128] = "";
  snprintf(out, sizeof out, "%.*s%s.svg", (int)(strlen(job->svg) - 4), job->svg, suffix);
  int mesh_swept = 0, load_swept = 0;
  for (int k = 0; k < job->np; k++) {
    mesh_swept |= job->params[k].key->kind == K_MESH;
    load_swept |= job->params[k].key->kind == K_BATCH || job->params[k].key->kind == K_SEQ;
  }
  if (!mesh_swept) snprintf(where, sizeof where, " on %dx%d", b->R, b->C);
  if (!load_swept)
    snprintf(where + strlen(where), sizeof where - strlen(where), ", %d x %d tokens", b->b, b->s);
  snprintf(title, sizeof title, "%s%s (%s): %s against %s", b->cfg.name, where, b->hw.name, what, p->key->name);
  size_t o = (size_t)snprintf(xlabel, sizeof xlabel, "%s", p->key->label);
  if (p->key->kind == K_EDGES || p->key->kind == K_SCHEDULE) /* words: their places */
    for (int v = 0; v < p->n && o < sizeof xlabel; v++)
      o += (size_t)snprintf(xlabel + o, sizeof xlabel - o, "%s %d = %s", v ? "," : ":", v + 1, p->values[v]);
  snprintf(legend, sizeof legend, "method%s", job->np > 1 ? " and point" : "");
  /* log x over a wide range of positive values */
  double lo = INFINITY, hi = -INFINITY;
  for (int v = 0; v < p->n; v++) lo = fmin(lo, chart_x(p, v)), hi = fmax(hi, chart_x(p, v));
  int logx = lo > 0 && hi / lo >= 8;
  char *argv[32];
  int argc = 0;
  const char *args[] = {"hecaton", "plot", "--csv", table, "--x", "x", "--y", y, "--series", "series",
                        "--out", out, "--title", title, "--x-label", xlabel, "--y-label", ylabel,
                        "--legend-title", legend};
  for (size_t k = 0; k < sizeof args / sizeof args[0]; k++) argv[argc++] = (char *)args[k];
  if (logx) argv[argc++] = "--log-x";
  if (logy) argv[argc++] = "--log-y";
  argv[argc] = NULL;
  return hc_cmd_plot(argc, argv);
}

/* Rank 0: whether column y of the table has numbers, and whether they span
 * enough for a log axis; -1: none. */
static int column_scale(const char *table, int col) {
  FILE *f = fopen(table, "r");
  if (!f) return -1;
  char line[1024];
  double lo = INFINITY, hi = -INFINITY;
  while (fgets(line, sizeof line, f)) {
    char *c = line;
    for (int k = 0; k < col && c; k++) c = strchr(c, ','), c = c ? c + 1 : NULL;
    double v;
    char cell[64];
    if (!c) continue;
    size_t n = strcspn(c, ",\n");
    snprintf(cell, sizeof cell, "%.*s", (int)(n < 63 ? n : 63), c);
    if (hc_parse_number(cell, &v) == 0 && v > 0) lo = fmin(lo, v), hi = fmax(hi, v);
  }
  fclose(f);
  return hi < lo ? -1 : hi / lo >= 30;
}

static int charts(const sweep_job *job, const char *table, int rank) {
  static const struct {
    const char *y, *ylabel, *what, *suffix;
    int col;
  } kCharts[] = {
      {"step_time_s", "simulated step time (s)", "step time", "", 2},
      {"energy_j", "energy per step (J)", "energy", "-energy", 3},
      {"time_ratio", "step time / Hecaton's (speed-up of Hecaton)", "speed-up of Hecaton", "-speedup", 4},
      {"energy_ratio", "energy / Hecaton's (energy ratio)", "energy ratio to Hecaton", "-energy-ratio", 5},
  };
  int rc = 0;
  for (size_t k = 0; k < sizeof kCharts / sizeof kCharts[0] && !rc; k++) {
    int scale = rank == 0 ? column_scale(table, kCharts[k].col) : 0;
    MPI_Bcast(&scale, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (scale < 0) continue; /* nothing to draw (no baseline ran, say) */
    rc = chart(job, table, kCharts[k].y, kCharts[k].ylabel, kCharts[k].what, kCharts[k].suffix,
               k < 2 && scale);
  }
  return rc;
}

int hc_cmd_sweep(int argc, char **argv) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char err[HC_ERRLEN];
  static sweep_job job;
  int rc = parse_options(argc, argv, &job, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  int bad = rc != 0;
  if (!bad && rank == 0) /* find out now that the outputs cannot be written */
    bad = hc_arg_output(job.csv, err, sizeof err) || (job.svg && hc_arg_output(job.svg, err, sizeof err));
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  char table[4096];
  snprintf(table, sizeof table, "%s.chart.csv", job.svg ? job.svg : "");
  rc = rank == 0 ? sweep_rows(&job, job.svg ? table : NULL) : 0;
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (rc || !job.svg) return rc;
  rc = charts(&job, table, rank);
  if (rank == 0) remove(table);
  return rc;
}
