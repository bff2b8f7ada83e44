/* ledger_h5.c: the gathered ledger as HDF5 tables under /metrics/.
 *
 *   /metrics/links/{from,to,slot}      int32 [L]  (-1 = I/O die)
 *   /metrics/links/bytes               uint64 [L]
 *   /metrics/links/bytes_by_phase      uint64 [L][HC_NPHASES]
 *   /metrics/chiplets/{sent,recv,messages,hops} uint64 [N], nop_time double [N]
 *   /metrics/collectives/{calls,bytes} uint64 [K], {sim_time,wall_time} double [K]
 * L counts only links that exist; attributes name the mesh and hardware. */
#include <stdio.h>
#include <stdlib.h>

#include "hecaton/h5io.h"
#include "hecaton/ledger.h"
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

int hc_ledger_write_h5(const hc_ledger_report *r, const char *path, char *err,
                       size_t errlen) {
  char tmp[4096];
  hid_t f = hc_h5_create_tmp(path, MPI_COMM_NULL, tmp, sizeof tmp);
  int ok = f >= 0 && fill(r, f) == 0;
  if (hc_h5_finish(f, tmp, path, MPI_COMM_NULL, ok))
    return hc_err(err, errlen, "%s: cannot write the HDF5 report", path);
  return 0;
}
