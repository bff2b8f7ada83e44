/* cost.h: the cost model on top of the ledger (DESIGN.md section 5):
 * what each operation keeps in SRAM and moves to and from DRAM through the
 * I/O dies on the mesh edge (the SRAM working-set model below), the step's
 * time and where it goes, and energy by component and phase. A step takes
 * the longest of the chiplet's three engine timelines (compute, NoP, DRAM). */
#ifndef HECATON_COST_H
#define HECATON_COST_H

#include "hecaton/ledger.h"

typedef enum { HC_SCHED_MICRO, HC_SCHED_LAYER } hc_schedule;
const char *hc_schedule_name(hc_schedule s);
int hc_parse_schedule(const char *s, hc_schedule *out);

typedef struct {
  double read, write; /* bytes per step */
} hc_dram_io;

/* The SRAM working-set model (cost.c). Every operation states what it
 * needs on the die at once (workset.h); the model decides, per chiplet and
 * step:
 *   - all fit: the parameters, fp32 gradients, Adam state and master
 *     weights and the live activations fit in SRAM: no DRAM traffic;
 *   - otherwise the SRAM is split: a quarter for the operation in flight, a
 *     quarter for prefetching the next one's operands (so the DRAM engine
 *     streams while compute runs), and a half kept across operations. Under
 *     micro-batch-major that half pins as many weights as fit across
 *     micro-batches (each pinned byte saves 2M reads a step), then one
 *     micro-batch's saved activations; under layer-major (all micro-batches
 *     through a layer before the next) it holds the saved activations, and a
 *     layer's weights stay in the operation's buffer across micro-batches.
 *     Saved activations that do not fit are written and read back.
 * Per operation and micro-batch the working set is the weight block, its
 * fp32 gradient, what every row reuses (attention's K and V of one head and
 * sequence) and the input and output tiles:
 *   weights read once per pass (layer-major) or once per micro-batch
 *     (micro-batch-major, less the pinned fraction); gradients written once
 *     (layer-major) or read and written per micro-batch after the first;
 *   a working set larger than the operation's buffer is tiled: either the
 *     reused block in halves of the buffer with the rows streamed past each
 *     (the input re-read per extra block), or the rows in blocks with the
 *     reused block re-read per extra row block, whichever moves fewer bytes;
 *   activations whose tiles do not fit in half the buffer stream: input
 *     read from DRAM, output written to it;
 *   the optimizer streams its slice: reads gradient, master, m, v (16 B),
 *     writes master, m, v (12 B) and the weights (e B).
 * An operation's DRAM bytes go over the route to its nearest I/O die and
 * through the die's port to its DRAM, at this chiplet's share of the busiest
 * link and of the die when every chiplet streams at once (rule A's
 * contention); the transfer starts when the previous operation starts
 * computing and the operation waits for it. */

/* Set the plan of a chiplet's step: params (elements held), trained (of
 * those, the ones with gradients and Adam state: all but LoRA's frozen
 * base), saved (activation elements kept for backward over the step). */
void hc_ledger_sram_plan(hc_ledger *l, hc_schedule s, int micro_batches, double params,
                         double trained, double saved);
/* The operands of the next compute on l's timeline (called by the charge
 * path, before hc_ledger_compute*): DRAM traffic placed on the DRAM engine,
 * the compute made to wait for it, a row of the report updated. */
void hc_ledger_workset(hc_ledger *l, const hc_workset *ws);
/* The step's saved activations that spill, written and read back while the
 * step runs (after `ready`); call once after the step. */
void hc_ledger_sram_finish(hc_ledger *l, double ready);
const char *hc_sram_where_name(int where);
/* The rows as a table (bytes per step, divided by steps), titled with the
 * method's name when not NULL; one line when every operation fits and no
 * byte goes to DRAM. */
void hc_sram_print(const hc_sram_row *rows, int n, long steps, const char *method, FILE *f);
/* Add a chiplet's rows to a mesh's table (*n rows in into, up to
 * HC_SRAM_ROWS), as the gathered report does: working set, tiles, SRAM
 * verdict and calls the largest, DRAM bytes summed, `times` chiplets alike. */
void hc_sram_merge(hc_sram_row *into, int *n, const hc_sram_row *rows, int nrows, double times);

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
