/* train.h: the training loop, the same for every method: batches from the
 * loader, forward and backward through the model, global gradient-norm
 * clipping, AdamW on this chiplet's shards, validation, checkpoints. */
#ifndef HECATON_TRAIN_H
#define HECATON_TRAIN_H

#include <mpi.h>
#include <stdint.h>

#include "hecaton/checkpoint.h"
#include "hecaton/data.h"
#include "hecaton/cost.h"
#include "hecaton/ledger.h"
#include "hecaton/model.h"

typedef struct {
  int steps;                 /* total optimizer steps (a resumed run continues to it) */
  double lr, min_lr;         /* peak and final learning rate */
  long warmup;               /* linear warm-up steps */
  double weight_decay, clip; /* clip <= 0: no clipping */
  double beta1, beta2, eps;
  uint64_t seed;             /* weight initialisation */
  int val_every, val_batches;
  int log_every;
  const char *save;          /* checkpoint path (written every save_every and at the end) */
  int save_every;
  const char *resume;        /* checkpoint to continue (weights, Adam state, data position) */
  const char *init;          /* weights to start from (step 0, fresh Adam state): a Hugging
                                Face Llama folder or a hecaton checkpoint (hf.h) */
  const char *dump_grads;    /* gradient dump of the first step */
  int stop_after;            /* > 0: stop after this many steps of this run (saving if --save) */
  const char *log_file;      /* CSV: step, loss, lr, grad norm, validation loss (%.9g: exact) */
  int schedule;              /* hc_schedule: DRAM traffic model (cost.h) */
  int micro_batches;         /* for the DRAM model; 0: one per sequence */
} hc_train_opts;

void hc_train_defaults(hc_train_opts *o);

typedef struct hc_trainer {
  hc_method *m;
  MPI_Comm comm;     /* all chiplets (checkpoint I/O, verdicts) */
  hc_loader *data;   /* NULL in a dry-run: phantom batches */
  hc_ledger *ledger; /* muted during validation, so it holds training steps only (may be NULL) */
  /* Optional: called after the first step's backward, before the optimizer
   * (collective); non-zero stops the run (after one message). */
  int (*check)(struct hc_trainer *tr, hc_model *md, const int *batch, float loss);
  const void *check_arg;
  /* results */
  float first_loss, last_loss, last_val;
  double seconds;
  size_t activation_bytes; /* the step's activations as allocated */
  long steps_run;
} hc_trainer;

/* Runs the loop, printing progress on rank 0. Returns 0, or -1 after one
 * message from rank 0 (collective). */
int hc_train_run(hc_trainer *tr, const hc_train_opts *o);
/* Mean validation loss over n batches (forward only). */
float hc_train_validate(hc_trainer *tr, hc_model *md, int n);

#endif
