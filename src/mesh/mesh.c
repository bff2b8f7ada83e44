/* mesh.c: Cartesian, row and column communicators of the chiplet mesh. */
#include "hecaton/mesh.h"

#include <stdio.h>
#include <string.h>

#include "hecaton/util.h"

void hc_mpi_abort_all(void) {
  int init = 0, done = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&done);
  if (init && !done) MPI_Abort(MPI_COMM_WORLD, 2);
}

int hc_agree(MPI_Comm comm, const char *err) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int mine = err ? rank : size, first;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return 0;
  char msg[HC_ERRLEN] = "";
  if (first == rank) snprintf(msg, sizeof msg, "%s", err);
  if (first != 0) { /* bring the message to rank 0 */
    if (rank == first) MPI_Send(msg, HC_ERRLEN, MPI_CHAR, 0, 7001, comm);
    if (rank == 0) MPI_Recv(msg, HC_ERRLEN, MPI_CHAR, first, 7001, comm, MPI_STATUS_IGNORE);
  }
  if (rank == 0) {
    if (first != 0) fprintf(stderr, "hecaton: error (rank %d): %s\n", first, msg);
    else fprintf(stderr, "hecaton: error: %s\n", msg);
    fflush(stderr);
  }
  return -1;
}

int hc_mesh_create(hc_mesh *m, const char *spec, unsigned io_edges) {
  memset(m, 0, sizeof *m);
  char err[HC_ERRLEN];
  int R = 0, C = 0, size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int bad = hc_parse_mesh(spec, &R, &C, err, sizeof err) != 0;
  if (!bad && (long)R * C != size) {
    snprintf(err, sizeof err,
             "--mesh %s needs %d ranks (one per chiplet) but mpirun started %d: "
             "run with mpirun -np %d",
             spec, R * C, size, R * C);
    bad = 1;
  }
  /* Every rank parsed the same arguments; the agreement keeps a rank that
   * somehow disagrees from hanging in the communicator calls below. */
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return -1;

  m->topo = (hc_topo){.R = R, .C = C, .io_edges = io_edges};
  m->size = size;
  int dims[2] = {R, C}, periods[2] = {0, 0}, coords[2];
  MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &m->cart);
  MPI_Comm_rank(m->cart, &m->rank);
  MPI_Cart_coords(m->cart, m->rank, 2, coords);
  m->i = coords[0], m->j = coords[1];
  HC_ASSERT(m->rank == m->i * C + m->j);
  int keep_row[2] = {0, 1}, keep_col[2] = {1, 0};
  MPI_Cart_sub(m->cart, keep_row, &m->row);
  MPI_Cart_sub(m->cart, keep_col, &m->col);
  return 0;
}

void hc_mesh_virtual(hc_mesh *m, int R, int C, int i, int j, unsigned io_edges) {
  memset(m, 0, sizeof *m);
  m->topo = (hc_topo){.R = R, .C = C, .io_edges = io_edges};
  m->size = R * C, m->rank = i * C + j, m->i = i, m->j = j;
  m->cart = m->row = m->col = MPI_COMM_NULL;
}

void hc_mesh_free(hc_mesh *m) {
  if (m->row != MPI_COMM_NULL && m->row) MPI_Comm_free(&m->row);
  if (m->col != MPI_COMM_NULL && m->col) MPI_Comm_free(&m->col);
  if (m->cart != MPI_COMM_NULL && m->cart) MPI_Comm_free(&m->cart);
  m->row = m->col = m->cart = MPI_COMM_NULL;
}
