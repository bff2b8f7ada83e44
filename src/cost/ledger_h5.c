/* ledger_h5.c: the gathered ledger as HDF5 tables under /metrics/.
 *
 *   /metrics/links/{from,to,slot}      int32 [L]  (-1 = I/O die)
 *   /metrics/links/bytes               uint64 [L]
 *   /metrics/links/bytes_by_phase      uint64 [L][HC_NPHASES]
 *   /metrics/chiplets/{sent,recv,messages,hops} uint64 [N], nop_time double [N]
 *   /metrics/collectives/{calls,bytes} uint64 [K], {sim_time,wall_time} double [K]
 * L counts only links that exist; attributes name the mesh and hardware. */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hecaton/ledger.h"
#include "hecaton/util.h"

static int write_1d(hid_t g, const char *name, hid_t type, hsize_t n, const void *data) {
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t ds = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = ds < 0 ? -1 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  return rc < 0 ? -1 : 0;
}

static int write_2d(hid_t g, const char *name, hid_t type, hsize_t n0, hsize_t n1,
                    const void *data) {
  hsize_t dims[2] = {n0, n1};
  hid_t sp = H5Screate_simple(2, dims, NULL);
  hid_t ds = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = ds < 0 ? -1 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  return rc < 0 ? -1 : 0;
}

static void attr_int(hid_t obj, const char *name, int v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, H5T_NATIVE_INT, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT, &v);
  H5Aclose(a);
  H5Sclose(sp);
}

static void attr_double(hid_t obj, const char *name, double v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose(a);
  H5Sclose(sp);
}

static void attr_string(hid_t obj, const char *name, const char *v) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, strlen(v) + 1);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, type, v);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(type);
}

static int fill(const hc_ledger_report *r, hid_t file) {
  hid_t root = H5Gcreate2(file, "/metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  attr_int(root, "mesh_rows", r->topo.R);
  attr_int(root, "mesh_cols", r->topo.C);
  attr_string(root, "hardware", r->hw.name);
  attr_double(root, "link_bandwidth", r->hw.link_bw);
  attr_double(root, "link_latency", r->hw.link_latency);
  attr_double(root, "message_overhead", r->hw.msg_overhead);
  attr_double(root, "link_efficiency", r->hw.link_eff);
  attr_int(root, "element_bytes", r->hw.elem_bytes);
  H5Gclose(root);

  int rc = 0;
  int L = hc_topo_count_links(&r->topo), N = r->nodes;
  int *from = hc_malloc((size_t)L * sizeof(int)), *to = hc_malloc((size_t)L * sizeof(int));
  int *slot = hc_malloc((size_t)L * sizeof(int));
  uint64_t *bytes = hc_calloc((size_t)L, sizeof(uint64_t));
  uint64_t *by_phase = hc_calloc((size_t)L * HC_NPHASES, sizeof(uint64_t));
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
  hid_t g = H5Gcreate2(file, "/metrics/links", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  attr_string(g, "slots", "0-3 mesh E,W,N,S; 4-7 to I/O die W,E,N,S; 8-11 from I/O die W,E,N,S");
  attr_string(g, "phases", "forward,backward,optimizer,other");
  rc |= write_1d(g, "from", H5T_NATIVE_INT, (hsize_t)L, from);
  rc |= write_1d(g, "to", H5T_NATIVE_INT, (hsize_t)L, to);
  rc |= write_1d(g, "slot", H5T_NATIVE_INT, (hsize_t)L, slot);
  rc |= write_1d(g, "bytes", H5T_NATIVE_UINT64, (hsize_t)L, bytes);
  rc |= write_2d(g, "bytes_by_phase", H5T_NATIVE_UINT64, (hsize_t)L, HC_NPHASES, by_phase);
  H5Gclose(g);
  free(from), free(to), free(slot), free(bytes), free(by_phase);

  uint64_t *u = hc_malloc((size_t)N * sizeof(uint64_t) * 4);
  double *t = hc_malloc((size_t)N * sizeof(double));
  for (int n = 0; n < N; n++) {
    u[n] = r->chiplet[n].sent, u[N + n] = r->chiplet[n].recv;
    u[2 * N + n] = r->chiplet[n].msgs, u[3 * N + n] = r->chiplet[n].hops;
    t[n] = r->chiplet[n].nop_time;
  }
  g = H5Gcreate2(file, "/metrics/chiplets", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  rc |= write_1d(g, "sent", H5T_NATIVE_UINT64, (hsize_t)N, u);
  rc |= write_1d(g, "recv", H5T_NATIVE_UINT64, (hsize_t)N, u + N);
  rc |= write_1d(g, "messages", H5T_NATIVE_UINT64, (hsize_t)N, u + 2 * N);
  rc |= write_1d(g, "hops", H5T_NATIVE_UINT64, (hsize_t)N, u + 3 * N);
  rc |= write_1d(g, "nop_time", H5T_NATIVE_DOUBLE, (hsize_t)N, t);
  H5Gclose(g);
  free(u), free(t);

  uint64_t calls[HC_NCOLLS], cbytes[HC_NCOLLS];
  double sim[HC_NCOLLS], wall[HC_NCOLLS];
  for (int k = 0; k < HC_NCOLLS; k++) {
    calls[k] = r->coll[k].calls, cbytes[k] = r->coll[k].bytes;
    sim[k] = r->coll[k].sim_time, wall[k] = r->coll[k].wall_time;
  }
  g = H5Gcreate2(file, "/metrics/collectives", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  attr_string(g, "kinds", "all-gather,reduce-scatter,all-reduce,broadcast,reduce");
  rc |= write_1d(g, "calls", H5T_NATIVE_UINT64, HC_NCOLLS, calls);
  rc |= write_1d(g, "bytes", H5T_NATIVE_UINT64, HC_NCOLLS, cbytes);
  rc |= write_1d(g, "sim_time", H5T_NATIVE_DOUBLE, HC_NCOLLS, sim);
  rc |= write_1d(g, "wall_time", H5T_NATIVE_DOUBLE, HC_NCOLLS, wall);
  H5Gclose(g);
  return rc;
}

int hc_ledger_write_h5(const hc_ledger_report *r, const char *path, char *err,
                       size_t errlen) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
    return hc_err(err, errlen, "%s: path too long", path);
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our message, not HDF5's stack */
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  int rc = -1;
  if (f >= 0) {
    rc = fill(r, f);
    if (H5Fclose(f) < 0) rc = -1;
  }
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  if (rc != 0) {
    remove(tmp);
    return hc_err(err, errlen, "%s: cannot write the HDF5 report", path);
  }
  if (rename(tmp, path) != 0) {
    remove(tmp);
    return hc_err(err, errlen, "%s: cannot rename the finished report into place", path);
  }
  return 0;
}
