/* ledger_h5.c: the gathered ledger as HDF5 tables under /metrics/.
 *
 *   /metrics/links/{from,to,slot}      int32 [L]  (-1 = I/O die)
 *   /metrics/links/bytes               uint64 [L]
 *   /metrics/links/bytes_by_phase      uint64 [L][HC_NPHASES]
 *   /metrics/chiplets/{sent,recv,messages,hops} uint64 [N], nop_time double [N]
 *   /metrics/collectives/{calls,bytes} uint64 [K], {sim_time,wall_time} double [K]
 * L counts only links that exist; attributes name the mesh and hardware.
 *   /report/...  every field of hc_ledger_report as it is in memory (the
 *                hardware and configuration as attributes; the SRAM model's
 *                rows as /report/sram/names and a table of phase, where,
 *                calls, working set, tiles, DRAM read and write), so that
 *                `hecaton report` reads a run back whole (hc_ledger_read_h5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/h5io.h"
#include "hecaton/report.h"
#include "hecaton/util.h"

#define U64 H5T_NATIVE_UINT64, H5T_STD_U64LE
#define I32 H5T_NATIVE_INT, H5T_STD_I32LE
#define F64 H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE

static int fill(const hc_ledger_report *r, hid_t file) {
  int rc = 0;
  size_t L = (size_t)hc_topo_count_links(&r->topo), N = (size_t)r->nodes;
  int *from = hc_malloc(L * sizeof(int)), *to = hc_malloc(L * sizeof(int));
  int *slot = hc_malloc(L * sizeof(int));
  uint64_t *bytes = hc_calloc(L, sizeof(uint64_t));
  uint64_t *by_phase = hc_calloc(L * HC_NPHASES, sizeof(uint64_t));
  for (int k = 0, row = 0; k < r->nlinks; k++) {
    if (hc_link_ends(&r->topo, k, &from[row], &to[row])) continue;
    slot[row] = k % HC_LINK_SLOTS;
    for (int p = 0; p < HC_NPHASES; p++)
      for (int o = 0; o < HC_NOPKINDS; o++) {
        uint64_t b = r->link_bytes[((size_t)p * HC_NOPKINDS + o) * r->nlinks + k];
        by_phase[(size_t)row * HC_NPHASES + p] += b;
        bytes[row] += b;
      }
    row++;
  }
  size_t d2[2] = {L, HC_NPHASES};
  rc |= hc_h5_write(file, "/metrics/links/from", I32, 1, &L, from);
  rc |= hc_h5_write(file, "/metrics/links/to", I32, 1, &L, to);
  rc |= hc_h5_write(file, "/metrics/links/slot", I32, 1, &L, slot);
  rc |= hc_h5_write(file, "/metrics/links/bytes", U64, 1, &L, bytes);
  rc |= hc_h5_write(file, "/metrics/links/bytes_by_phase", U64, 2, d2, by_phase);
  free(from), free(to), free(slot), free(bytes), free(by_phase);

  uint64_t *u = hc_malloc(N * sizeof(uint64_t) * 4);
  double *t = hc_malloc(N * sizeof(double));
  for (size_t n = 0; n < N; n++) {
    u[n] = r->chiplet[n].sent, u[N + n] = r->chiplet[n].recv;
    u[2 * N + n] = r->chiplet[n].msgs, u[3 * N + n] = r->chiplet[n].hops;
    t[n] = r->chiplet[n].nop_time;
  }
  rc |= hc_h5_write(file, "/metrics/chiplets/sent", U64, 1, &N, u);
  rc |= hc_h5_write(file, "/metrics/chiplets/recv", U64, 1, &N, u + N);
  rc |= hc_h5_write(file, "/metrics/chiplets/messages", U64, 1, &N, u + 2 * N);
  rc |= hc_h5_write(file, "/metrics/chiplets/hops", U64, 1, &N, u + 3 * N);
  rc |= hc_h5_write(file, "/metrics/chiplets/nop_time", F64, 1, &N, t);
  if (r->step_time) { /* the cost model */
    double *b = hc_malloc(N * sizeof(double));
    rc |= hc_h5_write(file, "/metrics/chiplets/step_time", F64, 1, &N, r->step_time);
    rc |= hc_h5_write(file, "/metrics/chiplets/flops", F64, 1, &N, r->flops);
    rc |= hc_h5_write(file, "/metrics/chiplets/dram_bytes", F64, 1, &N, r->dram_bytes);
    static const char *kBusy[HC_NENGINES] = {"busy_compute", "busy_nop", "busy_dram"};
    for (int e = 0; e < HC_NENGINES; e++) {
      char name[64];
      for (size_t n = 0; n < N; n++) b[n] = r->busy[n * HC_NENGINES + e];
      snprintf(name, sizeof name, "/metrics/chiplets/%s", kBusy[e]);
      rc |= hc_h5_write(file, name, F64, 1, &N, b);
    }
    free(b);
  }
  free(u), free(t);

  uint64_t calls[HC_NCOLLS], cbytes[HC_NCOLLS];
  double sim[HC_NCOLLS], wall[HC_NCOLLS];
  size_t K = HC_NCOLLS;
  for (int k = 0; k < HC_NCOLLS; k++) {
    calls[k] = r->coll[k].calls, cbytes[k] = r->coll[k].bytes;
    sim[k] = r->coll[k].sim_time, wall[k] = r->coll[k].wall_time;
  }
  rc |= hc_h5_write(file, "/metrics/collectives/calls", U64, 1, &K, calls);
  rc |= hc_h5_write(file, "/metrics/collectives/bytes", U64, 1, &K, cbytes);
  rc |= hc_h5_write(file, "/metrics/collectives/sim_time", F64, 1, &K, sim);
  rc |= hc_h5_write(file, "/metrics/collectives/wall_time", F64, 1, &K, wall);
  for (int k = 0; k < r->nmem; k++) {
    char name[128];
    snprintf(name, sizeof name, "/metrics/memory/%s", r->mem_names[k]);
    rc |= hc_h5_write(file, name, F64, 1, &N, r->memory + (size_t)k * N);
  }
  if (rc) return -1;

  hid_t g = H5Gopen2(file, "/metrics", H5P_DEFAULT);
  rc |= hc_h5_attr_write_int(g, "steps", r->steps);
  rc |= hc_h5_attr_write_int(g, "mesh_rows", r->topo.R);
  rc |= hc_h5_attr_write_int(g, "mesh_cols", r->topo.C);
  rc |= hc_h5_attr_write_string(g, "hardware", r->hw.name);
  rc |= hc_h5_attr_write_double(g, "link_bandwidth", r->hw.link_bw);
  rc |= hc_h5_attr_write_double(g, "link_latency", r->hw.link_latency);
  rc |= hc_h5_attr_write_double(g, "message_overhead", r->hw.msg_overhead);
  rc |= hc_h5_attr_write_double(g, "link_efficiency", r->hw.link_eff);
  rc |= hc_h5_attr_write_int(g, "element_bytes", r->hw.elem_bytes);
  H5Gclose(g);
  g = H5Gopen2(file, "/metrics/links", H5P_DEFAULT);
  rc |= hc_h5_attr_write_string(g, "slots",
                                "0-3 mesh E,W,N,S; 4-7 to I/O die W,E,N,S; 8-11 from I/O die W,E,N,S");
  rc |= hc_h5_attr_write_string(g, "phases", "forward,backward,optimizer,other");
  H5Gclose(g);
  g = H5Gopen2(file, "/metrics/collectives", H5P_DEFAULT);
  rc |= hc_h5_attr_write_string(g, "kinds", "all-gather,reduce-scatter,all-reduce,broadcast,reduce");
  H5Gclose(g);
  return rc;
}

/* ---- the whole report, for reading back ----------------------------------- */

#define F64M H5T_NATIVE_DOUBLE
static const char *const kHwDoubles[] = {"peak_flops", "compute_eff", "sram_bytes", "pj_per_flop",
                                         "link_bw", "link_latency", "msg_overhead", "link_eff",
                                         "link_pj_per_bit", "io_port_bw", "dram_bw",
                                         "dram_pj_per_bit"};
enum { NHWD = sizeof kHwDoubles / sizeof kHwDoubles[0] };
static double *hw_double(hc_hw *hw, int k) {
  double *f[NHWD] = {&hw->peak_flops, &hw->compute_eff, &hw->sram_bytes, &hw->pj_per_flop,
                     &hw->link_bw, &hw->link_latency, &hw->msg_overhead, &hw->link_eff,
                     &hw->link_pj_per_bit, &hw->io_port_bw, &hw->dram_bw, &hw->dram_pj_per_bit};
  return f[k];
}
#define TAGGED (HC_NPHASES * HC_NOPKINDS)

static int write_raw(const hc_ledger_report *r, hid_t file) {
  size_t N = (size_t)r->nodes, nlb = (size_t)TAGGED * r->nlinks, d2[2];
  int rc = hc_h5_write(file, "/report/link_bytes", U64, 1, &nlb, r->link_bytes);
  double *c = hc_malloc((N > TAGGED ? N : TAGGED) * 6 * sizeof(double));
  for (size_t n = 0; n < N; n++) hc_counters_pack(&r->chiplet[n], c + HC_COUNTER_FIELDS * n);
  d2[0] = N, d2[1] = 6;
  rc |= hc_h5_write(file, "/report/chiplet", F64, 2, d2, c);
  for (int k = 0; k < TAGGED; k++) hc_counters_pack(&r->tag[k / HC_NOPKINDS][k % HC_NOPKINDS], c + HC_COUNTER_FIELDS * k);
  d2[0] = TAGGED;
  rc |= hc_h5_write(file, "/report/tag", F64, 2, d2, c);
  free(c);
  double coll[HC_NCOLLS][5];
  for (int k = 0; k < HC_NCOLLS; k++) {
    const hc_coll_stats *s = &r->coll[k];
    coll[k][0] = (double)s->calls, coll[k][1] = (double)s->bytes, coll[k][2] = s->bus_bytes;
    coll[k][3] = s->sim_time, coll[k][4] = s->wall_time;
  }
  d2[0] = HC_NCOLLS, d2[1] = 5;
  rc |= hc_h5_write(file, "/report/collectives", F64, 2, d2, coll);
  size_t nt = TAGGED;
  rc |= hc_h5_write(file, "/report/flops_tag", F64, 1, &nt, r->flops_tag);
  if (r->step_time) {
    rc |= hc_h5_write(file, "/report/step_time", F64, 1, &N, r->step_time);
    rc |= hc_h5_write(file, "/report/flops", F64, 1, &N, r->flops);
    rc |= hc_h5_write(file, "/report/dram_bytes", F64, 1, &N, r->dram_bytes);
    d2[0] = N, d2[1] = HC_NENGINES;
    rc |= hc_h5_write(file, "/report/busy", F64, 2, d2, r->busy);
  }
  if (r->nmem > 0 && r->memory) {
    d2[0] = (size_t)r->nmem, d2[1] = N;
    rc |= hc_h5_write(file, "/report/memory", F64, 2, d2, r->memory);
  }
  if (r->nsram > 0) { /* the SRAM model's rows: numbers, then names */
    size_t n = (size_t)r->nsram, w = sizeof r->sram[0].name;
    double *v = hc_malloc(n * 7 * sizeof(double));
    char *names = hc_calloc(n, w);
    for (size_t k = 0; k < n; k++) {
      const hc_sram_row *q = &r->sram[k];
      double row[7] = {q->phase, q->where, q->calls, q->set, q->tiles, q->read, q->write};
      memcpy(v + 7 * k, row, sizeof row), memcpy(names + k * w, q->name, w);
    }
    d2[0] = n, d2[1] = 7;
    rc |= hc_h5_write(file, "/report/sram/phase_where_calls_set_tiles_read_write", F64, 2, d2, v);
    d2[1] = w;
    rc |= hc_h5_write(file, "/report/sram/names", H5T_NATIVE_UCHAR, H5T_STD_U8LE, 2, d2, names);
    free(v), free(names);
  }
  if (r->events && r->event_counts) {
    size_t ne = 0;
    for (size_t n = 0; n < N; n++) ne += r->event_counts[n];
    uint64_t *cnt = hc_malloc(N * sizeof(uint64_t));
    for (size_t n = 0; n < N; n++) cnt[n] = r->event_counts[n];
    rc |= hc_h5_write(file, "/report/events/counts", U64, 1, &N, cnt);
    free(cnt);
    if (ne > 0) {
      double *t = hc_malloc(ne * 3 * sizeof(double));
      char *names = hc_calloc(ne, sizeof r->events[0].name);
      for (size_t e = 0; e < ne; e++) {
        t[3 * e] = r->events[e].engine, t[3 * e + 1] = r->events[e].start, t[3 * e + 2] = r->events[e].end;
        memcpy(names + e * sizeof r->events[0].name, r->events[e].name, sizeof r->events[0].name);
      }
      d2[0] = ne, d2[1] = 3;
      rc |= hc_h5_write(file, "/report/events/engine_start_end", F64, 2, d2, t);
      d2[1] = sizeof r->events[0].name;
      rc |= hc_h5_write(file, "/report/events/names", H5T_NATIVE_UCHAR, H5T_STD_U8LE, 2, d2, names);
      free(t), free(names);
    }
  }
  if (rc) return -1;
  hid_t g = H5Gopen2(file, "/report", H5P_DEFAULT);
  rc |= hc_h5_attr_write_int(g, "version", 1);
  rc |= hc_h5_attr_write_int(g, "rows", r->topo.R);
  rc |= hc_h5_attr_write_int(g, "cols", r->topo.C);
  rc |= hc_h5_attr_write_int(g, "io_edges", r->topo.io_edges);
  rc |= hc_h5_attr_write_int(g, "nlinks", r->nlinks);
  rc |= hc_h5_attr_write_int(g, "steps", r->steps);
  rc |= hc_h5_attr_write_int(g, "phantom", r->phantom);
  rc |= hc_h5_attr_write_string(g, "configuration", r->config);
  rc |= hc_h5_attr_write_string(g, "hardware", r->hw.name);
  rc |= hc_h5_attr_write_int(g, "element_bytes", r->hw.elem_bytes);
  for (int k = 0; k < NHWD; k++) rc |= hc_h5_attr_write_double(g, kHwDoubles[k], *hw_double((hc_hw *)&r->hw, k));
  if (r->nmem > 0 && r->memory) {
    char names[512] = "";
    for (int k = 0; k < r->nmem; k++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? "," : "", r->mem_names[k]);
    rc |= hc_h5_attr_write_string(g, "memory_names", names);
  }
  H5Gclose(g);
  return rc;
}

/* One whole dataset of doubles with n elements into *out (allocated). */
static int read_doubles(hid_t f, const char *name, size_t n, double **out) {
  int nd;
  size_t dims[4], got = 1;
  void *data;
  if (hc_h5_read(f, name, H5T_NATIVE_DOUBLE, &nd, dims, &data)) return -1;
  for (int k = 0; k < nd; k++) got *= dims[k];
  if (got != n) {
    free(data);
    return -1;
  }
  *out = data;
  return 0;
}

/* The SRAM model's rows (written by write_raw); -1 when misshapen. */
static int read_sram(hid_t f, hc_ledger_report *r) {
  int nd, bad = 0;
  size_t dims[4], w = sizeof r->sram[0].name;
  void *names = NULL;
  double *v = NULL;
  if (hc_h5_read(f, "/report/sram/names", H5T_NATIVE_UCHAR, &nd, dims, &names)) return -1;
  size_t n = dims[0];
  bad = nd != 2 || dims[1] != w || n > HC_SRAM_ROWS ||
        read_doubles(f, "/report/sram/phase_where_calls_set_tiles_read_write", n * 7, &v);
  for (size_t k = 0; k < n && !bad; k++) {
    hc_sram_row *q = &r->sram[k];
    memcpy(q->name, (char *)names + k * w, w), q->name[w - 1] = '\0';
    q->phase = (int)v[7 * k], q->where = (int)v[7 * k + 1], q->calls = v[7 * k + 2];
    q->set = v[7 * k + 3], q->tiles = v[7 * k + 4], q->read = v[7 * k + 5], q->write = v[7 * k + 6];
  }
  if (!bad) r->nsram = (int)n;
  free(names), free(v);
  return bad ? -1 : 0;
}

int hc_ledger_read_h5(const char *path, hc_ledger_report *r, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  FILE *probe = fopen(path, "rb");
  if (!probe) return hc_err(err, errlen, "%s: no such report file", path);
  fclose(probe);
  hid_t f = hc_h5_open_read(path);
  if (f < 0) return hc_err(err, errlen, "%s: not a readable HDF5 file (corrupted or truncated?)", path);
  hid_t g = H5Lexists(f, "/report", H5P_DEFAULT) > 0 ? H5Gopen2(f, "/report", H5P_DEFAULT) : -1;
  if (g < 0) {
    H5Fclose(f);
    return hc_err(err, errlen, "%s: no /report group (not a run report of this hecaton version)", path);
  }
  long long R = 0, C = 0, io = 0, nl = 0, steps = 0, ph = 0, eb = 0;
  int bad = hc_h5_attr_read_int(g, "rows", &R) || hc_h5_attr_read_int(g, "cols", &C) ||
            hc_h5_attr_read_int(g, "io_edges", &io) || hc_h5_attr_read_int(g, "nlinks", &nl) ||
            hc_h5_attr_read_int(g, "steps", &steps) || hc_h5_attr_read_int(g, "phantom", &ph) ||
            hc_h5_attr_read_int(g, "element_bytes", &eb) ||
            hc_h5_attr_read_string(g, "hardware", r->hw.name, sizeof r->hw.name);
  for (int k = 0; k < NHWD && !bad; k++) bad = hc_h5_attr_read_double(g, kHwDoubles[k], hw_double(&r->hw, k));
  if (!bad && hc_h5_attr_read_string(g, "configuration", r->config, sizeof r->config)) r->config[0] = '\0';
  bad = bad || R < 1 || C < 1 || R * C > (1 << 20) || nl != (long long)HC_LINK_SLOTS * R * C;
  size_t N = bad ? 0 : (size_t)(R * C);
  if (!bad) {
    r->topo.R = (int)R, r->topo.C = (int)C, r->topo.io_edges = (unsigned)io;
    r->hw.io_edges = (unsigned)io, r->hw.elem_bytes = (int)eb;
    r->nodes = (int)N, r->nlinks = (int)nl, r->steps = steps, r->phantom = (int)ph;
    int nd;
    size_t dims[4];
    void *lb = NULL;
    double *chip = NULL, *tag = NULL, *coll = NULL, *ft = NULL;
    bad = hc_h5_read(f, "/report/link_bytes", H5T_NATIVE_UINT64, &nd, dims, &lb) != 0 ||
          nd != 1 || dims[0] != (size_t)TAGGED * (size_t)nl;
    r->link_bytes = lb;
    bad = bad || read_doubles(f, "/report/chiplet", N * 6, &chip) ||
          read_doubles(f, "/report/tag", TAGGED * 6, &tag) ||
          read_doubles(f, "/report/collectives", HC_NCOLLS * 5, &coll) ||
          read_doubles(f, "/report/flops_tag", TAGGED, &ft) ||
          read_doubles(f, "/report/step_time", N, &r->step_time) ||
          read_doubles(f, "/report/flops", N, &r->flops) ||
          read_doubles(f, "/report/dram_bytes", N, &r->dram_bytes) ||
          read_doubles(f, "/report/busy", N * HC_NENGINES, &r->busy);
    if (!bad) {
      r->chiplet = hc_calloc(N, sizeof *r->chiplet);
      for (size_t n = 0; n < N; n++) hc_counters_unpack(chip + HC_COUNTER_FIELDS * n, &r->chiplet[n]);
      for (int k = 0; k < TAGGED; k++) hc_counters_unpack(tag + HC_COUNTER_FIELDS * k, &r->tag[k / HC_NOPKINDS][k % HC_NOPKINDS]);
      for (int k = 0; k < HC_NCOLLS; k++) {
        hc_coll_stats *s = &r->coll[k];
        s->calls = (uint64_t)coll[5 * k], s->bytes = (uint64_t)coll[5 * k + 1];
        s->bus_bytes = coll[5 * k + 2], s->sim_time = coll[5 * k + 3], s->wall_time = coll[5 * k + 4];
      }
      memcpy(r->flops_tag, ft, sizeof r->flops_tag);
    }
    free(chip), free(tag), free(coll), free(ft);
  }
  /* Optional parts: memory columns and the last step's events. */
  if (!bad && !hc_h5_attr_read_string(g, "memory_names", r->mem_names_buf, sizeof r->mem_names_buf)) {
    int n = 0;
    for (char *p = r->mem_names_buf; p && *p && n < 16; n++) {
      r->mem_name_ptrs[n] = p;
      p = strchr(p, ',');
      if (p) *p++ = '\0';
    }
    if (n > 0 && !read_doubles(f, "/report/memory", (size_t)n * N, &r->memory))
      r->nmem = n, r->mem_names = r->mem_name_ptrs;
  }
  if (!bad && H5Lexists(f, "/report/sram", H5P_DEFAULT) > 0) bad = read_sram(f, r);
  if (!bad && H5Lexists(f, "/report/events", H5P_DEFAULT) > 0) {
    int nd;
    size_t dims[4];
    void *cnt = NULL, *names = NULL;
    double *t = NULL;
    if (!hc_h5_read(f, "/report/events/counts", H5T_NATIVE_UINT64, &nd, dims, &cnt) && dims[0] == N) {
      size_t ne = 0;
      r->event_counts = hc_malloc(N * sizeof(size_t));
      for (size_t n = 0; n < N; n++) ne += r->event_counts[n] = (size_t)((uint64_t *)cnt)[n];
      r->events = hc_calloc(ne + 1, sizeof(hc_event));
      if (ne > 0 && (read_doubles(f, "/report/events/engine_start_end", ne * 3, &t) ||
                     hc_h5_read(f, "/report/events/names", H5T_NATIVE_UCHAR, &nd, dims, &names) ||
                     dims[0] != ne || dims[1] != sizeof r->events[0].name)) {
        bad = 1;
      } else {
        for (size_t e = 0; e < ne; e++) {
          r->events[e].engine = (int)t[3 * e], r->events[e].start = t[3 * e + 1];
          r->events[e].end = t[3 * e + 2];
          memcpy(r->events[e].name, (char *)names + e * sizeof r->events[0].name, sizeof r->events[0].name);
          r->events[e].name[sizeof r->events[0].name - 1] = '\0';
        }
      }
    }
    free(cnt), free(names), free(t);
  }
  H5Gclose(g);
  H5Fclose(f);
  if (bad) {
    free(r->memory);
    hc_ledger_report_free(r);
    return hc_err(err, errlen, "%s: the report is incomplete or corrupted (a /report field is missing "
                  "or misshapen)", path);
  }
  return 0;
}

int hc_ledger_write_h5(const hc_ledger_report *r, const char *path, char *err,
                       size_t errlen) {
  char tmp[4096];
  hid_t f = hc_h5_create_tmp(path, MPI_COMM_NULL, tmp, sizeof tmp);
  int ok = f >= 0 && fill(r, f) == 0 && write_raw(r, f) == 0;
  if (hc_h5_finish(f, tmp, path, MPI_COMM_NULL, ok))
    return hc_err(err, errlen, "%s: cannot write the HDF5 report", path);
  return 0;
}
