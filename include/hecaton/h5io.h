/* h5io.h: small HDF5 helpers shared by every binary file of the project
 * (token data, checkpoints, gradient dumps, run reports). Errors come back
 * as -1 with the project's message; HDF5's own error stack is silenced.
 * Files are written under a temporary name and renamed when complete. */
#ifndef HECATON_H5IO_H
#define HECATON_H5IO_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>

/* Silence HDF5's automatic error printing (idempotent). */
void hc_h5_quiet(void);

/* Create `<path>.tmp` for writing, serially (comm == MPI_COMM_NULL) or
 * collectively with MPI-IO over comm. Returns the file or -1; tmp receives
 * the temporary name. */
hid_t hc_h5_create_tmp(const char *path, MPI_Comm comm, char *tmp, size_t tmplen);
/* Close f; then (on rank 0 of comm, or serially) rename tmp to path, or
 * remove tmp when ok is 0 or closing failed. Collective when comm is not
 * MPI_COMM_NULL. Returns 0 when the file is in place. */
int hc_h5_finish(hid_t f, const char *tmp, const char *path, MPI_Comm comm, int ok);
/* Open an existing file read-only (serial). -1 if missing or not HDF5. */
hid_t hc_h5_open_read(const char *path);

/* Whole-dataset write of an n-d array (creating intermediate groups), with
 * HDF5's Fletcher32 checksum on its chunks. One process writes the file. */
int hc_h5_write(hid_t loc, const char *name, hid_t memtype, hid_t filetype, int ndim,
                const size_t *dims, const void *data);
/* Read a whole dataset of known element type; dims (up to 4) and ndim out.
 * *data is allocated. 0; -1 if missing or of another rank; -2 if its data
 * cannot be read (a checksum that does not match: the file is corrupted). */
int hc_h5_read(hid_t loc, const char *name, hid_t memtype, int *ndim, size_t *dims,
               void **data);

int hc_h5_attr_write_int(hid_t obj, const char *name, long long v);
int hc_h5_attr_write_double(hid_t obj, const char *name, double v);
int hc_h5_attr_write_string(hid_t obj, const char *name, const char *v);
int hc_h5_attr_read_int(hid_t obj, const char *name, long long *v);
int hc_h5_attr_read_double(hid_t obj, const char *name, double *v);
int hc_h5_attr_read_string(hid_t obj, const char *name, char *buf, size_t len);

#endif
