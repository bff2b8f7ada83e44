/* pictures.c: what people would rather look at than tables: a per-link
 * utilisation heatmap of the mesh (SVG, written here, no plotting library)
 * and a Chrome trace of a step (JSON, one process per chiplet, one thread
 * per engine, microseconds) that opens in Perfetto or chrome://tracing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/cost.h"
#include "hecaton/pictures.h"
#include "hecaton/util.h"

/* White (idle) to red (busiest): an SVG colour for u in [0, 1]. */
static void shade(double u, char *buf, size_t len) {
  u = u < 0 ? 0 : u > 1 ? 1 : u;
  int g = (int)lround(255 * (1 - u));
  snprintf(buf, len, "rgb(255,%d,%d)", g, g);
}

static FILE *open_tmp(const char *path, char *tmp, size_t len) {
  snprintf(tmp, len, "%s.tmp", path);
  return fopen(tmp, "w");
}

static int close_rename(FILE *f, const char *tmp, const char *path) {
  int bad = ferror(f);
  if (fclose(f) || bad || rename(tmp, path)) {
    remove(tmp);
    return -1;
  }
  return 0;
}

int hc_heatmap_svg(const hc_ledger_report *r, double seconds, const char *path, char *err,
                   size_t errlen) {
  const hc_topo *t = &r->topo;
  double most = 0;
  for (int l = 0; l < r->nlinks; l++) most = fmax(most, (double)hc_report_link_total(r, l));
  /* Utilisation: the time a link is busy carrying its bytes, over the run. */
  double scale = seconds > 0 ? 1.0 / (r->hw.link_bw * r->hw.link_eff * seconds) : 0;
  const double cell = 80, pad = 60, chip = 44;
  double W = fmax(2 * pad + t->C * cell, 780), H = 2 * pad + t->R * cell + 50;
  char tmp[4096], col[32], b1[32];
  FILE *f = open_tmp(path, tmp, sizeof tmp);
  if (!f) return hc_err(err, errlen, "%s: cannot write", path);
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
             "font-family=\"sans-serif\" font-size=\"10\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          W, H);
  fprintf(f, "<text x=\"%.0f\" y=\"20\" font-size=\"13\">link utilisation, %dx%d mesh, '%s' "
             "(busiest link: %s, %.1f%% busy)</text>\n",
          pad, t->R, t->C, r->hw.name, hc_fmt_bytes(most, b1, sizeof b1), 100 * most * scale);
  for (int l = 0; l < r->nlinks; l++) {
    int from, to;
    if (hc_link_ends(t, l, &from, &to)) continue;
    double u = scale > 0 ? (double)hc_report_link_total(r, l) * scale : (most > 0 ? hc_report_link_total(r, l) / most : 0);
    shade(u, col, sizeof col);
    int slot = l % HC_LINK_SLOTS, node = l / HC_LINK_SLOTS;
    double cx = pad + (node % t->C) * cell + cell / 2, cy = pad + (node / t->C) * cell + cell / 2;
    double x0, y0, x1, y1, off = 6;
    if (slot < 4) { /* mesh link: from this chiplet's edge to the neighbour's, offset by direction */
      double nx = pad + (to % t->C) * cell + cell / 2, ny = pad + (to / t->C) * cell + cell / 2;
      double dx = (nx - cx) / cell, dy = (ny - cy) / cell;
      x0 = cx + dx * chip / 2 + (dy != 0 ? (dy > 0 ? off : -off) : 0);
      y0 = cy + dy * chip / 2 + (dx != 0 ? (dx > 0 ? -off : off) : 0);
      x1 = nx - dx * chip / 2 + (dy != 0 ? (dy > 0 ? off : -off) : 0);
      y1 = ny - dy * chip / 2 + (dx != 0 ? (dx > 0 ? -off : off) : 0);
    } else { /* I/O port: a stub towards the die on that edge */
      int edge = (slot - 4) % 4, in = slot >= 8;
      double dx = edge == HC_E ? 1 : edge == HC_W ? -1 : 0, dy = edge == HC_S ? 1 : edge == HC_N ? -1 : 0;
      double o2 = in ? -off : off;
      x0 = cx + dx * chip / 2 + dy * o2, y0 = cy + dy * chip / 2 + dx * o2;
      x1 = cx + dx * (cell / 2 + 4) + dy * o2, y1 = cy + dy * (cell / 2 + 4) + dx * o2;
      if (in) { double tx = x0; x0 = x1, x1 = tx; tx = y0; y0 = y1, y1 = tx; }
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"5\">"
               "<title>%.0f bytes, %.1f%% busy</title></line>\n",
            x0, y0, x1, y1, col, (double)hc_report_link_total(r, l), 100 * u);
  }
  for (int n = 0; n < r->nodes; n++) {
    double x = pad + (n % t->C) * cell + (cell - chip) / 2, y = pad + (n / t->C) * cell + (cell - chip) / 2;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"#dde\" stroke=\"#445\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">(%d,%d)</text>\n",
            x, y, chip, chip, x + chip / 2, y + chip / 2 + 4, n / t->C, n % t->C);
  }
  double ly = pad + t->R * cell + 20;
  for (int k = 0; k <= 10; k++) {
    shade(k / 10.0, col, sizeof col);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"20\" height=\"10\" fill=\"%s\" stroke=\"#999\"/>\n",
            pad + 20 * k, ly, col);
  }
  fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">0%% .. 100%% busy (bytes / (B x eta) / simulated time); "
             "stubs at the edge: I/O-die ports</text>\n</svg>\n", pad + 230, ly + 9);
  (void)0;
  if (close_rename(f, tmp, path)) return hc_err(err, errlen, "%s: cannot write", path);
  return 0;
}

int hc_trace_json(const hc_ledger *l, MPI_Comm comm, const char *path, char *err, size_t errlen) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int n = (int)l->nevents, *counts = NULL, *displs = NULL, total = 0;
  if (rank == 0) counts = hc_malloc((size_t)size * sizeof(int)), displs = hc_malloc((size_t)size * sizeof(int));
  int bytes = n * (int)sizeof(hc_event);
  MPI_Gather(&bytes, 1, MPI_INT, counts, 1, MPI_INT, 0, comm);
  char *all = NULL;
  if (rank == 0) {
    for (int r = 0; r < size; r++) displs[r] = total, total += counts[r];
    all = hc_malloc((size_t)total + 1);
  }
  MPI_Gatherv(l->events, bytes, MPI_BYTE, all, counts, displs, MPI_BYTE, 0, comm);
  int bad = 0;
  if (rank == 0) {
    char tmp[4096];
    FILE *f = open_tmp(path, tmp, sizeof tmp);
    if (!f) {
      bad = hc_err(err, errlen, "%s: cannot write", path) != 0;
    } else {
      double t0 = INFINITY;
      for (int r = 0; r < size; r++)
        for (int k = 0; k < counts[r] / (int)sizeof(hc_event); k++)
          t0 = fmin(t0, ((hc_event *)(all + displs[r]))[k].start);
      fprintf(f, "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n");
      int first = 1;
      for (int r = 0; r < size; r++) {
        fprintf(f, "%s{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": %d, \"args\": {\"name\": \"chiplet (%d,%d)\"}}",
                first ? "" : ",\n", r, r / l->topo.C, r % l->topo.C);
        first = 0;
        for (int e = 0; e < HC_NENGINES; e++)
          fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": %d, \"tid\": %d, \"args\": {\"name\": \"%s\"}}",
                  r, e, hc_engine_name(e));
        const hc_event *ev = (const hc_event *)(all + displs[r]);
        for (int k = 0; k < counts[r] / (int)sizeof(hc_event); k++)
          fprintf(f, ",\n{\"name\": \"%s\", \"ph\": \"X\", \"pid\": %d, \"tid\": %d, \"ts\": %.4f, \"dur\": %.4f}",
                  ev[k].name, r, ev[k].engine, (ev[k].start - t0) * 1e6, (ev[k].end - ev[k].start) * 1e6);
      }
      fprintf(f, "\n]}\n");
      if (close_rename(f, tmp, path)) bad = hc_err(err, errlen, "%s: cannot write", path) != 0;
    }
    free(all), free(counts), free(displs);
  }
  return bad ? -1 : 0;
}
