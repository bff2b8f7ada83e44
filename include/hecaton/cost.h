/* cost.h: the cost model on top of the ledger (DESIGN.md section 5):
 * DRAM traffic through the I/O dies on the mesh edge under two schedules,
 * the step's time and where it goes, and energy by component and phase.
 *
 * DRAM: a chiplet whose parameters (training precision), fp32 gradients,
 * fp32 Adam state and master weights, and saved activations (one
 * micro-batch's under micro-batch-major, all of them under layer-major) do
 * not fit its SRAM streams them to and from DRAM behind its nearest I/O die,
 * over the mesh links and the die's port:
 *   always (when anything spills): the optimizer step reads gradients,
 *     master weights, m and v (16 B each) and writes master weights, m, v
 *     (12 B) and the training-precision weights (e B);
 *   micro-batch-major (M micro-batches run forward and backward one after
 *     the other): weights read twice per micro-batch (forward, backward),
 *     gradients read and written per micro-batch after the first;
 *   layer-major (all micro-batches run through a layer before the next):
 *     weights read twice per step, gradients written once;
 *   activations kept for backward (the step's, or one micro-batch's under
 *     micro-batch-major) are written and read back when they do not fit in
 *     half the SRAM.
 * The DRAM engine streams concurrently with compute and the NoP (perfect
 * prefetch); a step takes the longest of the three timelines. */
#ifndef HECATON_COST_H
#define HECATON_COST_H

#include "hecaton/ledger.h"

typedef enum { HC_SCHED_MICRO, HC_SCHED_LAYER } hc_schedule;
const char *hc_schedule_name(hc_schedule s);
int hc_parse_schedule(const char *s, hc_schedule *out);

typedef struct {
  double read, write; /* bytes per step */
} hc_dram_io;

/* A chiplet's DRAM bytes per step: params (elements held), saved (activation
 * elements of the whole step), elem_bytes (training precision). */
hc_dram_io hc_dram_bytes(const hc_hw *hw, double params, double saved, int elem_bytes,
                         hc_schedule s, int micro_batches);

/* Simulated seconds for every chiplet's DRAM traffic at once: each
 * chiplet's reads come from, and writes go to, its nearest I/O die (XY
 * routes; port links at the port bandwidth, mesh links at the link
 * bandwidth, rule A's contention), and each die's DRAM serves the sum of its
 * chiplets' bytes at the DRAM bandwidth. io has one entry per node. */
double hc_dram_time(const hc_topo *t, const hc_hw *hw, const hc_dram_io *io);

/* Account this chiplet's DRAM traffic for one step with the mesh-wide time
 * known (no communication; hc_ledger_dram in report.h computes the time
 * from every chiplet's bytes). */
void hc_ledger_dram_record(hc_ledger *l, hc_dram_io mine, double time, double ready);

/* A step's figures from the gathered report (divide by steps for a
 * per-step figure). */
typedef struct {
  int critical;           /* the chiplet whose timeline ends last */
  double time;            /* its end */
  double busy[HC_NENGINES]; /* its engines' busy time */
  double exposed_comm;    /* time - compute busy (of the critical chiplet) */
  double flops;           /* all chiplets */
  double dram_bytes;      /* all chiplets */
  double link_bytes;      /* sum over directed links (bytes x hops) */
  double energy_link, energy_dram, energy_compute; /* joules */
  double energy_phase[HC_NPHASES]; /* link + compute, by phase; DRAM in other */
} hc_cost;
/* Energy (DESIGN.md section 5), joules: link bytes x pJ/bit x 8, DRAM bytes
 * x pJ/bit x 8, FLOPs x pJ/FLOP. The one place the formula stands. */
static inline double hc_energy_link(const hc_hw *hw, double bytes) {
  return bytes * 8 * hw->link_pj_per_bit * 1e-12;
}
static inline double hc_energy_dram(const hc_hw *hw, double bytes) {
  return bytes * 8 * hw->dram_pj_per_bit * 1e-12;
}
static inline double hc_energy_compute(const hc_hw *hw, double flops) {
  return flops * hw->pj_per_flop * 1e-12;
}

struct hc_ledger_report;
void hc_cost_from_report(const struct hc_ledger_report *r, hc_cost *c);
void hc_cost_print(const hc_cost *c, long steps, FILE *f);

#endif
