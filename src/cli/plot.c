/* plot.c: `hecaton plot`: a line chart of a CSV file as SVG, written here
 * (no plotting dependency): one line per value of a series column, y
 * against x, optional log scales. For the experiment job scripts.
 *
 * The chart carries a title, axis labels (from the options, or made from
 * the column names: step_time_s -> "step time (s)"), round tick values,
 * a marker at every point (its value as a tooltip) and, for several
 * series, a legend with the series column as its heading. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/util.h"

#define MAXCOL 64
#define MAXROW 4096
#define MAXSER 16
#define MAXTICK 24

/* Split a CSV line (quotes respected and removed) into fields, in place. */
static int split(char *line, char **f) {
  int n = 0, q = 0;
  char *w = line;
  f[n++] = line;
  for (char *p = line; *p; p++) {
    if (*p == '"') q = !q;
    else if (*p == ',' && !q && n < MAXCOL) *w++ = '\0', f[n++] = w;
    else if (*p == '\n' || *p == '\r') break;
    else *w++ = *p;
  }
  *w = '\0';
  return n;
}

static int column(char **hdr, int n, const char *name) {
  for (int k = 0; k < n; k++)
    if (!strcmp(hdr[k], name)) return k;
  return -1;
}

/* A number, or 0 with *ok = 0 for an empty or non-numeric cell. */
static double num(const char *s, int *ok) {
  char *end;
  double v = strtod(s, &end);
  while (*end == ' ') end++;
  *ok = end != s && !*end && isfinite(v);
  return *ok ? v : 0;
}

/* Text with &, <, >, " escaped. */
static void xml(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '&') fputs("&amp;", f);
    else if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

/* A label from a column name: underscores to spaces, a unit suffix to its
 * unit in parentheses (step_time_s -> "step time (s)"). */
static void pretty(const char *col, char *buf, size_t len) {
  static const struct {
    const char *suffix, *unit;
    int keep; /* keep the suffix's word (dram_bytes -> "dram bytes (B)") */
  } suf[] = {{"_s", "s", 0},          {"_ms", "ms", 0},     {"_us", "\xc2\xb5s", 0}, {"_j", "J", 0},
             {"_w", "W", 0},          {"_gbps", "GB/s", 0}, {"_bytes", "B", 1},      {"_flops", "FLOP", 1},
             {"_pct", "%", 0},        {"_percent", "%", 0}};
  size_t n = strlen(col), keep = n;
  const char *unit = NULL;
  for (size_t k = 0; k < sizeof suf / sizeof suf[0]; k++) {
    size_t m = strlen(suf[k].suffix);
    if (n > m && !strcmp(col + n - m, suf[k].suffix)) {
      unit = suf[k].unit, keep = suf[k].keep ? n : n - m;
      break;
    }
  }
  size_t o = 0;
  for (size_t i = 0; i < keep && o + 1 < len; i++) buf[o++] = col[i] == '_' ? ' ' : col[i];
  buf[o] = '\0';
  if (unit) snprintf(buf + o, len - o, " (%s)", unit);
}

/* A tick value as SVG text: plain for 0.001 <= |v| < 100000, otherwise
 * m x 10^e with a raised exponent. */
static void tick_text(FILE *f, double v) {
  double a = fabs(v);
  if (a == 0 || (a >= 1e-3 && a < 1e5)) {
    fprintf(f, "%.4g", v);
    return;
  }
  int e = (int)floor(log10(a) + 1e-9);
  double m = v / pow(10, e);
  if (fabs(fabs(m) - 1) < 1e-6) fprintf(f, "%s10", m < 0 ? "\xe2\x88\x92" : "");
  else fprintf(f, "%.3g\xc3\x97" "10", m);
  fprintf(f, "<tspan dy=\"-5\" font-size=\"9\">%d</tspan>", e);
}

/* Round ticks over [lo, hi] (in axis units: log10 of the value on a log
 * axis); returns how many, values in t (not logged). */
static int ticks(double lo, double hi, int logscale, double *t) {
  int n = 0;
  if (logscale) {
    static const double m125[] = {1, 2, 5}, m1[] = {1};
    int d0 = (int)floor(lo), d1 = (int)ceil(hi), span = d1 - d0;
    int every = span > 12 ? (span + 11) / 12 : 1, fine = hi - lo <= 2.5;
    const double *m = fine ? m125 : m1;
    int nm = fine ? 3 : 1;
    for (int d = d0; d <= d1; d++) {
      if ((d - d0) % every) continue;
      for (int k = 0; k < nm && n < MAXTICK; k++) {
        double v = m[k] * pow(10, d), lv = log10(v);
        if (lv >= lo - 1e-9 && lv <= hi + 1e-9) t[n++] = v;
      }
    }
    if (n >= 3) return n;
    /* Under a decade or so: round values evenly spaced in value instead. */
    lo = pow(10, lo), hi = pow(10, hi);
  }
  double raw = (hi - lo) / 5, p = pow(10, floor(log10(raw))), step = p;
  if (raw / p > 5) step = 10 * p;
  else if (raw / p > 2) step = 5 * p;
  else if (raw / p > 1) step = 2 * p;
  n = 0;
  for (double v = ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step && n < MAXTICK; v += step)
    t[n++] = fabs(v) < 1e-12 * step ? 0 : v;
  return n;
}

typedef struct {
  double x, y;
  int s;
} point;

static int by_series_x(const void *a, const void *b) {
  const point *p = a, *q = b;
  if (p->s != q->s) return p->s - q->s;
  return (p->x > q->x) - (p->x < q->x);
}

static int by_double(const void *a, const void *b) {
  double p = *(const double *)a, q = *(const double *)b;
  return (p > q) - (p < q);
}

/* A marker of shape k (circle, square, diamond, triangle) at (x, y). */
static void marker(FILE *g, int k, double x, double y, const char *col) {
  switch (k % 4) {
  case 0: fprintf(g, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"", x, y); break;
  case 1: fprintf(g, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\"", x - 3.5, y - 3.5); break;
  case 2: fprintf(g, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"", x, y - 4.5, x + 4.5, y, x,
                  y + 4.5, x - 4.5, y); break;
  default: fprintf(g, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"", x, y - 4.5, x + 4.2, y + 3.2,
                   x - 4.2, y + 3.2);
  }
  fprintf(g, " fill=\"%s\" stroke=\"white\" stroke-width=\"0.8\"", col);
}

int hc_cmd_plot(int argc, char **argv) {
  const char *csv = NULL, *xs = NULL, *ys = NULL, *ser = NULL, *out = NULL, *title = NULL,
             *logx = NULL, *logy = NULL, *xl = NULL, *yl = NULL, *lt = NULL, *helpf = NULL;
  const hc_cli_opt opts[] = {{"--csv", 1, &csv},       {"--x", 1, &xs},        {"--y", 1, &ys},
                             {"--series", 1, &ser},    {"--out", 1, &out},     {"--title", 1, &title},
                             {"--log-x", 0, &logx},    {"--log-y", 0, &logy},  {"--x-label", 1, &xl},
                             {"--xlabel", 1, &xl},     {"--y-label", 1, &yl},  {"--ylabel", 1, &yl},
                             {"--legend-title", 1, &lt}, {"--help", 0, &helpf}};
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char err[HC_ERRLEN] = "";
  int bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err, sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0)
      printf("usage: hecaton plot --csv FILE --x COL --y COL [--series COL] --out FILE.svg\n"
             "  --title T               heading (default: \"Y against X\" from the labels)\n"
             "  --x-label L, --y-label L  axis labels with units (default: from the column\n"
             "                          name, step_time_s -> \"step time (s)\"); also --xlabel, --ylabel\n"
             "  --legend-title T        the legend's heading (default: from the series column)\n"
             "  --log-x, --log-y        logarithmic axes (rows with values <= 0 are left out)\n");
    return 0;
  }
  if (!bad && (!csv || !xs || !ys || !out))
    bad = hc_err(err, sizeof err, "plot: give --csv, --x, --y and --out") != 0;
  static char text[MAXROW][512];
  static char *fld[MAXROW][MAXCOL];
  static point pts[MAXROW];
  int nf[MAXROW], nrows = 0;
  FILE *f = NULL;
  if (!bad && rank == 0 && !(f = fopen(csv, "r"))) bad = hc_err(err, sizeof err, "%s: cannot open", csv) != 0;
  if (!bad && rank == 0) {
    while (nrows < MAXROW && fgets(text[nrows], sizeof text[nrows], f)) {
      nf[nrows] = split(text[nrows], fld[nrows]);
      nrows++;
    }
    fclose(f);
  }
  int cx = -1, cy = -1, cs = -1;
  if (!bad && rank == 0) {
    if (nrows < 2) bad = hc_err(err, sizeof err, "%s: no data rows", csv) != 0;
    else {
      cx = column(fld[0], nf[0], xs), cy = column(fld[0], nf[0], ys);
      cs = ser ? column(fld[0], nf[0], ser) : -1;
      if (cx < 0 || cy < 0 || (ser && cs < 0))
        bad = hc_err(err, sizeof err, "%s: no column '%s'", csv, cx < 0 ? xs : cy < 0 ? ys : ser) != 0;
    }
  }
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  /* Rank 0 draws; the others wait for its verdict, so that every rank
   * exits with the same status and rank 0 prints the one message. */
  if (rank != 0) return hc_agree(MPI_COMM_WORLD, NULL) ? 1 : 0;

  /* Points, series and ranges (in axis units). */
  const char *names[MAXSER];
  int ns = 0, np = 0, dropped = 0;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int r = 1; r < nrows; r++) {
    int okx = 0, oky = 0;
    double x = nf[r] > cx ? num(fld[r][cx], &okx) : 0, y = nf[r] > cy ? num(fld[r][cy], &oky) : 0;
    if (!okx || !oky || (logx && x <= 0) || (logy && y <= 0)) {
      dropped += nf[r] > 1 || *fld[r][0];
      continue;
    }
    const char *sn = cs >= 0 && nf[r] > cs ? fld[r][cs] : ys;
    int k;
    for (k = 0; k < ns; k++)
      if (!strcmp(names[k], sn)) break;
    if (k == ns) {
      if (ns == MAXSER) {
        dropped++;
        continue;
      }
      names[ns++] = sn;
    }
    double tx = logx ? log10(x) : x, ty = logy ? log10(y) : y;
    pts[np++] = (point){tx, ty, k};
    x0 = fmin(x0, tx), x1 = fmax(x1, tx), y0 = fmin(y0, ty), y1 = fmax(y1, ty);
  }
  if (np == 0) {
    hc_err(err, sizeof err, "%s: no numbers to plot in columns %s, %s%s", csv, xs, ys,
           logx || logy ? " (values <= 0 are left out on a log axis)" : "");
    return hc_agree(MPI_COMM_WORLD, err) ? 1 : 0;
  }
  if (dropped)
    fprintf(stderr, "hecaton: warning: %s: %d row(s) left out (empty, not numeric%s, or past %d series)\n",
            csv, dropped, logx || logy ? ", <= 0 on a log axis" : "", MAXSER);
  qsort(pts, (size_t)np, sizeof pts[0], by_series_x);
  if (x1 == x0) x1 = x0 + 0.5, x0 -= 0.5;
  if (y1 == y0) y1 = y0 + (logy ? 0.5 : fmax(1, fabs(y0) * 0.1)), y0 -= y1 - y0;
  double padx = 0.04 * (x1 - x0), pady = 0.07 * (y1 - y0);
  x0 -= padx, x1 += padx, y0 -= pady, y1 += pady;
  if (!logy && y0 < 0 && y0 + pady >= 0) y0 = 0; /* non-negative data: the axis starts at 0 */
  if (!logx && x0 < 0 && x0 + padx >= 0) x0 = 0;

  /* Labels. */
  char xlab[256], ylab[256], ttl[600], ltl[256];
  if (xl) snprintf(xlab, sizeof xlab, "%s", xl);
  else pretty(xs, xlab, sizeof xlab);
  if (yl) snprintf(ylab, sizeof ylab, "%s", yl);
  else pretty(ys, ylab, sizeof ylab);
  if (title) snprintf(ttl, sizeof ttl, "%s", title);
  else snprintf(ttl, sizeof ttl, "%s against %s", ylab, xlab);
  if (lt) snprintf(ltl, sizeof ltl, "%s", lt);
  else if (ser) pretty(ser, ltl, sizeof ltl);
  else ltl[0] = '\0';
  int legend = ns > 1 || cs >= 0;

  /* Layout: plot area 560 x 330, the legend to its right, sized to its text. */
  size_t longest = strlen(ltl);
  for (int k = 0; k < ns; k++) longest = strlen(names[k]) + 4 > longest ? strlen(names[k]) + 4 : longest;
  const double L = 84, T = 58, B = 62, PW = 560, PH = 330, CH = 6.6; /* CH: a character's width */
  double R = legend ? 44 + CH * (double)longest : 30;
  double W = fmax(L + PW + R, 40 + 9.5 * (double)strlen(ttl)), H = T + PH + B;
  double lh = 18; /* legend line height */
  if (legend && T + 30 + lh * ns > H - B) H = T + 30 + lh * ns + B;
  static const char *kCol[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                               "#e377c2", "#17becf"};
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", out);
  FILE *g = fopen(tmp, "w");
  if (!g) {
    hc_err(err, sizeof err, "%s: cannot be written (directory missing or not writable?)", out);
    return hc_agree(MPI_COMM_WORLD, err) ? 1 : 0;
  }
#define PX(v) (L + ((v) - x0) / (x1 - x0) * PW)
#define PY(v) (T + PH - ((v) - y0) / (y1 - y0) * PH)
  fprintf(g, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
             "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
             "<text class=\"title\" x=\"%.0f\" y=\"30\" font-size=\"16\" font-weight=\"bold\">",
          W, H, W, H, 20.0);
  xml(g, ttl);
  fprintf(g, "</text>\n");
  /* Grid and ticks. */
  double t[MAXTICK];
  int nt = ticks(x0, x1, logx != NULL, t);
  if (logx) { /* a log x axis over a few values (mesh sides, bandwidths): tick at them */
    int nd = 0;
    double d[MAXTICK];
    for (int i = 0; i < np && nd <= 10; i++) {
      int k = 0;
      while (k < nd && fabs(d[k] - pts[i].x) > 1e-9) k++;
      if (k == nd) d[nd++] = pts[i].x;
    }
    if (nd <= 10) {
      qsort(d, (size_t)nd, sizeof d[0], by_double);
      for (int k = 0; k < nd; k++) t[k] = pow(10, d[k]);
      nt = nd;
    }
  }
  for (int k = 0; k < nt; k++) {
    double px = PX(logx ? log10(t[k]) : t[k]);
    fprintf(g, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#e4e4e4\"/>"
               "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#333\"/>"
               "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">",
            px, px, T, T + PH, px, px, T + PH, T + PH + 5, px, T + PH + 19);
    tick_text(g, t[k]);
    fprintf(g, "</text>\n");
  }
  nt = ticks(y0, y1, logy != NULL, t);
  for (int k = 0; k < nt; k++) {
    double py = PY(logy ? log10(t[k]) : t[k]);
    fprintf(g, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
               "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
               "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">",
            L, L + PW, py, py, L - 5, L, py, py, L - 8, py + 4);
    tick_text(g, t[k]);
    fprintf(g, "</text>\n");
  }
  fprintf(g, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#333\"/>\n", L, T,
          PW, PH);
  fprintf(g, "<text class=\"xlabel\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"12\">", L + PW / 2,
          T + PH + 44);
  xml(g, xlab);
  fprintf(g, "%s</text>\n", logx ? ", log scale" : "");
  fprintf(g, "<text class=\"ylabel\" transform=\"translate(20,%.0f) rotate(-90)\" text-anchor=\"middle\" "
             "font-size=\"12\">", T + PH / 2);
  xml(g, ylab);
  fprintf(g, "%s</text>\n", logy ? ", log scale" : "");
  /* The series: a line through the points in x order, a marker on each. */
  for (int k = 0, p = 0; k < ns; k++) {
    const char *col = kCol[k % 8];
    int q = p;
    while (q < np && pts[q].s == k) q++;
    fprintf(g, "<g class=\"series\"><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", col,
            k >= 8 ? " stroke-dasharray=\"6,3\"" : "");
    for (int i = p; i < q; i++) fprintf(g, "%.1f,%.1f ", PX(pts[i].x), PY(pts[i].y));
    fprintf(g, "\"/>\n");
    for (int i = p; i < q; i++) {
      marker(g, k, PX(pts[i].x), PY(pts[i].y), col);
      fprintf(g, "><title>");
      xml(g, names[k]);
      fprintf(g, ": %s = %.6g, %s = %.6g</title></%s>\n", xs, logx ? pow(10, pts[i].x) : pts[i].x, ys,
              logy ? pow(10, pts[i].y) : pts[i].y, k % 4 == 0 ? "circle" : k % 4 == 1 ? "rect" : "polygon");
    }
    fprintf(g, "</g>\n");
    p = q;
  }
  if (legend) {
    double lx = L + PW + 16, ly = T, lw = R - 24, lhgt = 28 + lh * ns;
    fprintf(g, "<g class=\"legend\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"white\" "
               "stroke=\"#999\"/>\n<text class=\"legend-title\" x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">",
            lx, ly, lw, lhgt, lx + 8, ly + 16);
    xml(g, ltl[0] ? ltl : "series");
    fprintf(g, "</text>\n");
    for (int k = 0; k < ns; k++) {
      const char *col = kCol[k % 8];
      double yy = ly + 34 + lh * k;
      fprintf(g, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2\"%s/>", lx + 8,
              lx + 30, yy - 4, yy - 4, col, k >= 8 ? " stroke-dasharray=\"6,3\"" : "");
      marker(g, k, lx + 19, yy - 4, col);
      fprintf(g, "/><text x=\"%.0f\" y=\"%.0f\">", lx + 36, yy);
      xml(g, names[k]);
      fprintf(g, "</text>\n");
    }
    fprintf(g, "</g>\n");
  }
  fprintf(g, "</svg>\n");
  if (fclose(g) || rename(tmp, out)) {
    remove(tmp);
    hc_err(err, sizeof err, "%s: cannot be written", out);
    return hc_agree(MPI_COMM_WORLD, err) ? 1 : 0;
  }
  printf("plot written to %s\n", out);
  return hc_agree(MPI_COMM_WORLD, NULL) ? 1 : 0;
}
