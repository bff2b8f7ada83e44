/* mesh.h: the MPI side of the chiplet mesh: one rank per chiplet, a
 * Cartesian communicator and the row and column communicators, and the
 * project's one error-exit path for collective verdicts. */
#ifndef HECATON_MESH_H
#define HECATON_MESH_H

#include <mpi.h>

#include "hecaton/topo.h"

typedef struct {
  hc_topo topo;
  int rank, size; /* rank == node id i*C + j */
  int i, j;       /* row, column of this chiplet */
  MPI_Comm cart;  /* R x C, non-periodic, ranks not reordered */
  MPI_Comm row;   /* the C chiplets of row i; rank in it == j */
  MPI_Comm col;   /* the R chiplets of column j; rank in it == i */
} hc_mesh;

/* Every rank learns whether any rank failed. err is this rank's message or
 * NULL when it is fine. When some rank failed, rank 0 prints the message of
 * the lowest failing rank, once, as "hecaton: error: ...", and every rank
 * gets -1; otherwise 0. Collective over comm. */
int hc_agree(MPI_Comm comm, const char *err);
/* The abort hook of an MPI program (hc_set_abort_hook, util.h): when MPI
 * is initialised, abort every rank (MPI_Abort), not only this one. */
void hc_mpi_abort_all(void);

/* Build the mesh over MPI_COMM_WORLD from "RxC". Collective: a malformed
 * spec or a world size that is not R*C is reported once by rank 0 and every
 * rank gets -1 (nothing is created). */
int hc_mesh_create(hc_mesh *m, const char *spec, unsigned io_edges);
void hc_mesh_free(hc_mesh *m);
/* Chiplet (i, j) of an R x C mesh with no MPI behind it: for counting and
 * costing the schedule in one process (phantom communicators only). */
void hc_mesh_virtual(hc_mesh *m, int R, int C, int i, int j, unsigned io_edges);

#endif
