/* ledger.h: every transfer between chiplets, counted and costed.
 *
 * A collective runs as a sequence of steps; in a step every member knows
 * the whole set of transfers (hc_xfer). The ledger routes each transfer
 * (XY), and
 *   - times the step with rule A (DESIGN.md section 5): a transfer over H
 *     hops whose busiest link carries L bytes in the step takes
 *     o + H*alpha + L/(B*eta); the step takes its longest transfer;
 *   - adds to this rank's counters only what this rank sends (bytes on each
 *     link of the route, bytes sent, messages, hops) or receives, so that
 *     summing the ledgers of all ranks counts every byte exactly once.
 * Counters are kept per phase and per op kind: a tag the caller sets. */
#ifndef HECATON_LEDGER_H
#define HECATON_LEDGER_H

#include <stdint.h>
#include <stdio.h>

#include "hecaton/hw.h"
#include "hecaton/tags.h"
#include "hecaton/topo.h"
#include "hecaton/workset.h"

enum hc_coll_kind {
  HC_COLL_ALLGATHER, HC_COLL_REDUCE_SCATTER, HC_COLL_ALLREDUCE,
  HC_COLL_BCAST, HC_COLL_REDUCE, HC_NCOLLS
};
const char *hc_phase_name(int phase);
const char *hc_opkind_name(int op);
const char *hc_coll_name(int coll);
const char *hc_engine_name(int e);

typedef struct {
  int engine;
  double start, end; /* simulated seconds */
  char name[28];
} hc_event;

/* The SRAM working-set model's plan for one chiplet and step (cost.h,
 * hc_ledger_sram_plan) and its report, one row per operation and phase. */
typedef struct {
  int on;            /* 0: operations bring no DRAM traffic (no plan set) */
  int layer_major;   /* schedule: layer-major, else micro-batch-major */
  int micro_batches;
  int all_fit;       /* state and live activations fit: nothing goes to DRAM */
  double pinned;     /* fraction of the weights kept across micro-batches */
  double saved_spill;/* bytes of saved activations written (and read back) */
  double op_buffer;  /* bytes for the operation in flight */
  double s_in, s_out, s_die; /* seconds per byte: route in, route out, DRAM */
  double latency;    /* o + hops x alpha of one DRAM transfer */
} hc_sram_plan;

enum { HC_SRAM_FITS, HC_SRAM_TILED, HC_SRAM_STREAMED };
typedef struct {
  char name[20];
  int phase;
  int where;        /* worst over calls: HC_SRAM_FITS, _TILED, _STREAMED */
  double calls;
  double set;       /* bytes on the die together (largest call) */
  double tiles;     /* most tiles of a call */
  double read, write; /* DRAM bytes, all calls */
} hc_sram_row;
#define HC_SRAM_ROWS 40

typedef struct {
  int src, dst;   /* chiplet nodes */
  uint64_t bytes; /* on the wire */
} hc_xfer;

typedef struct {
  uint64_t sent, recv; /* bytes */
  uint64_t msgs;       /* messages sent */
  uint64_t hops;       /* sum over messages sent of their hop counts */
  double nop_time;     /* simulated seconds in collectives */
  double byte_hops;    /* sum over messages sent of bytes x hops (link energy) */
} hc_counters;

typedef struct {
  uint64_t calls;
  uint64_t bytes;     /* payload: AG output, RS input, AR/bcast/reduce buffer */
  double bus_bytes;   /* payload x bus factor ((p-1)/p, 2(p-1)/p or 1) */
  double sim_time;    /* simulated seconds */
  double wall_time;   /* real seconds (data mode) */
} hc_coll_stats;

typedef struct {
  hc_topo topo;
  hc_hw hw;
  int me; /* this chiplet's node */
  int phase, op;
  int muted;  /* 1: time steps but record nothing (validation passes) */
  int lite;   /* 1: no per-link table (the estimator's chiplets) */
  int nlinks;
  uint64_t *link_bytes; /* [HC_NPHASES][HC_NOPKINDS][nlinks], sent by me */
  hc_counters tag[HC_NPHASES][HC_NOPKINDS];
  hc_coll_stats coll[HC_NCOLLS];
  double *load; /* scratch: bytes per link within one step */
  int *route;   /* scratch: one route */
  /* The cost model's timeline (DESIGN.md section 5): FLOPs per tag, each
   * engine's busy-until clock and busy time, and `now`, when the program's
   * latest result is ready. An operation starts when its engine is free and
   * its input is ready. Collectives advance the timeline themselves unless
   * `defer` is set (a chunked pipeline schedules them). */
  double flops[HC_NPHASES][HC_NOPKINDS];
  double engine_free[HC_NENGINES], busy[HC_NENGINES];
  double now;
  int defer;
  double last_coll_time; /* simulated seconds of the latest collective */
  uint64_t dram_read, dram_write; /* bytes between this chiplet and its I/O die */
  hc_sram_plan sram;     /* the SRAM model (cost.h); kept across resets */
  int nsram;
  hc_sram_row sram_rows[HC_SRAM_ROWS];
  double operands_ready; /* the next compute waits for its operands from DRAM */
  double compute_start;  /* start of the latest compute: the next op's prefetch starts there */
  int trace;             /* record events (Chrome trace) */
  hc_event *events;
  size_t nevents, cap_events;
} hc_ledger;

void hc_ledger_init(hc_ledger *l, const hc_topo *t, const hc_hw *hw, int me);
/* The same without the per-link table (counters and timeline only). */
void hc_ledger_init_lite(hc_ledger *l, const hc_topo *t, const hc_hw *hw, int me);
void hc_ledger_free(hc_ledger *l);
void hc_ledger_reset(hc_ledger *l);
static inline void hc_ledger_set_tag(hc_ledger *l, int phase, int op) {
  l->phase = phase, l->op = op;
}

/* Rule A for one step (transfers sharing a link all wait for it). load must
 * be nlinks zeros and route hc_route_max ints; load is zero again on
 * return. Pure: no ledger, no MPI. */
double hc_step_time(const hc_topo *t, const hc_hw *hw, const hc_xfer *x,
                    int n, double *load, int *route);
/* Time the step, count this rank's part of it, add the time to the current
 * tag; returns the step's simulated time. */
double hc_ledger_step(hc_ledger *l, const hc_xfer *x, int n);
/* The same with the step's time known (the estimator's memo). */
void hc_ledger_record(hc_ledger *l, const hc_xfer *x, int n, double step);
void hc_ledger_collective(hc_ledger *l, int coll, uint64_t bytes,
                          double bus_factor, double sim_time, double wall);

/* Run `dur` seconds on an engine, starting when both it and the input
 * (`ready`) are; returns the end. */
double hc_ledger_run(hc_ledger *l, int engine, double dur, double ready, const char *name);
/* Compute: flops at the die's peak x efficiency, after `now`; advances now. */
void hc_ledger_compute(hc_ledger *l, double flops, const char *name);
/* The same after `ready`, leaving now alone; returns the end. */
double hc_ledger_compute_at(hc_ledger *l, double flops, double ready, const char *name);
/* A pipeline on the timeline (a chunked linear, where the gather of chunk
 * c+1, the GEMM of chunk c and the reduce-scatter of chunk c-1 overlap):
 * between begin and end, collectives do not advance the timeline
 * themselves; the caller places each with hc_ledger_place_collective once
 * its input is ready, and computes with hc_ledger_compute_at. Pipelines
 * nest. */
typedef struct {
  double ready;    /* when the pipeline's input is: `now` at its beginning */
  int outer_defer; /* the enclosing pipeline's setting, put back at the end */
} hc_pipeline;
hc_pipeline hc_ledger_pipeline_begin(hc_ledger *l);
/* The latest collective (inside a pipeline) on the NoP engine, starting
 * after `ready` and when the engine is free; returns its end. */
double hc_ledger_place_collective(hc_ledger *l, double ready, const char *name);
/* Ends the pipeline: the program's latest result is ready at `end`. */
void hc_ledger_pipeline_end(hc_ledger *l, const hc_pipeline *p, double end);
/* Seconds the compute engine needs for flops. */
static inline double hc_hw_compute_time(const hc_hw *hw, double flops) {
  return flops / (hw->peak_flops * hw->compute_eff);
}
double hc_ledger_total_flops(const hc_ledger *l);

/* Sums over tags of this rank's ledger. */
hc_counters hc_ledger_totals(const hc_ledger *l);
uint64_t hc_ledger_link_bytes(const hc_ledger *l, int link);

#endif
