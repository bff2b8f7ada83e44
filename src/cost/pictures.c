/* pictures.c: what people would rather look at than tables: a per-link
 * utilisation heatmap of the mesh (SVG, written here, no plotting library)
 * and a Chrome trace of a step (JSON, one process per chiplet, one thread
 * per engine, microseconds; written by trace.c) that opens in Perfetto or
 * chrome://tracing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/cost.h"
#include "hecaton/pictures.h"
#include "hecaton/util.h"

/* A sequential palette (ColorBrewer YlOrRd): pale yellow (idle) to dark
 * red (busiest); an SVG colour for u in [0, 1]. */
static void shade(double u, char *buf, size_t len) {
  static const unsigned char stop[9][3] = {{255, 255, 204}, {255, 237, 160}, {254, 217, 118},
                                           {254, 178, 76},  {253, 141, 60},  {252, 78, 42},
                                           {227, 26, 28},   {189, 0, 38},    {128, 0, 38}};
  u = u < 0 ? 0 : u > 1 ? 1 : u;
  double s = u * 8;
  int k = s >= 8 ? 7 : (int)s;
  double f = s - k;
  int c[3];
  for (int i = 0; i < 3; i++) c[i] = (int)lround(stop[k][i] + f * (stop[k + 1][i] - stop[k][i]));
  snprintf(buf, len, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above v (> 0). */
static double nice_ceil(double v) {
  static const double m[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
  double p = pow(10, floor(log10(v)));
  for (int i = 0; i < 10; i++)
    if (m[i] * p >= v * (1 - 1e-9)) return m[i] * p;
  return 10 * p;
}

/* Text with &, <, > escaped (hardware names come from the user's file). */
void hc_svg_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '&') fputs("&amp;", f);
    else if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
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
  int busiest = -1;
  for (int l = 0; l < r->nlinks; l++) {
    double b = (double)hc_report_link_total(r, l);
    if (b > most) most = b, busiest = l;
  }
  /* Utilisation: the time a link is busy carrying its bytes, over the run.
   * Without a simulated time the colours say bytes, relative to the busiest. */
  double scale = seconds > 0 ? 1.0 / (r->hw.link_bw * r->hw.link_eff * seconds) : 0;
  /* The colour scale's top: a round value at or above the busiest link
   * (a utilisation in %, or bytes). */
  double top = scale > 0 ? (most > 0 ? nice_ceil(100 * most * scale) : 100) : (most > 0 ? most : 1);
  const double cell = 80, chip = 44, gx = 80, gy = 104;
  double W = fmax(gx + t->C * cell + 40, 700), gh = t->R * cell;
  double by = gy + gh + 58; /* the colour bar */
  double H = by + 78;
  char tmp[4096], col[32], b1[32], b2[32], name[64];
  FILE *f = open_tmp(path, tmp, sizeof tmp);
  if (!f) return hc_err(err, errlen, "%s: cannot write", path);
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
             "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          W, H, W, H);
  /* Title and what it shows. */
  fprintf(f, "<text class=\"title\" x=\"20\" y=\"26\" font-size=\"16\" font-weight=\"bold\">"
             "Link utilisation of the %dx%d chiplet mesh (", t->R, t->C);
  hc_svg_text(f, r->hw.name);
  fprintf(f, ")</text>\n<text class=\"subtitle\" x=\"20\" y=\"46\" fill=\"#444\">");
  if (busiest >= 0) {
    fprintf(f, "busiest link %s carries ", hc_link_name(t, busiest, name, sizeof name));
    fprintf(f, "%s", hc_fmt_bytes(most, b1, sizeof b1));
    if (scale > 0) fprintf(f, ", busy %.3g%% of the %.3g s simulated", 100 * most * scale, seconds);
    if (r->steps > 0) fprintf(f, " (%ld step%s)", r->steps, r->steps == 1 ? "" : "s");
  } else {
    fprintf(f, "no bytes crossed any link");
  }
  fprintf(f, "</text>\n");
  /* Axes: mesh column across, mesh row down. */
  fprintf(f, "<text class=\"xlabel\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"12\">"
             "mesh column j</text>\n", gx + t->C * cell / 2, gy - 36);
  fprintf(f, "<text class=\"ylabel\" transform=\"translate(24,%.0f) rotate(-90)\" text-anchor=\"middle\" "
             "font-size=\"12\">mesh row i</text>\n", gy + gh / 2);
  for (int j = 0; j < t->C; j++)
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#444\">%d</text>\n",
            gx + j * cell + cell / 2, gy - 20, j);
  for (int i = 0; i < t->R; i++)
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" fill=\"#444\">%d</text>\n",
            gx - 22, gy + i * cell + cell / 2 + 4, i);
  /* The I/O dies on the configured edges: grey bars just outside the mesh. */
  for (int e = 0; e < 4; e++) {
    if (!(t->io_edges & HC_EDGE_BIT(e))) continue;
    double x = e == HC_E ? gx + t->C * cell + 4 : e == HC_W ? gx - 14 : gx;
    double y = e == HC_S ? gy + gh + 4 : e == HC_N ? gy - 14 : gy;
    double w = e == HC_E || e == HC_W ? 10 : t->C * cell, h = e == HC_E || e == HC_W ? gh : 10;
    fprintf(f, "<rect class=\"iodie\" x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#bbb\">"
               "<title>I/O die, %s edge</title></rect>\n", x, y, w, h, hc_dir_name(e));
  }
  for (int n = 0; n < r->nodes; n++) {
    double x = gx + (n % t->C) * cell + (cell - chip) / 2, y = gy + (n / t->C) * cell + (cell - chip) / 2;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" rx=\"3\" fill=\"#e4e6f0\" stroke=\"#445\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">(%d,%d)</text>\n",
            x, y, chip, chip, x + chip / 2, y + chip / 2 + 4, n / t->C, n % t->C);
  }
  /* Every directed link: a line ending in an arrowhead, offset to the
   * right of its direction so that the two ways of a pair sit side by side. */
  for (int l = 0; l < r->nlinks; l++) {
    int from, to;
    if (hc_link_ends(t, l, &from, &to)) continue;
    double bytes = (double)hc_report_link_total(r, l);
    double v = scale > 0 ? 100 * bytes * scale : bytes; /* in the colour bar's unit */
    int slot = l % HC_LINK_SLOTS, node = l / HC_LINK_SLOTS;
    double cx = gx + (node % t->C) * cell + cell / 2, cy = gy + (node / t->C) * cell + cell / 2;
    double x0, y0, x1, y1, off = 6;
    if (slot < 4) { /* mesh link: from this chiplet's edge to the neighbour's */
      double nx = gx + (to % t->C) * cell + cell / 2, ny = gy + (to / t->C) * cell + cell / 2;
      double dx = (nx - cx) / cell, dy = (ny - cy) / cell;
      x0 = cx + dx * chip / 2 + (dy != 0 ? (dy > 0 ? off : -off) : 0);
      y0 = cy + dy * chip / 2 + (dx != 0 ? (dx > 0 ? -off : off) : 0);
      x1 = nx - dx * chip / 2 + (dy != 0 ? (dy > 0 ? off : -off) : 0);
      y1 = ny - dy * chip / 2 + (dx != 0 ? (dx > 0 ? -off : off) : 0);
    } else { /* I/O port: a stub between the die and its edge's I/O die */
      int edge = (slot - 4) % 4, in = slot >= 8;
      double dx = edge == HC_E ? 1 : edge == HC_W ? -1 : 0, dy = edge == HC_S ? 1 : edge == HC_N ? -1 : 0;
      double o2 = in ? -off : off;
      x0 = cx + dx * chip / 2 + dy * o2, y0 = cy + dy * chip / 2 + dx * o2;
      x1 = cx + dx * (cell / 2 + 4) + dy * o2, y1 = cy + dy * (cell / 2 + 4) + dx * o2;
      if (in) { double tx = x0; x0 = x1, x1 = tx; tx = y0; y0 = y1, y1 = tx; }
    }
    hc_link_name(t, l, name, sizeof name);
    if (bytes <= 0) { /* idle: thin, dashed, grey */
      fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#aaa\" stroke-width=\"1.5\" "
                 "stroke-dasharray=\"3,2\"><title>%s: idle (0 bytes)</title></line>\n",
              x0, y0, x1, y1, name);
      continue;
    }
    shade(v / top, col, sizeof col);
    double len = hypot(x1 - x0, y1 - y0), ux = (x1 - x0) / len, uy = (y1 - y0) / len, ah = 7;
    double xb = x1 - ux * ah, yb = y1 - uy * ah;
    fprintf(f, "<g class=\"link\"><title>%s: %.0f bytes", name, bytes);
    if (scale > 0) fprintf(f, ", busy %.3g%%", v);
    fprintf(f, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"5\"/>"
               "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\" stroke=\"#333\" stroke-width=\"0.6\"/></g>\n",
            x0, y0, xb, yb, col, x1, y1, xb - uy * 5, yb + ux * 5, xb + uy * 5, yb - ux * 5, col);
    /* Its utilisation written beside a mesh link, on the side the line is
     * offset to (east-bound above, west-bound below, south-bound to the
     * right, north-bound to the left). */
    if (scale > 0 && slot < 4) {
      double mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
      int horiz = fabs(ux) > fabs(uy);
      double lx = horiz ? mx : mx + (uy > 0 ? 7 : -7);
      double ly = horiz ? (ux > 0 ? my - 5 : my + 12) : my + 3;
      fprintf(f, "<text class=\"link-value\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"9\" "
                 "fill=\"#222\">%.2g%%</text>\n",
              lx, ly, horiz ? "middle" : uy > 0 ? "start" : "end", v);
    }
  }
  /* The colour scale: a gradient bar, its ends and middle labelled, with units. */
  const double bw = 300, bh = 14;
  fprintf(f, "<text class=\"scale-label\" x=\"%.0f\" y=\"%.0f\" font-size=\"12\">%s</text>\n", gx, by - 8,
          scale > 0 ? "link utilisation (% of simulated time busy)"
                    : "bytes carried per link (no simulated time)");
  fprintf(f, "<defs><linearGradient id=\"hc-scale\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"0\">");
  for (int k = 0; k <= 8; k++) {
    shade(k / 8.0, col, sizeof col);
    fprintf(f, "<stop offset=\"%.3f\" stop-color=\"%s\"/>", k / 8.0, col);
  }
  fprintf(f, "</linearGradient></defs>\n<rect class=\"colour-scale\" x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" "
             "height=\"%.0f\" fill=\"url(#hc-scale)\" stroke=\"#666\"/>\n",
          gx, by, bw, bh);
  for (int k = 0; k <= 2; k++) {
    double v = top * k / 2, x = gx + bw * k / 2;
    if (scale > 0) snprintf(b1, sizeof b1, "%.3g%%", v);
    else hc_fmt_bytes(v, b1, sizeof b1);
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#666\"/>"
               "<text class=\"scale-%s\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%s</text>\n",
            x, x, by + bh, by + bh + 4, k == 0 ? "min" : k == 2 ? "max" : "mid", x, by + bh + 16,
            k == 0 ? "start" : k == 2 ? "end" : "middle", b1);
  }
  /* Key to the other marks. */
  double kx = gx + bw + 30;
  fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#aaa\" stroke-width=\"1.5\" stroke-dasharray=\"3,2\"/>"
             "<text x=\"%.0f\" y=\"%.0f\">idle link (0 bytes)</text>\n",
          kx, by + 3, kx + 24, by + 3, kx + 30, by + 7);
  fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"24\" height=\"8\" fill=\"#bbb\"/>"
             "<text x=\"%.0f\" y=\"%.0f\">I/O die (stubs: its ports)</text>\n",
          kx, by + 14, kx + 30, by + 22);
  fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#444\">Arrows: the way bytes travel. A link is busy "
             "bytes / (B x eta) s, B = %s/s, eta = %.2f.</text>\n",
          gx, by + bh + 40, hc_fmt_bytes(r->hw.link_bw, b2, sizeof b2), r->hw.link_eff);
  fprintf(f, "</svg>\n");
  if (close_rename(f, tmp, path)) return hc_err(err, errlen, "%s: cannot write", path);
  return 0;
}

int hc_trace_json(const hc_ledger *l, MPI_Comm comm, const char *path, char *err, size_t errlen) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int bytes = (int)(l->nevents * sizeof(hc_event)), *counts = NULL, *displs = NULL, total = 0;
  if (rank == 0) counts = hc_malloc((size_t)size * sizeof(int)), displs = hc_malloc((size_t)size * sizeof(int));
  MPI_Gather(&bytes, 1, MPI_INT, counts, 1, MPI_INT, 0, comm);
  char *all = NULL;
  if (rank == 0) {
    for (int r = 0; r < size; r++) displs[r] = total, total += counts[r];
    all = hc_malloc((size_t)total + 1);
  }
  MPI_Gatherv(l->events, bytes, MPI_BYTE, all, counts, displs, MPI_BYTE, 0, comm);
  int bad = 0;
  if (rank == 0) { /* one writer for a run and for a report read back (trace.c) */
    size_t *n = hc_malloc((size_t)size * sizeof(size_t));
    for (int r = 0; r < size; r++) n[r] = (size_t)counts[r] / sizeof(hc_event);
    bad = hc_trace_json_events(&l->topo, size, n, (const hc_event *)all, path, err, errlen) != 0;
    free(n), free(all), free(counts), free(displs);
  }
  return bad ? -1 : 0;
}
