/* ledger.c: routing, counting and rule-A timing of transfers. */
#include "hecaton/ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/util.h"

static const char *kPhase[HC_NPHASES] = {"forward", "backward", "optimizer", "other"};
static const char *kOpk[HC_NOPKINDS] = {"linear", "norm", "attention", "embedding",
                                        "loss", "other", "dram"};
static const char *kEngine[HC_NENGINES] = {"compute", "NoP", "DRAM"};
const char *hc_engine_name(int e) { return e >= 0 && e < HC_NENGINES ? kEngine[e] : "?"; }
static const char *kColl[HC_NCOLLS] = {"all-gather", "reduce-scatter", "all-reduce",
                                       "broadcast", "reduce"};

const char *hc_phase_name(int p) { return p >= 0 && p < HC_NPHASES ? kPhase[p] : "?"; }
const char *hc_opkind_name(int o) { return o >= 0 && o < HC_NOPKINDS ? kOpk[o] : "?"; }
const char *hc_coll_name(int c) { return c >= 0 && c < HC_NCOLLS ? kColl[c] : "?"; }

#define TAGGED (HC_NPHASES * HC_NOPKINDS)

void hc_ledger_init(hc_ledger *l, const hc_topo *t, const hc_hw *hw, int me) {
  memset(l, 0, sizeof *l);
  l->topo = *t;
  l->hw = *hw;
  l->me = me;
  l->phase = HC_PHASE_OTHER, l->op = HC_OPK_OTHER;
  l->nlinks = hc_topo_nlinks(t);
  l->link_bytes = hc_calloc((size_t)TAGGED * l->nlinks, sizeof *l->link_bytes);
  l->lite = 0;
  l->load = hc_calloc((size_t)l->nlinks, sizeof *l->load);
  l->route = hc_calloc((size_t)hc_route_max(t), sizeof *l->route);
}

void hc_ledger_init_lite(hc_ledger *l, const hc_topo *t, const hc_hw *hw, int me) {
  memset(l, 0, sizeof *l);
  l->topo = *t;
  l->hw = *hw;
  l->me = me;
  l->phase = HC_PHASE_OTHER, l->op = HC_OPK_OTHER;
  l->nlinks = hc_topo_nlinks(t);
  l->lite = 1; /* no per-link table: counters and timeline only */
  l->route = hc_calloc((size_t)hc_route_max(t), sizeof *l->route);
  l->load = hc_calloc((size_t)l->nlinks, sizeof *l->load);
}

void hc_ledger_free(hc_ledger *l) {
  free(l->events);
  free(l->link_bytes);
  free(l->load);
  free(l->route);
  memset(l, 0, sizeof *l);
}

void hc_ledger_reset(hc_ledger *l) {
  if (l->link_bytes) memset(l->link_bytes, 0, (size_t)TAGGED * l->nlinks * sizeof *l->link_bytes);
  memset(l->tag, 0, sizeof l->tag);
  memset(l->coll, 0, sizeof l->coll);
  memset(l->flops, 0, sizeof l->flops);
  memset(l->engine_free, 0, sizeof l->engine_free);
  memset(l->busy, 0, sizeof l->busy);
  l->now = 0, l->last_coll_time = 0, l->dram_read = l->dram_write = 0, l->nevents = 0;
  l->nsram = 0, l->operands_ready = l->compute_start = 0;
}

double hc_ledger_run(hc_ledger *l, int engine, double dur, double ready, const char *name) {
  double start = ready > l->engine_free[engine] ? ready : l->engine_free[engine];
  double end = start + dur;
  if (l->muted) return end; /* validation: timed, not recorded */
  l->engine_free[engine] = end;
  l->busy[engine] += dur;
  if (l->trace && dur > 0) {
    if (l->nevents == l->cap_events) {
      l->cap_events = l->cap_events ? 2 * l->cap_events : 1024;
      hc_event *ne = hc_malloc(l->cap_events * sizeof *ne);
      if (l->nevents) memcpy(ne, l->events, l->nevents * sizeof *ne);
      free(l->events);
      l->events = ne;
    }
    hc_event *e = &l->events[l->nevents++];
    e->engine = engine, e->start = start, e->end = end;
    snprintf(e->name, sizeof e->name, "%s", name ? name : "");
  }
  return end;
}

double hc_ledger_compute_at(hc_ledger *l, double flops, double ready, const char *name) {
  if (l->muted) return hc_ledger_run(l, HC_ENG_COMPUTE, hc_hw_compute_time(&l->hw, flops), ready, name);
  l->flops[l->phase][l->op] += flops;
  /* Operands fetched from DRAM (hc_ledger_workset) must have arrived. */
  if (l->operands_ready > ready) ready = l->operands_ready;
  l->operands_ready = 0;
  double free_at = l->engine_free[HC_ENG_COMPUTE];
  l->compute_start = ready > free_at ? ready : free_at;
  return hc_ledger_run(l, HC_ENG_COMPUTE, hc_hw_compute_time(&l->hw, flops), ready, name);
}

void hc_ledger_compute(hc_ledger *l, double flops, const char *name) {
  double end = hc_ledger_compute_at(l, flops, l->now, name);
  if (!l->muted) l->now = end;
}

hc_pipeline hc_ledger_pipeline_begin(hc_ledger *l) {
  hc_pipeline p = {l->now, l->defer};
  l->defer = 1;
  return p;
}

double hc_ledger_place_collective(hc_ledger *l, double ready, const char *name) {
  HC_ASSERT(l->defer); /* outside a pipeline the collective placed itself */
  return hc_ledger_run(l, HC_ENG_NOP, l->last_coll_time, ready, name);
}

void hc_ledger_pipeline_end(hc_ledger *l, const hc_pipeline *p, double end) {
  l->defer = p->outer_defer;
  if (!l->muted) l->now = end;
}

double hc_ledger_total_flops(const hc_ledger *l) {
  double s = 0;
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) s += l->flops[p][o];
  return s;
}

double hc_step_time(const hc_topo *t, const hc_hw *hw, const hc_xfer *x,
                    int n, double *load, int *route) {
  /* Every transfer between neighbours and no directed link used twice:
   * each takes o + alpha + S/(B eta), in closed form (cheap on large
   * meshes). Otherwise the general rule below. */
  int neighbours = 1, marked = 0;
  double biggest = 0;
  for (int k = 0; k < n && neighbours; k++) {
    int di = x[k].dst / t->C - x[k].src / t->C, dj = x[k].dst % t->C - x[k].src % t->C;
    neighbours = abs(di) + abs(dj) == 1;
    if (!neighbours) break;
    int dir = dj == 1 ? HC_E : dj == -1 ? HC_W : di == 1 ? HC_S : HC_N;
    int link = hc_link_id(x[k].src, dir);
    if (load[link] != 0) neighbours = 0; /* shared: contention */
    load[link] = 1, marked = k + 1;
    if ((double)x[k].bytes > biggest) biggest = (double)x[k].bytes;
  }
  for (int k = 0; k < marked; k++) { /* clear the marks */
    int di = x[k].dst / t->C - x[k].src / t->C, dj = x[k].dst % t->C - x[k].src % t->C;
    if (abs(di) + abs(dj) != 1) continue;
    int dir = dj == 1 ? HC_E : dj == -1 ? HC_W : di == 1 ? HC_S : HC_N;
    load[hc_link_id(x[k].src, dir)] = 0;
  }
  if (neighbours) return n ? hc_hw_transfer_time(hw, 1, biggest) : 0;
  /* Pass 1: the step's load on every link. */
  for (int k = 0; k < n; k++) {
    int h = hc_route(t, x[k].src, x[k].dst, route);
    for (int q = 0; q < h; q++) load[route[q]] += (double)x[k].bytes;
  }
  /* Pass 2: each transfer is as slow as the busiest link on its route. */
  double step = 0;
  for (int k = 0; k < n; k++) {
    int h = hc_route(t, x[k].src, x[k].dst, route);
    double busiest = 0;
    for (int q = 0; q < h; q++)
      if (load[route[q]] > busiest) busiest = load[route[q]];
    double tx = hc_hw_transfer_time(hw, h, busiest);
    if (tx > step) step = tx;
  }
  /* Leave the scratch clean for the next step. */
  for (int k = 0; k < n; k++) {
    int h = hc_route(t, x[k].src, x[k].dst, route);
    for (int q = 0; q < h; q++) load[route[q]] = 0;
  }
  return step;
}

double hc_ledger_step(hc_ledger *l, const hc_xfer *x, int n) {
  double step = hc_step_time(&l->topo, &l->hw, x, n, l->load, l->route);
  hc_ledger_record(l, x, n, step);
  return step;
}

void hc_ledger_record(hc_ledger *l, const hc_xfer *x, int n, double step) {
  if (l->muted) return;
  hc_counters *c = &l->tag[l->phase][l->op];
  /* A lite ledger has no link table (link_bytes NULL): no offset from it. */
  uint64_t *links =
      l->lite ? NULL : l->link_bytes + ((size_t)l->phase * HC_NOPKINDS + l->op) * l->nlinks;
  for (int k = 0; k < n; k++) {
    if (x[k].src == l->me) {
      int h = hc_route(&l->topo, x[k].src, x[k].dst, l->route);
      if (!l->lite)
        for (int q = 0; q < h; q++) links[l->route[q]] += x[k].bytes;
      c->sent += x[k].bytes;
      c->msgs += 1;
      c->hops += (uint64_t)h;
      c->byte_hops += (double)x[k].bytes * h;
    }
    if (x[k].dst == l->me) c->recv += x[k].bytes;
  }
  c->nop_time += step;
}

void hc_ledger_collective(hc_ledger *l, int coll, uint64_t bytes,
                          double bus_factor, double sim_time, double wall) {
  if (l->muted) return;
  hc_coll_stats *s = &l->coll[coll];
  s->calls++;
  s->bytes += bytes;
  s->bus_bytes += (double)bytes * bus_factor;
  s->sim_time += sim_time;
  s->wall_time += wall;
}

hc_counters hc_ledger_totals(const hc_ledger *l) {
  hc_counters t = {0};
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) {
      const hc_counters *c = &l->tag[p][o];
      t.sent += c->sent, t.recv += c->recv, t.msgs += c->msgs, t.hops += c->hops;
      t.byte_hops += c->byte_hops;
      t.nop_time += c->nop_time;
    }
  return t;
}

uint64_t hc_ledger_link_bytes(const hc_ledger *l, int link) {
  uint64_t s = 0;
  if (!l->link_bytes) return 0;
  for (int k = 0; k < TAGGED; k++) s += l->link_bytes[(size_t)k * l->nlinks + link];
  return s;
}

