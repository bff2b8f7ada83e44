/* cost.c: DRAM through the edge I/O dies, the step's time, energy. */
#include "hecaton/cost.h"
#include "hecaton/report.h"

#include <math.h>
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

hc_dram_io hc_dram_bytes(const hc_hw *hw, double params, double saved, int elem_bytes,
                         hc_schedule s, int micro_batches) {
  hc_dram_io io = {0, 0};
  double e = elem_bytes, M = micro_batches < 1 ? 1 : micro_batches;
  double W = params * e, G = 4 * params, state = 12 * params, A = saved * e;
  /* On the die at once: the state, and the activations of one micro-batch
   * (micro-batch-major) or of all of them (layer-major). */
  double live = s == HC_SCHED_MICRO ? A / M : A;
  if (W + G + state + live <= hw->sram_bytes) return io; /* everything stays on the die */
  io.read += 16 * params, io.write += 12 * params + W; /* the optimizer step */
  if (s == HC_SCHED_MICRO) {
    io.read += 2 * M * W + (M - 1) * G, io.write += (M - 1) * G + G;
    double a = A / M; /* one micro-batch's activations at a time */
    if (a > hw->sram_bytes / 2) io.write += A, io.read += A;
  } else {
    io.read += 2 * W, io.write += G;
    if (A > hw->sram_bytes / 2) io.write += A, io.read += A;
  }
  return io;
}

/* Bandwidth of a directed link: I/O ports at the port's, mesh links at the
 * link's. */
static double link_bw(const hc_hw *hw, int link) {
  return (link % HC_LINK_SLOTS) >= 4 ? hw->io_port_bw : hw->link_bw;
}

double hc_dram_time(const hc_topo *t, const hc_hw *hw, const hc_dram_io *io) {
  int n = hc_topo_nodes(t), nl = hc_topo_nlinks(t);
  double *load = hc_calloc((size_t)nl, sizeof(double));
  double *die = hc_calloc((size_t)n * 4, sizeof(double));
  int *in = hc_malloc((size_t)hc_route_max(t) * sizeof(int));
  int *out = hc_malloc((size_t)hc_route_max(t) * sizeof(int));
  double worst = 0;
  for (int pass = 0; pass < 2; pass++)
    for (int k = 0; k < n; k++) {
      if (io[k].read + io[k].write <= 0) continue;
      int port, edge;
      if (hc_nearest_io(t, k, &port, &edge) < 0) HC_DIE("no I/O die on any mesh edge");
      int hin = hc_route_from_io(t, port, edge, k, in), hout = hc_route_to_io(t, k, port, edge, out);
      if (pass == 0) { /* loads */
        for (int q = 0; q < hin; q++) load[in[q]] += io[k].read;
        for (int q = 0; q < hout; q++) load[out[q]] += io[k].write;
        die[port * 4 + edge] += io[k].read + io[k].write;
        continue;
      }
      /* rule A per direction: as slow as the busiest link on the route */
      double tin = 0, tout = 0;
      for (int q = 0; q < hin; q++)
        tin = fmax(tin, load[in[q]] / (link_bw(hw, in[q]) * hw->link_eff));
      for (int q = 0; q < hout; q++)
        tout = fmax(tout, load[out[q]] / (link_bw(hw, out[q]) * hw->link_eff));
      tin += hw->msg_overhead + hin * hw->link_latency;
      tout += hw->msg_overhead + hout * hw->link_latency;
      worst = fmax(worst, fmax(io[k].read > 0 ? tin : 0, io[k].write > 0 ? tout : 0));
    }
  for (int k = 0; k < n * 4; k++) worst = fmax(worst, die[k] / hw->dram_bw);
  free(load), free(die), free(in), free(out);
  return worst;
}

void hc_ledger_dram_record(hc_ledger *l, hc_dram_io mine, double time, double ready) {
  if (l->muted) return;
  /* This chiplet's bytes on its routes, tagged DRAM. */
  int port, edge;
  if (l->link_bytes && mine.read + mine.write > 0 && hc_nearest_io(&l->topo, l->me, &port, &edge) >= 0) {
    uint64_t *links = l->link_bytes + ((size_t)HC_PHASE_OTHER * HC_NOPKINDS + HC_OPK_DRAM) * l->nlinks;
    int h = hc_route_from_io(&l->topo, port, edge, l->me, l->route);
    for (int q = 0; q < h; q++) links[l->route[q]] += (uint64_t)mine.read;
    h = hc_route_to_io(&l->topo, l->me, port, edge, l->route);
    for (int q = 0; q < h; q++) links[l->route[q]] += (uint64_t)mine.write;
  }
  l->dram_read += (uint64_t)mine.read, l->dram_write += (uint64_t)mine.write;
  hc_ledger_run(l, HC_ENG_DRAM, time, ready, "dram");
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
