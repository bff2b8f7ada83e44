/* pictures.h: the link-utilisation heatmap (SVG) and the step's Chrome
 * trace (JSON), both written under a temporary name and renamed. */
#ifndef HECATON_PICTURES_H
#define HECATON_PICTURES_H

#include <mpi.h>

#include <stdio.h>

#include "hecaton/report.h"

/* Text for an SVG element or attribute, XML-escaped (& < > "). */
void hc_svg_text(FILE *f, const char *s);

/* Each directed link coloured by its utilisation over `seconds` of
 * simulated time (rank 0, from the gathered report). */
int hc_heatmap_svg(const hc_ledger_report *r, double seconds, const char *path, char *err,
                   size_t errlen);
/* Every chiplet's recorded events (ledger trace on), gathered to rank 0 of
 * comm, which writes the file. Collective; 0, or -1 on rank 0 with err. */
int hc_trace_json(const hc_ledger *l, MPI_Comm comm, const char *path, char *err, size_t errlen);
/* The same file from events already gathered (a report read back): counts
 * per chiplet, then every chiplet's events in node order (trace.c). */
int hc_trace_json_events(const hc_topo *t, int nodes, const size_t *counts, const hc_event *events,
                         const char *path, char *err, size_t errlen);

#endif
