/* gather.c: full tensors on rank 0 from every rank's blocks, for checking
 * (gradcheck, tests). This is the checker's traffic, not the chiplets':
 * plain MPI, not the counted collectives. */
#include <stdlib.h>
#include <string.h>

#include "hecaton/parallel.h"
#include "hecaton/util.h"

/* Each rank sends {r0, nr, c0, nc, send} and its block; rank 0 places the
 * blocks marked send into full (row-major with `cols` columns). */
static void gather_block(const float *local, const size_t meta_in[5], size_t cols, MPI_Comm comm,
                         float *full) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  unsigned long long mine[5], *all = NULL;
  for (int k = 0; k < 5; k++) mine[k] = meta_in[k];
  if (rank == 0) all = hc_malloc((size_t)size * 5 * sizeof *all);
  MPI_Gather(mine, 5, MPI_UNSIGNED_LONG_LONG, all, 5, MPI_UNSIGNED_LONG_LONG, 0, comm);
  int n = (int)(meta_in[4] ? meta_in[1] * meta_in[3] : 0);
  int *cnt = NULL, *dsp = NULL;
  float *buf = NULL;
  if (rank == 0) {
    cnt = hc_malloc((size_t)size * sizeof(int)), dsp = hc_malloc((size_t)size * sizeof(int));
    size_t tot = 0;
    for (int r = 0; r < size; r++) {
      unsigned long long *b = all + 5 * r;
      cnt[r] = (int)(b[4] ? b[1] * b[3] : 0), dsp[r] = (int)tot, tot += (size_t)cnt[r];
    }
    buf = hc_malloc((tot ? tot : 1) * sizeof(float));
  }
  MPI_Gatherv(local, n, MPI_FLOAT, buf, cnt, dsp, MPI_FLOAT, 0, comm);
  if (rank == 0) {
    for (int r = 0; r < size; r++) {
      unsigned long long *b = all + 5 * r;
      if (!b[4]) continue;
      for (size_t q = 0; q < b[1]; q++)
        memcpy(full + (b[0] + q) * cols + b[2], buf + dsp[r] + q * b[3], b[3] * sizeof(float));
    }
    free(all), free(cnt), free(dsp), free(buf);
  }
}

void hc_params_gather_full(const hc_params *local, int which, MPI_Comm comm, hc_params *full) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  const float *lb[4] = {local->params, local->grads, local->m, local->v};
  float *fb[4] = {NULL, NULL, NULL, NULL};
  if (rank == 0) fb[0] = full->params, fb[1] = full->grads, fb[2] = full->m, fb[3] = full->v;
  for (size_t t = 0; t < local->n_tensors; t++) {
    const hc_tensor *x = &local->tensors[t];
    float *dst = rank == 0 ? hc_tensor_in(full, fb[which], &full->tensors[t]) : NULL;
    if (which && x->goff == HC_FROZEN) continue; /* no gradient or optimizer state */
    size_t meta[5] = {x->r0, x->nr, x->c0, x->nc, (size_t)x->owner};
    size_t cols = x->spec.ndim == 2 ? x->spec.shape[1] : 1;
    gather_block(hc_tensor_in(local, lb[which], x), meta, cols, comm, dst);
  }
}

void hc_gather_blocks(const float *local, size_t t0, size_t nt, size_t v0, size_t nv, size_t V,
                      MPI_Comm comm, float *full) {
  size_t meta[5] = {t0, nt, v0, nv, 1};
  gather_block(local, meta, V, comm, full);
}
