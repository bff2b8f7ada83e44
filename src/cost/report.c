/* report.c: the mesh's ledger gathered on rank 0 (report.h), printed, and
 * the DRAM traffic of every chiplet at once. */
#include "hecaton/report.h"

#include <stdlib.h>
#include <string.h>

#include "hecaton/util.h"

#define TAGGED (HC_NPHASES * HC_NOPKINDS)

uint64_t hc_report_link_total(const hc_ledger_report *r, int link) {
  uint64_t s = 0;
  for (int k = 0; k < TAGGED; k++) s += r->link_bytes[(size_t)k * r->nlinks + link];
  return s;
}

/* Counters travel as 6 doubles (integers below 2^53 are exact). */
#define CNT_FIELDS HC_COUNTER_FIELDS
void hc_counters_pack(const hc_counters *c, double *d) {
  d[0] = (double)c->sent, d[1] = (double)c->recv, d[2] = (double)c->msgs;
  d[3] = (double)c->hops, d[4] = c->nop_time, d[5] = c->byte_hops;
}
void hc_counters_unpack(const double *d, hc_counters *c) {
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
  hc_counters_pack(&tot, mine);
  MPI_Gather(mine, CNT_FIELDS, MPI_DOUBLE, all, CNT_FIELDS, MPI_DOUBLE, 0, comm);
  if (rank == 0)
    for (int r = 0; r < size; r++) hc_counters_unpack(all + (size_t)r * CNT_FIELDS, &out->chiplet[r]);
  free(all);

  /* Per tag: byte counters add up over ranks; time is the slowest rank's. */
  double tag_in[TAGGED][CNT_FIELDS], tag_sum[TAGGED][CNT_FIELDS], tag_max[TAGGED][CNT_FIELDS];
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) hc_counters_pack(&l->tag[p][o], tag_in[p * HC_NOPKINDS + o]);
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
  /* The SRAM rows: every chiplet runs the same operations in the same order;
   * working sets and tiles the largest chiplet's, DRAM bytes summed. */
  enum { SR = 6 };
  double sr_in[HC_SRAM_ROWS][SR] = {{0}}, sr_max[HC_SRAM_ROWS][SR], sr_sum[HC_SRAM_ROWS][SR];
  for (int k = 0; k < l->nsram; k++) {
    const hc_sram_row *q = &l->sram_rows[k];
    sr_in[k][0] = q->set, sr_in[k][1] = q->tiles, sr_in[k][2] = q->where, sr_in[k][3] = q->calls;
    sr_in[k][4] = q->read, sr_in[k][5] = q->write;
  }
  MPI_Reduce(sr_in, sr_max, HC_SRAM_ROWS * SR, MPI_DOUBLE, MPI_MAX, 0, comm);
  MPI_Reduce(sr_in, sr_sum, HC_SRAM_ROWS * SR, MPI_DOUBLE, MPI_SUM, 0, comm);
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
  out->nsram = l->nsram;
  for (int k = 0; k < l->nsram; k++) {
    hc_sram_row *q = &out->sram[k];
    *q = l->sram_rows[k];
    q->set = sr_max[k][0], q->tiles = sr_max[k][1], q->where = (int)sr_max[k][2];
    q->calls = sr_max[k][3], q->read = sr_sum[k][4], q->write = sr_sum[k][5];
  }
  for (int p = 0; p < HC_NPHASES; p++)
    for (int o = 0; o < HC_NOPKINDS; o++) {
      int k = p * HC_NOPKINDS + o;
      tag_sum[k][4] = tag_max[k][4];
      hc_counters_unpack(tag_sum[k], &out->tag[p][o]);
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

