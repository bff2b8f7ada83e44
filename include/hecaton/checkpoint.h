/* checkpoint.h: checkpoints and gradient dumps in HDF5 (DESIGN.md section 6).
 *
 * Files always hold full, unsharded tensors under their Meta names, so a
 * file does not depend on the mesh or method that wrote it. Each rank
 * writes (or reads) its own block of each tensor with parallel HDF5: the
 * method says, per tensor, which rectangle of the global (rows, cols) its
 * local shard is, and whether this rank is the one that writes it (for
 * tensors held by several chiplets, one writes).
 *
 *   checkpoint: /params/<name>, /optim/m/<name>, /optim/v/<name>;
 *               attributes: the model config, step, data seed and position.
 *   gradient dump: /params/<name>, /grads/<name>, /batch/tokens (b, s+1)
 *               int32, /loss; the model config as attributes. */
#ifndef HECATON_CHECKPOINT_H
#define HECATON_CHECKPOINT_H

#include <mpi.h>
#include <stdint.h>

#include "hecaton/params.h"

/* This rank's shard of tensor t: global rows [r0, r0+nr), cols [c0, c0+nc),
 * stored row-major (nr, nc) at the tensor's offset in the local buffers. */
typedef struct {
  size_t r0, nr, c0, nc;
  int writer; /* 1: this rank writes the block (reading is done by all) */
} hc_block;

typedef void (*hc_block_fn)(void *ctx, size_t tensor, hc_block *blk);
/* The whole tensor on every rank; rank 0 writes (single process, replicas). */
void hc_block_whole(void *ctx, size_t tensor, hc_block *blk);

typedef struct {
  long step;          /* optimizer steps taken */
  uint64_t data_seed; /* the loader's seed */
  uint64_t data_epoch, data_pos;
  uint64_t init_seed;
} hc_ckpt_meta;

/* `local` holds the shards (tensors in descriptor order, with its config
 * the global model). Collective over comm. 0, or -1 with a message (the
 * same on every rank). */
int hc_checkpoint_save(const char *path, MPI_Comm comm, const hc_params *local, hc_block_fn fn,
                       void *ctx, const hc_ckpt_meta *meta, char *err, size_t errlen);
/* Checks that the file's model config equals local->cfg. */
int hc_checkpoint_load(const char *path, MPI_Comm comm, hc_params *local, hc_block_fn fn,
                       void *ctx, hc_ckpt_meta *meta, char *err, size_t errlen);
int hc_grad_dump(const char *path, MPI_Comm comm, const hc_params *local, hc_block_fn fn,
                 void *ctx, const int *batch, int b, int s, float loss, char *err,
                 size_t errlen);

#endif
