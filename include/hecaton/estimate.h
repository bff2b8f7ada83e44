/* estimate.h: the analytic estimator. For a model, a mesh of any size, a
 * method and a hardware file it computes, in one process and without MPI
 * ranks, the schedule the chiplets would run: the method's own code on
 * virtual chiplets in phantom mode (no tensors), each distinct collective
 * costed once by rule A (collectives between mesh neighbours in closed
 * form) and remembered, FLOPs counted by the ops, DRAM through the edge I/O
 * dies. Up to 256 chiplets every chiplet is evaluated, so the figures equal
 * a dry-run's; beyond, the chiplets of the first and last rows and columns
 * stand for the rest (the methods' chiplets differ only by their row or
 * column blocks), and mesh-wide totals are scaled from them. */
#ifndef HECATON_ESTIMATE_H
#define HECATON_ESTIMATE_H

#include <stddef.h>

#include "hecaton/cost.h"
#include "hecaton/hw.h"
#include "hecaton/model_config.h"

typedef struct {
  const char *method; /* hecaton, megatron, megatron-sp, summa */
  hc_model_config cfg;
  hc_hw hw;
  int R, C, b, s;
  int chunks, save_gathered;
  int recompute;      /* activation recomputation, an hc_recompute (model.h);
                         0: selective */
  hc_schedule schedule;
  int micro_batches;  /* 0: one per sequence */
} hc_estimate_in;

typedef struct {
  double sent;         /* bytes sent by the busiest chiplet */
  double time;         /* simulated step time (the slowest chiplet) */
  double busy[HC_NENGINES]; /* the slowest chiplet's engines */
  double exposed_comm; /* time - its compute busy */
  double nop_time;     /* NoP busy of the busiest chiplet */
  double flops;        /* whole mesh */
  double flops_chiplet;/* the busiest chiplet */
  double link_bytes;   /* whole mesh, bytes x hops */
  double dram_bytes;   /* whole mesh */
  double energy_link, energy_dram, energy_compute; /* joules, whole mesh */
  double params_bytes; /* weights per chiplet (largest), training precision x 4 B floats */
  double state_bytes;  /* weights, gradients and Adam m, v per chiplet (largest), 4 B each;
                          under LoRA the frozen base has no gradient or Adam state */
  int evaluated;       /* chiplets evaluated */
  /* The SRAM working-set model's table (cost.h), as a dry run's report
   * gathers it: per operation and phase the largest chiplet's working set
   * and verdict, DRAM bytes summed over the mesh (hc_sram_print prints it) */
  int nsram;
  hc_sram_row sram[HC_SRAM_ROWS];
} hc_estimate_out;

/* 0, or -1 with the reason the method cannot run the configuration. */
int hc_estimate(const hc_estimate_in *in, hc_estimate_out *out, char *err, size_t errlen);

#endif
