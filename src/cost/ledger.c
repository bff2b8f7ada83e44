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
  if (!l->muted) l->flops[l->phase][l->op] += flops;
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

uint64_t hc_report_link_total(const hc_ledger_report *r, int link) {
  uint64_t s = 0;
  for (int k = 0; k < TAGGED; k++) s += r->link_bytes[(size_t)k * r->nlinks + link];
  return s;
}

/* Counters travel as 6 doubles (integers below 2^53 are exact). */
#define CNT_FIELDS 6
static void pack(const hc_counters *c, double *d) {
  d[0] = (double)c->sent, d[1] = (double)c->recv, d[2] = (double)c->msgs;
  d[3] = (double)c->hops, d[4] = c->nop_time, d[5] = c->byte_hops;
}
static void unpack(const double *d, hc_counters *c) {
  c->sent = (uint64_t)d[0], c->recv = (uint64_t)d[1], c->msgs = (uint64_t)d[2];
  c->hops = (uint64_t)d[3], c->nop_time = d[4], c->byte_hops = d[5];
}

void hc_ledger_gather(const hc_ledger *l, MPI_Comm comm, hc_ledger_report *out) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  HC_ASSERT(size == hc_topo_nodes(&l->topo));
  size_t nlb = (size_t)TAGGED * l->nlinks;
  if (rank == 0) {
    memset(out, 0, sizeof *out);
    out->topo = l->topo;
    out->hw = l->hw;
    out->nodes = size;
    out->nlinks = l->nlinks;
    out->link_bytes = hc_calloc(nlb, sizeof *out->link_bytes);
    out->chiplet = hc_calloc((size_t)size, sizeof *out->chiplet);
  }
  MPI_Reduce(l->link_bytes, rank == 0 ? out->link_bytes : NULL, (int)nlb,
             MPI_UINT64_T, MPI_SUM, 0, comm);

  hc_counters tot = hc_ledger_totals(l);
  double mine[CNT_FIELDS], *all = rank == 0 ? hc_malloc((size_t)size * sizeof mine) : NULL;
  pack(&tot, mine);
  MPI_Gather(mine, CNT_FIELDS, MPI_DOUBLE, all, CNT_FIELDS, MPI_DOUBLE, 0, comm);
  if (rank == 0)
    for (int r = 0; r < size; r++) unpack(all + (size_t)r * CNT_FIELDS, &out->chiplet[r]);
  free(all);

  /* Per tag: byte counters add up over ranks; time is the slowest rank's. */
  double tag_in[TAGGED][CNT_FIELDS], tag_sum[TAGGED][CNT_FIELDS], tag_max[TAGGED][CNT_FIELDS];
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) pack(&l->tag[p][o], tag_in[p * HC_NOPKINDS + o]);
  MPI_Reduce(tag_in, tag_sum, TAGGED * CNT_FIELDS, MPI_DOUBLE, MPI_SUM, 0, comm);
  MPI_Reduce(tag_in, tag_max, TAGGED * CNT_FIELDS, MPI_DOUBLE, MPI_MAX, 0, comm);
  double coll_in[HC_NCOLLS][5], coll_max[HC_NCOLLS][5];
  for (int k = 0; k < HC_NCOLLS; k++) {
    const hc_coll_stats *s = &l->coll[k];
    coll_in[k][0] = (double)s->calls, coll_in[k][1] = (double)s->bytes;
    coll_in[k][2] = s->bus_bytes, coll_in[k][3] = s->sim_time, coll_in[k][4] = s->wall_time;
  }
  MPI_Reduce(coll_in, coll_max, HC_NCOLLS * 5, MPI_DOUBLE, MPI_MAX, 0, comm);
  /* The cost model: per chiplet, its timeline, engines, FLOPs and DRAM. */
  enum { NC = 3 + HC_NENGINES };
  double cm[NC], *call = rank == 0 ? hc_malloc((size_t)size * NC * sizeof(double)) : NULL;
  double end = l->now;
  for (int e = 0; e < HC_NENGINES; e++) end = l->engine_free[e] > end ? l->engine_free[e] : end;
  cm[0] = end, cm[1] = hc_ledger_total_flops(l), cm[2] = (double)(l->dram_read + l->dram_write);
  for (int e = 0; e < HC_NENGINES; e++) cm[3 + e] = l->busy[e];
  MPI_Gather(cm, NC, MPI_DOUBLE, call, NC, MPI_DOUBLE, 0, comm);
  double ft[TAGGED];
  MPI_Reduce(l->flops, ft, TAGGED, MPI_DOUBLE, MPI_SUM, 0, comm);
  if (rank != 0) return;
  out->step_time = hc_malloc((size_t)size * sizeof(double));
  out->flops = hc_malloc((size_t)size * sizeof(double));
  out->dram_bytes = hc_malloc((size_t)size * sizeof(double));
  out->busy = hc_malloc((size_t)size * HC_NENGINES * sizeof(double));
  for (int r = 0; r < size; r++) {
    out->step_time[r] = call[r * NC], out->flops[r] = call[r * NC + 1];
    out->dram_bytes[r] = call[r * NC + 2];
    for (int e = 0; e < HC_NENGINES; e++) out->busy[r * HC_NENGINES + e] = call[r * NC + 3 + e];
  }
  free(call);
  memcpy(out->flops_tag, ft, sizeof ft);
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) {
      int k = p * HC_NOPKINDS + o;
      tag_sum[k][4] = tag_max[k][4];
      unpack(tag_sum[k], &out->tag[p][o]);
    }
  for (int k = 0; k < HC_NCOLLS; k++) {
    hc_coll_stats *s = &out->coll[k];
    s->calls = (uint64_t)coll_max[k][0], s->bytes = (uint64_t)coll_max[k][1];
    s->bus_bytes = coll_max[k][2], s->sim_time = coll_max[k][3], s->wall_time = coll_max[k][4];
  }
}

void hc_ledger_gather_events(const hc_ledger *l, MPI_Comm comm, hc_ledger_report *out) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int bytes = (int)(l->nevents * sizeof(hc_event)), *counts = NULL, *displs = NULL;
  if (rank == 0) counts = hc_calloc((size_t)size, sizeof(int)), displs = hc_calloc((size_t)size, sizeof(int));
  MPI_Gather(&bytes, 1, MPI_INT, counts, 1, MPI_INT, 0, comm);
  int total = 0;
  if (rank == 0) {
    for (int r = 0; r < size; r++) displs[r] = total, total += counts[r];
    free(out->events), free(out->event_counts);
    out->events = hc_malloc((size_t)total + sizeof(hc_event));
    out->event_counts = hc_malloc((size_t)size * sizeof(size_t));
    for (int r = 0; r < size; r++) out->event_counts[r] = (size_t)counts[r] / sizeof(hc_event);
  }
  MPI_Gatherv(l->events, bytes, MPI_BYTE, rank == 0 ? (void *)out->events : NULL, counts, displs,
              MPI_BYTE, 0, comm);
  free(counts), free(displs);
}

void hc_ledger_report_free(hc_ledger_report *r) {
  free(r->link_bytes);
  free(r->chiplet);
  free(r->step_time), free(r->flops), free(r->dram_bytes), free(r->busy);
  free(r->events), free(r->event_counts);
  memset(r, 0, sizeof *r);
}

void hc_ledger_print(const hc_ledger_report *r, FILE *f) {
  char b1[32], b2[32], b3[32];
  fprintf(f, "ledger: mesh %dx%d, hardware '%s' (link %.3g GB/s x %.2f, alpha %.3g s, o %.3g s, %d B/elem)\n",
          r->topo.R, r->topo.C, r->hw.name, r->hw.link_bw / 1e9, r->hw.link_eff,
          r->hw.link_latency, r->hw.msg_overhead, r->hw.elem_bytes);
  fprintf(f, "  %-15s %8s %12s %14s %12s %12s\n", "collective", "calls", "payload",
          "sim time (s)", "algbw GB/s", "busbw GB/s");
  for (int k = 0; k < HC_NCOLLS; k++) {
    const hc_coll_stats *s = &r->coll[k];
    if (!s->calls) continue;
    double alg = s->sim_time > 0 ? (double)s->bytes / s->sim_time / 1e9 : 0;
    double bus = s->sim_time > 0 ? s->bus_bytes / s->sim_time / 1e9 : 0;
    fprintf(f, "  %-15s %8llu %12s %14.6e %12.2f %12.2f\n", hc_coll_name(k),
            (unsigned long long)s->calls, hc_fmt_bytes((double)s->bytes, b1, sizeof b1),
            s->sim_time, alg, bus);
  }
  fprintf(f, "  %-10s %-10s %14s %10s %14s\n", "phase", "op", "bytes sent", "messages",
          "sim time (s)");
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) {
      const hc_counters *c = &r->tag[p][o];
      if (!c->msgs && c->nop_time == 0) continue;
      fprintf(f, "  %-10s %-10s %14s %10llu %14.6e\n", hc_phase_name(p), hc_opkind_name(o),
              hc_fmt_bytes((double)c->sent, b1, sizeof b1), (unsigned long long)c->msgs,
              c->nop_time);
    }
  int busiest = -1;
  uint64_t most = 0, total = 0;
  for (int k = 0; k < r->nlinks; k++) {
    uint64_t b = hc_report_link_total(r, k);
    total += b;
    if (b > most) most = b, busiest = k;
  }
  if (busiest >= 0)
    fprintf(f, "  link bytes: %s in total over %d links; busiest %s carries %s\n",
            hc_fmt_bytes((double)total, b1, sizeof b1), hc_topo_count_links(&r->topo),
            hc_link_name(&r->topo, busiest, b2, sizeof b2),
            hc_fmt_bytes((double)most, b3, sizeof b3));
}
