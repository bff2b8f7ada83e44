/* h5io.c: HDF5 helpers (temporary-name writes, whole datasets, attributes). */
#define _POSIX_C_SOURCE 200809L
#include "hecaton/h5io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "hecaton/util.h"

void hc_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static int sync_path(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

static void sync_parent(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == dir) dir[1] = '\0';
  else *slash = '\0';
  (void)sync_path(dir); /* best effort: some file systems refuse directory fsync */
}

hid_t hc_h5_create_tmp(const char *path, MPI_Comm comm, char *tmp, size_t tmplen) {
  hc_h5_quiet();
  if (snprintf(tmp, tmplen, "%s.tmp", path) >= (int)tmplen) return -1;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (comm != MPI_COMM_NULL) H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  return f;
}

int hc_h5_finish(hid_t f, const char *tmp, const char *path, MPI_Comm comm, int ok) {
  if (f >= 0 && H5Fclose(f) < 0) ok = 0;
  int rank = 0;
  if (comm != MPI_COMM_NULL) {
    int all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, comm);
    ok = all;
    MPI_Comm_rank(comm, &rank);
  }
  if (rank == 0) {
    /* The data reach the disk before the name does, and the rename itself
     * is made durable: a crash leaves the old file or the new one. */
    if (!ok || sync_path(tmp) != 0 || rename(tmp, path) != 0) {
      remove(tmp);
      ok = 0;
    } else {
      sync_parent(path);
    }
  }
  if (comm != MPI_COMM_NULL) MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
  return ok ? 0 : -1;
}

hid_t hc_h5_open_read(const char *path) {
  hc_h5_quiet();
  if (H5Fis_hdf5(path) <= 0) return -1; /* missing, unreadable or not HDF5 */
  return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
}

int hc_h5_write(hid_t loc, const char *name, hid_t memtype, hid_t filetype, int ndim,
                const size_t *dims, const void *data) {
  hsize_t hd[4];
  HC_ASSERT(ndim >= 1 && ndim <= 4);
  for (int k = 0; k < ndim; k++) hd[k] = dims[k];
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t sp = H5Screate_simple(ndim, hd, NULL);
  /* Chunked with the Fletcher32 checksum filter, so that a flipped bit is
   * reported by the read (these files are written by one process; parallel
   * filtered writes would need collective I/O). Chunks of at most 1 Mi
   * elements along the first dimension; empty datasets stay contiguous. */
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  size_t inner = 1, total = 1;
  for (int k = 1; k < ndim; k++) inner *= dims[k];
  for (int k = 0; k < ndim; k++) total *= dims[k];
  if (total > 0 && inner <= (1u << 20)) {
    hsize_t chunk[4];
    for (int k = 0; k < ndim; k++) chunk[k] = hd[k];
    size_t rows = ((size_t)1 << 20) / inner;
    if (chunk[0] > rows) chunk[0] = rows;
    H5Pset_chunk(dcpl, ndim, chunk);
    H5Pset_fletcher32(dcpl);
  }
  hid_t ds = H5Dcreate2(loc, name, filetype, sp, lcpl, dcpl, H5P_DEFAULT);
  herr_t rc = ds < 0 ? -1 : H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(sp);
  H5Pclose(lcpl);
  return rc < 0 ? -1 : 0;
}

int hc_h5_read(hid_t loc, const char *name, hid_t memtype, int *ndim, size_t *dims,
               void **data) {
  *data = NULL;
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
  hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
  if (ds < 0) return -1;
  hid_t sp = H5Dget_space(ds);
  int nd = H5Sget_simple_extent_ndims(sp);
  hsize_t hd[4];
  int rc = -1;
  if (nd >= 1 && nd <= 4 && H5Sget_simple_extent_dims(sp, hd, NULL) == nd) {
    size_t n = 1;
    for (int k = 0; k < nd; k++) dims[k] = (size_t)hd[k], n *= (size_t)hd[k];
    *ndim = nd;
    *data = hc_malloc(n * H5Tget_size(memtype));
    /* a failed read of an existing dataset: corrupted data (checksum) */
    rc = H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data) < 0 ? -2 : 0;
    if (rc) free(*data), *data = NULL;
  }
  H5Sclose(sp);
  H5Dclose(ds);
  return rc;
}

static int attr_write(hid_t obj, const char *name, hid_t type, const void *v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Awrite(a, type, v);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return rc < 0 ? -1 : 0;
}

int hc_h5_attr_write_int(hid_t obj, const char *name, long long v) {
  return attr_write(obj, name, H5T_NATIVE_LLONG, &v);
}
int hc_h5_attr_write_double(hid_t obj, const char *name, double v) {
  return attr_write(obj, name, H5T_NATIVE_DOUBLE, &v);
}
int hc_h5_attr_write_string(hid_t obj, const char *name, const char *v) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, strlen(v) + 1);
  int rc = attr_write(obj, name, type, v);
  H5Tclose(type);
  return rc;
}

static int attr_read(hid_t obj, const char *name, hid_t type, void *v) {
  if (H5Aexists(obj, name) <= 0) return -1;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Aread(a, type, v);
  if (a >= 0) H5Aclose(a);
  return rc < 0 ? -1 : 0;
}

int hc_h5_attr_read_int(hid_t obj, const char *name, long long *v) {
  return attr_read(obj, name, H5T_NATIVE_LLONG, v);
}
int hc_h5_attr_read_double(hid_t obj, const char *name, double *v) {
  return attr_read(obj, name, H5T_NATIVE_DOUBLE, v);
}
int hc_h5_attr_read_string(hid_t obj, const char *name, char *buf, size_t len) {
  if (H5Aexists(obj, name) <= 0) return -1;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t ft = H5Aget_type(a);
  size_t sz = H5Tget_size(ft);
  int rc = -1;
  if (H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) && sz < len) {
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, sz);
    memset(buf, 0, len);
    rc = H5Aread(a, mt, buf) < 0 ? -1 : 0;
    H5Tclose(mt);
  }
  H5Tclose(ft);
  H5Aclose(a);
  return rc;
}
