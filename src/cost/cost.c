/* cost.c: DRAM through the edge I/O dies, the step's time, energy. */
#include "hecaton/cost.h"
#include "hecaton/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/util.h"

const char *hc_schedule_name(hc_schedule s) {
  return s == HC_SCHED_LAYER ? "layer-major" : "micro-batch-major";
}

int hc_parse_schedule(const char *s, hc_schedule *out) {
  if (!strcmp(s, "layer") || !strcmp(s, "layer-major")) *out = HC_SCHED_LAYER;
  else if (!strcmp(s, "micro") || !strcmp(s, "micro-batch-major")) *out = HC_SCHED_MICRO;
  else return -1;
  return 0;
}

/* Bandwidth of a directed link: I/O ports at the port's, mesh links at the
 * link's. */
static double link_bw(const hc_hw *hw, int link) {
  return (link % HC_LINK_SLOTS) >= 4 ? hw->io_port_bw : hw->link_bw;
}

void hc_cost_from_report(const hc_ledger_report *r, hc_cost *c) {
  memset(c, 0, sizeof *c);
  for (int n = 0; n < r->nodes; n++) {
    if (r->step_time[n] > c->time) c->time = r->step_time[n], c->critical = n;
    c->flops += r->flops[n];
    c->dram_bytes += r->dram_bytes[n];
  }
  for (int e = 0; e < HC_NENGINES; e++) c->busy[e] = r->busy[c->critical * HC_NENGINES + e];
  c->exposed_comm = c->time - c->busy[HC_ENG_COMPUTE];
  const hc_hw *hw = &r->hw;
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) {
      double bytes = 0;
      for (int k = 0; k < r->nlinks; k++)
        bytes += (double)r->link_bytes[((size_t)p * HC_NOPKINDS + o) * r->nlinks + k];
      c->link_bytes += bytes;
      double el = hc_energy_link(hw, bytes), ec = hc_energy_compute(hw, r->flops_tag[p][o]);
      c->energy_link += el, c->energy_compute += ec;
      c->energy_phase[p] += el + ec;
    }
  c->energy_dram = hc_energy_dram(hw, c->dram_bytes);
  c->energy_phase[HC_PHASE_OTHER] += c->energy_dram;
}

void hc_cost_print(const hc_cost *c, long steps, FILE *f) {
  double n = steps > 0 ? (double)steps : 1;
  double t = c->time / n;
  fprintf(f, "simulated time per step: %.6e s (chiplet %d ends last): compute %.6e s busy, "
             "NoP %.6e s busy, DRAM %.6e s busy; exposed communication %.6e s (%.1f%%)\n",
          t, c->critical, c->busy[HC_ENG_COMPUTE] / n, c->busy[HC_ENG_NOP] / n,
          c->busy[HC_ENG_DRAM] / n, c->exposed_comm / n, t > 0 ? 100 * c->exposed_comm / n / t : 0);
  fprintf(f, "energy per step: %.4e J = links %.4e + DRAM %.4e + compute %.4e; by phase: "
             "forward %.4e, backward %.4e, optimizer %.4e, other (incl. DRAM) %.4e; %.4g FLOP, "
             "%.4g B on links, %.4g B to/from DRAM\n",
          (c->energy_link + c->energy_dram + c->energy_compute) / n, c->energy_link / n,
          c->energy_dram / n, c->energy_compute / n, c->energy_phase[HC_PHASE_FWD] / n,
          c->energy_phase[HC_PHASE_BWD] / n, c->energy_phase[HC_PHASE_OPT] / n,
          c->energy_phase[HC_PHASE_OTHER] / n, c->flops / n, c->link_bytes / n, c->dram_bytes / n);
}

/* ---- the SRAM working-set model (cost.h) ----------------------------------- */

/* This chiplet's DRAM path when every chiplet streams the same bytes at
 * once, each over its nearest I/O dies (equally near ones share its bytes):
 * seconds per byte on its busiest route link in and out and at its busiest
 * die's DRAM (rule A's contention). */
static void dram_share(hc_ledger *l, hc_sram_plan *p) {
  const hc_topo *t = &l->topo;
  const hc_hw *hw = &l->hw;
  int n = hc_topo_nodes(t), port[4], edge[4];
  double *load = hc_calloc((size_t)l->nlinks, sizeof(double));
  double *die = hc_calloc((size_t)n * 4, sizeof(double));
  for (int pass = 0; pass < 2; pass++)
    for (int k = pass ? l->me : 0; k < (pass ? l->me + 1 : n); k++) {
      int nd = hc_nearest_ios(t, k, port, edge);
      for (int d = 0; d < nd; d++) {
        double w = 1.0 / nd; /* this die's share of the chiplet's bytes */
        int hin = hc_route_from_io(t, port[d], edge[d], k, l->route);
        for (int q = 0; q < hin; q++)
          if (pass == 0) load[l->route[q]] += w;
          else p->s_in = fmax(p->s_in, w * load[l->route[q]] / (link_bw(hw, l->route[q]) * hw->link_eff));
        int hout = hc_route_to_io(t, k, port[d], edge[d], l->route);
        for (int q = 0; q < hout; q++)
          if (pass == 0) load[l->route[q]] += w;
          else p->s_out = fmax(p->s_out, w * load[l->route[q]] / (link_bw(hw, l->route[q]) * hw->link_eff));
        if (pass == 0) die[port[d] * 4 + edge[d]] += w;
        else p->s_die = fmax(p->s_die, w * die[port[d] * 4 + edge[d]] / hw->dram_bw),
             p->latency = hw->msg_overhead + (hin > hout ? hin : hout) * hw->link_latency;
      }
    }
  free(load), free(die);
}

void hc_ledger_sram_plan(hc_ledger *l, hc_schedule s, int micro_batches, double params,
                         double trained, double saved) {
  hc_sram_plan *p = &l->sram;
  memset(p, 0, sizeof *p);
  p->on = 1, p->layer_major = s == HC_SCHED_LAYER;
  p->micro_batches = micro_batches < 1 ? 1 : micro_batches;
  double M = p->micro_batches, S = l->hw.sram_bytes;
  double W = params * l->hw.elem_bytes, A = saved * l->hw.elem_bytes;
  double live = p->layer_major ? A : A / M;
  p->all_fit = W + 4 * trained + 12 * trained + live <= S; /* + fp32 grads, master, m, v */
  if (p->all_fit) return;
  p->op_buffer = S / 4;
  double keep = S / 2; /* kept across operations */
  if (!p->layer_major) {
    double pin = fmin(W, keep);
    p->pinned = W > 0 ? pin / W : 1, keep -= pin;
  }
  p->saved_spill = fmax(0, live - keep) * (p->layer_major ? 1 : M);
  dram_share(l, p);
}

const char *hc_sram_where_name(int where) {
  return where == HC_SRAM_STREAMED ? "streams" : where == HC_SRAM_TILED ? "tiled" : "fits";
}

/* Seconds of one DRAM transfer of this chiplet. */
static double dram_seconds(const hc_sram_plan *p, double read, double write) {
  if (read + write <= 0) return 0;
  return p->latency + fmax(fmax(read * p->s_in, write * p->s_out), (read + write) * p->s_die);
}

/* Bytes on the route to and from this chiplet's I/O die (tag DRAM), and
 * the chiplet's DRAM counters. */
static void dram_bytes_on_routes(hc_ledger *l, double read, double write) {
  int port[4], edge[4];
  if (read + write <= 0) return;
  int nd = hc_nearest_ios(&l->topo, l->me, port, edge);
  if (nd == 0) HC_DIE("no I/O die on any mesh edge");
  for (int d = 0; d < nd && l->link_bytes; d++) { /* equally near dies share the bytes */
    uint64_t *links = l->link_bytes + ((size_t)HC_PHASE_OTHER * HC_NOPKINDS + HC_OPK_DRAM) * l->nlinks;
    int h = hc_route_from_io(&l->topo, port[d], edge[d], l->me, l->route);
    for (int q = 0; q < h; q++) links[l->route[q]] += (uint64_t)(read / nd);
    h = hc_route_to_io(&l->topo, l->me, port[d], edge[d], l->route);
    for (int q = 0; q < h; q++) links[l->route[q]] += (uint64_t)(write / nd);
  }
  l->dram_read += (uint64_t)read, l->dram_write += (uint64_t)write;
}

/* The row of (name, phase) in a table of *n rows, added when new (NULL
 * when the table is full: bytes counted, no row). */
static hc_sram_row *table_row(hc_sram_row *rows, int *n, const char *name, int phase) {
  for (int k = 0; k < *n; k++)
    if (rows[k].phase == phase && !strcmp(rows[k].name, name)) return &rows[k];
  if (*n == HC_SRAM_ROWS) return NULL;
  hc_sram_row *r = &rows[(*n)++];
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  r->phase = phase;
  return r;
}
static hc_sram_row *sram_row(hc_ledger *l, const char *name, int phase) {
  return table_row(l->sram_rows, &l->nsram, name, phase);
}

void hc_sram_merge(hc_sram_row *into, int *n, const hc_sram_row *rows, int nrows, double times) {
  for (int k = 0; k < nrows; k++) {
    const hc_sram_row *q = &rows[k];
    hc_sram_row *r = table_row(into, n, q->name, q->phase);
    if (!r) return;
    r->set = fmax(r->set, q->set), r->tiles = fmax(r->tiles, q->tiles);
    r->calls = fmax(r->calls, q->calls), r->where = q->where > r->where ? q->where : r->where;
    r->read += times * q->read, r->write += times * q->write;
  }
}

/* What an operation moves between DRAM and the die (cost.h). */
typedef struct {
  double set, tiles, read, write;
  int where;
} op_traffic;

static op_traffic op_dram(const hc_sram_plan *p, const hc_hw *hw, const hc_workset *ws) {
  double e = hw->elem_bytes, M = p->micro_batches;
  op_traffic o = {0, 1, 0, 0, HC_SRAM_FITS};
  if (ws->updated > 0) { /* the optimizer: its slice streams through one buffer */
    o.set = (28 + e) * ws->updated;
    if (p->all_fit) return o;
    o.tiles = ceil(o.set / p->op_buffer), o.where = HC_SRAM_STREAMED;
    o.read = 16 * ws->updated, o.write = (12 + e) * ws->updated;
    return o;
  }
  int unitwise = ws->units > 1; /* units are whole sequences: micro-batches do not split them */
  double u = unitwise ? ws->units : 1;
  double Wb = e * ws->weights, Gb = 4 * ws->grads, Rb = e * ws->reused;
  double Ib = e * ws->in, Ob = e * ws->out;
  double tile = unitwise ? Ib + Ob : (Ib + Ob) / M; /* one execution's rows */
  double keep = Wb + Gb + Rb;                       /* what every row of it reads */
  o.set = keep + tile;
  if (p->all_fit) return o;
  double B = p->op_buffer, half = B / 2;
  /* Weights: once per pass (layer-major), else per micro-batch less the pinned. */
  o.read += Wb * (p->layer_major ? 1 : M * (1 - p->pinned));
  if (Gb > 0) {
    if (p->layer_major) o.write += Gb;
    else o.read += (M - 1) * Gb, o.write += M * Gb;
  }
  /* Activations stay on the die between operations when one execution's
   * tiles fit in half the buffer; otherwise they stream. */
  if (Rb + tile > half) o.where = HC_SRAM_STREAMED, o.read += u * (Ib + Rb), o.write += u * Ob;
  if (o.set > B) { /* tiled: the cheaper of the two loop orders */
    double loads = unitwise ? u : (p->layer_major ? 1 : M); /* of `keep`, untiled */
    double nR = ceil(keep / half), nA = ceil(tile / half);
    /* extra loads of `keep` with the rows in nA blocks; under layer-major a
     * block too large for the buffer no longer stays across micro-batches */
    double extra = p->layer_major && !unitwise ? M * nA - 1 : loads * (nA - 1);
    double rows_again = (nR - 1) * Ib * u; /* the input re-read per extra block of `keep` */
    if (rows_again <= extra * (keep + Gb)) o.read += rows_again, o.tiles = nR;
    else o.read += extra * keep, o.write += extra * Gb, o.tiles = nA;
    if (o.where == HC_SRAM_FITS) o.where = HC_SRAM_TILED;
  }
  return o;
}

void hc_ledger_workset(hc_ledger *l, const hc_workset *ws) {
  const hc_sram_plan *p = &l->sram;
  if (l->muted || !ws || !p->on) return;
  op_traffic o = op_dram(p, &l->hw, ws);
  if (o.read + o.write > 0) {
    dram_bytes_on_routes(l, o.read, o.write);
    /* Prefetched while the previous operation computes; this one waits. */
    l->operands_ready = hc_ledger_run(l, HC_ENG_DRAM, dram_seconds(p, o.read, o.write),
                                      l->compute_start, ws->name);
  }
  hc_sram_row *r = sram_row(l, ws->name ? ws->name : "?", l->phase);
  if (!r) return;
  r->calls += 1, r->set = fmax(r->set, o.set), r->tiles = fmax(r->tiles, o.tiles);
  r->read += o.read, r->write += o.write;
  if (o.where > r->where) r->where = o.where;
}

void hc_ledger_sram_finish(hc_ledger *l, double ready) {
  const hc_sram_plan *p = &l->sram;
  if (l->muted || !p->on || p->saved_spill <= 0) return;
  double b = p->saved_spill;
  dram_bytes_on_routes(l, b, b);
  hc_ledger_run(l, HC_ENG_DRAM, dram_seconds(p, b, b), ready, "saved activations");
  hc_sram_row *r = sram_row(l, "saved activations", HC_PHASE_OTHER);
  if (r) r->calls += 1, r->set = b, r->read += b, r->write += b, r->where = HC_SRAM_STREAMED;
}

void hc_sram_print(const hc_sram_row *rows, int n, long steps, const char *method, FILE *f) {
  double k = steps > 0 ? (double)steps : 1;
  char b1[32], b2[32], b3[32];
  if (n == 0) return;
  double largest = 0, dram = 0;
  int spills = 0;
  for (int i = 0; i < n; i++) {
    largest = rows[i].set > largest ? rows[i].set : largest;
    dram += rows[i].read + rows[i].write;
    spills += rows[i].where != HC_SRAM_FITS;
  }
  if (!spills && dram == 0) { /* nothing to tabulate: say so in one line */
    fprintf(f, "SRAM working sets%s%s: all %d operations fit on the die (largest %s), no DRAM "
               "traffic\n", method ? ", " : "", method ? method : "", n,
            hc_fmt_bytes(largest, b1, sizeof b1));
    return;
  }
  fprintf(f, "SRAM working sets%s%s (largest chiplet; DRAM bytes per step, all chiplets):\n",
          method ? ", " : "", method ? method : "");
  fprintf(f, "  %-20s %-9s %12s %8s %7s %12s %12s\n", "operation", "phase", "working set", "SRAM",
          "tiles", "DRAM read", "DRAM write");
  for (int i = 0; i < n; i++) {
    const hc_sram_row *r = &rows[i];
    char tiles[16] = "-"; /* saved activations: streamed whole, not tiled */
    if (r->tiles > 0) snprintf(tiles, sizeof tiles, "%.0f", r->tiles);
    fprintf(f, "  %-20s %-9s %12s %8s %7s %12s %12s\n", r->name, hc_phase_name(r->phase),
            hc_fmt_bytes(r->set, b1, sizeof b1), hc_sram_where_name(r->where), tiles,
            hc_fmt_bytes(r->read / k, b2, sizeof b2), hc_fmt_bytes(r->write / k, b3, sizeof b3));
  }
}
