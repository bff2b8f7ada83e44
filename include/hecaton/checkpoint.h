/* checkpoint.h: checkpoints and gradient dumps in HDF5 (DESIGN.md section 6).
 *
 * Files always hold full, unsharded tensors under their Meta names, so a
 * file does not depend on the mesh or method that wrote it. Each rank
 * writes (or reads) its own block of each tensor (hc_tensor's r0, nr, c0,
 * nc) with parallel HDF5; of blocks held by several chiplets, the owner
 * writes.
 *
 *   checkpoint: /params/<name>, /optim/m/<name>, /optim/v/<name>;
 *               attributes: the model config, step, data seed and position,
 *               batch and sequence length.
 *   gradient dump: /params/<name>, /grads/<name>, /batch/tokens (b, s+1)
 *               int32, /loss; the model config as attributes. */
#ifndef HECATON_CHECKPOINT_H
#define HECATON_CHECKPOINT_H

#include <mpi.h>
#include <stdint.h>

#include "hecaton/params.h"

typedef struct {
  long step;          /* optimizer steps taken */
  uint64_t data_seed; /* the loader's seed */
  uint64_t data_epoch, data_pos;
  uint64_t init_seed;
  int batch, seq;     /* the batch the data position counts in */
} hc_ckpt_meta;

/* `local` holds the shards (tensors in descriptor order, with its config
 * the global model). Collective over comm. 0, or -1 with a message (the
 * same on every rank). */
int hc_checkpoint_save(const char *path, MPI_Comm comm, const hc_params *local,
                       const hc_ckpt_meta *meta, char *err, size_t errlen);
/* Checks that the file's model config equals local->cfg. */
int hc_checkpoint_load(const char *path, MPI_Comm comm, hc_params *local, hc_ckpt_meta *meta,
                       char *err, size_t errlen);
/* The model config a checkpoint was written with (serial, any rank): 0, or
 * -1 with a message. */
int hc_checkpoint_read_config(const char *path, hc_model_config *cfg, char *err, size_t errlen);
/* The parameters only (the base model's tensors, which lead the table), to
 * start a run from: config and digests checked as by hc_checkpoint_load;
 * Adam state and the data position untouched. Collective. */
int hc_checkpoint_load_params(const char *path, MPI_Comm comm, hc_params *local, char *err,
                              size_t errlen);
/* The same with LoRA's adapters too (the file must have the same --lora
 * rank and targets as local->cfg): for export --merge-lora. */
int hc_checkpoint_load_all_params(const char *path, MPI_Comm comm, hc_params *local, char *err,
                                  size_t errlen);
int hc_grad_dump(const char *path, MPI_Comm comm, const hc_params *local, const int *batch,
                 int b, int s, float loss, char *err, size_t errlen);

#endif
