/* report.h: the ledger over the whole mesh. Every chiplet's ledger
 * (ledger.h, no MPI) gathered on rank 0 as one report; the report printed,
 * written to HDF5 and read back (ledger_h5.c). */
#ifndef HECATON_REPORT_H
#define HECATON_REPORT_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "hecaton/cost.h"
#include "hecaton/ledger.h"

/* The whole mesh's ledger, gathered on rank 0. */
typedef struct hc_ledger_report {
  hc_topo topo;
  hc_hw hw;
  int nodes, nlinks;
  uint64_t *link_bytes;  /* [HC_NPHASES][HC_NOPKINDS][nlinks], all senders */
  hc_counters *chiplet;  /* [nodes]: each rank's totals over tags */
  hc_counters tag[HC_NPHASES][HC_NOPKINDS]; /* sums; nop_time: max */
  hc_coll_stats coll[HC_NCOLLS]; /* max over ranks (ranks run in step) */
  /* The cost model per chiplet: [node] */
  double *step_time;     /* timeline end (the step, all engines) */
  double *busy;          /* [node][HC_NENGINES] */
  double *flops;         /* total */
  double *dram_bytes;    /* read + write */
  double flops_tag[HC_NPHASES][HC_NOPKINDS]; /* summed over chiplets */
  /* The SRAM model's rows (ledger.h): working set and tiles of the largest
   * chiplet, DRAM bytes of all chiplets. */
  int nsram;
  hc_sram_row sram[HC_SRAM_ROWS];
  /* Optional, set by the caller before writing: per-chiplet memory
   * columns written under /metrics/memory/<name> (bytes). */
  int nmem;
  const char *const *mem_names;
  double *memory; /* [nmem][nodes] */
  long steps;     /* steps the ledger covers (0: not a training run) */
  int phantom;    /* 1: a dry-run (no data, no buffers measured) */
  char config[2048]; /* the run's configuration, "key = value" lines (optional) */
  /* Optional: the last step's timeline events, [nodes] counts then all
   * events in node order (hc_ledger_gather_events). */
  size_t *event_counts;
  hc_event *events;
  /* Storage of mem_names when read back from a file. */
  char mem_names_buf[512];
  const char *mem_name_ptrs[16];
} hc_ledger_report;

/* A chiplet's counters as HC_COUNTER_FIELDS doubles (sent, recv, messages,
 * hops, NoP time, byte-hops) and back: for reductions and files. */
#define HC_COUNTER_FIELDS 6
void hc_counters_pack(const hc_counters *c, double *d);
void hc_counters_unpack(const double *d, hc_counters *c);

/* Collective over comm (all chiplets); out is filled on rank 0 only. */
void hc_ledger_gather(const hc_ledger *l, MPI_Comm comm, hc_ledger_report *out);
void hc_ledger_report_free(hc_ledger_report *r);
/* Add every rank's timeline events to out (rank 0's); collective. */
void hc_ledger_gather_events(const hc_ledger *l, MPI_Comm comm, hc_ledger_report *out);
uint64_t hc_report_link_total(const hc_ledger_report *r, int link);
/* Human-readable summary: per collective kind, per tag, busiest links. */
void hc_ledger_print(const hc_ledger_report *r, FILE *f);
/* HDF5 per-link and per-chiplet tables under /metrics/ (written to a
 * temporary name, then renamed). 0 ok, -1 with a message. */
int hc_ledger_write_h5(const hc_ledger_report *r, const char *path, char *err,
                       size_t errlen);
/* Read a report written by hc_ledger_write_h5 back, whole (its /report
 * group holds every field); free with hc_ledger_report_free. 0, or -1 with
 * a message. */
int hc_ledger_read_h5(const char *path, hc_ledger_report *r, char *err, size_t errlen);

#endif
