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
#include "hecaton/pictures.h"
#include "hecaton/args.h"
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

/* A number, or 0 with *ok = 0 for an empty or non-numeric cell (trailing
 * blanks allowed). */
static double num(const char *s, int *ok) {
  char buf[512];
  size_t n = strlen(s) < sizeof buf ? strlen(s) : sizeof buf - 1;
  memcpy(buf, s, n);
  while (n > 0 && buf[n - 1] == ' ') n--;
  buf[n] = '\0';
  double v = 0;
  *ok = hc_parse_number(buf, &v) == 0;
  return *ok ? v : 0;
}

/* Text with &, <, >, " escaped. */

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

static void help(void) {
  printf("usage: hecaton plot --csv FILE --x COL --y COL [--series COL] --out FILE.svg\n"
         "  --title T               heading (default: \"Y against X\" from the labels)\n"
         "  --x-label L, --y-label L  axis labels with units (default: from the column\n"
         "                          name, step_time_s -> \"step time (s)\"); also --xlabel, --ylabel\n"
         "  --legend-title T        the legend's heading (default: from the series column)\n"
         "  --log-x, --log-y        logarithmic axes (rows with values <= 0 are left out)\n");
}

typedef struct {
  const char *csv, *xs, *ys, *ser, *out, *title, *xl, *yl, *lt;
  int logx, logy;
} plot_opts;

/* The CSV as read (rank 0): rows of fields, row 0 the header. */
typedef struct {
  char text[MAXROW][512];
  char *fld[MAXROW][MAXCOL];
  int nf[MAXROW], nrows;
  int cx, cy, cs; /* the columns plotted; cs -1: no series column */
} table;

/* The chart: points in axis units (log10 on a log axis), series, ranges,
 * labels and layout. */
typedef struct {
  point pts[MAXROW];
  const char *names[MAXSER];
  int np, ns, dropped, legend;
  double x0, x1, y0, y1;
  char xlab[256], ylab[256], ttl[600], ltl[256];
  double L, T, B, PW, PH, R, W, H, lh; /* margins, plot area, size, legend line height */
} chart;

static int parse_options(int argc, char **argv, plot_opts *o, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  const hc_cli_opt opts[] = {
      HC_STRING("csv", &o->csv),        HC_STRING("x", &o->xs),         HC_STRING("y", &o->ys),
      HC_STRING("series", &o->ser),     HC_STRING("out", &o->out),      HC_STRING("title", &o->title),
      HC_FLAG("log-x", &o->logx),       HC_FLAG("log-y", &o->logy),     HC_STRING("x-label", &o->xl),
      HC_STRING("xlabel", &o->xl),      HC_STRING("y-label", &o->yl),   HC_STRING("ylabel", &o->yl),
      HC_STRING("legend-title", &o->lt)};
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, errlen);
  if (rc) return rc;
  if (!o->csv || !o->xs || !o->ys || !o->out)
    return hc_err(err, errlen, "plot: give --csv, --x, --y and --out");
  return 0;
}

/* Rank 0: the file, and the columns named: 0 or -1 with err. */
static int read_table(const plot_opts *o, table *t, char *err, size_t errlen) {
  FILE *f = fopen(o->csv, "r");
  if (!f) return hc_err(err, errlen, "%s: cannot open", o->csv);
  t->nrows = 0;
  while (t->nrows < MAXROW && fgets(t->text[t->nrows], sizeof t->text[0], f)) {
    t->nf[t->nrows] = split(t->text[t->nrows], t->fld[t->nrows]);
    t->nrows++;
  }
  fclose(f);
  if (t->nrows < 2) return hc_err(err, errlen, "%s: no data rows", o->csv);
  char **hdr = t->fld[0];
  t->cx = column(hdr, t->nf[0], o->xs), t->cy = column(hdr, t->nf[0], o->ys);
  t->cs = o->ser ? column(hdr, t->nf[0], o->ser) : -1;
  if (t->cx < 0 || t->cy < 0 || (o->ser && t->cs < 0))
    return hc_err(err, errlen, "%s: no column '%s'", o->csv,
                  t->cx < 0 ? o->xs : t->cy < 0 ? o->ys : o->ser);
  return 0;
}

/* Row r's series (its index, a new one if room is left), or -1. */
static int series_of(chart *c, const char *name) {
  for (int k = 0; k < c->ns; k++)
    if (!strcmp(c->names[k], name)) return k;
  if (c->ns == MAXSER) return -1;
  c->names[c->ns] = name;
  return c->ns++;
}

/* Points, series and ranges (in axis units); rows without a number (or
 * <= 0 on a log axis, or past MAXSER series) counted as dropped. */
static void collect_points(const plot_opts *o, const table *t, chart *c) {
  c->x0 = c->y0 = INFINITY, c->x1 = c->y1 = -INFINITY;
  for (int r = 1; r < t->nrows; r++) {
    int okx = 0, oky = 0, nf = t->nf[r];
    double x = nf > t->cx ? num(t->fld[r][t->cx], &okx) : 0;
    double y = nf > t->cy ? num(t->fld[r][t->cy], &oky) : 0;
    if (!okx || !oky || (o->logx && x <= 0) || (o->logy && y <= 0)) {
      c->dropped += nf > 1 || *t->fld[r][0];
      continue;
    }
    int k = series_of(c, t->cs >= 0 && nf > t->cs ? t->fld[r][t->cs] : o->ys);
    if (k < 0) {
      c->dropped++;
      continue;
    }
    double tx = o->logx ? log10(x) : x, ty = o->logy ? log10(y) : y;
    c->pts[c->np++] = (point){tx, ty, k};
    c->x0 = fmin(c->x0, tx), c->x1 = fmax(c->x1, tx), c->y0 = fmin(c->y0, ty), c->y1 = fmax(c->y1, ty);
  }
}

/* Ranges padded; a flat range widened; non-negative data from 0. */
static void pad_ranges(const plot_opts *o, chart *c) {
  if (c->x1 == c->x0) c->x1 = c->x0 + 0.5, c->x0 -= 0.5;
  if (c->y1 == c->y0) c->y1 = c->y0 + (o->logy ? 0.5 : fmax(1, fabs(c->y0) * 0.1)), c->y0 -= c->y1 - c->y0;
  double padx = 0.04 * (c->x1 - c->x0), pady = 0.07 * (c->y1 - c->y0);
  c->x0 -= padx, c->x1 += padx, c->y0 -= pady, c->y1 += pady;
  if (!o->logy && c->y0 < 0 && c->y0 + pady >= 0) c->y0 = 0; /* non-negative data: the axis starts at 0 */
  if (!o->logx && c->x0 < 0 && c->x0 + padx >= 0) c->x0 = 0;
}

/* Labels, and the layout: plot area 560 x 330, the legend to its right,
 * sized to its text. */
static void label_and_lay_out(const plot_opts *o, const table *t, chart *c) {
  if (o->xl) snprintf(c->xlab, sizeof c->xlab, "%s", o->xl);
  else pretty(o->xs, c->xlab, sizeof c->xlab);
  if (o->yl) snprintf(c->ylab, sizeof c->ylab, "%s", o->yl);
  else pretty(o->ys, c->ylab, sizeof c->ylab);
  if (o->title) snprintf(c->ttl, sizeof c->ttl, "%s", o->title);
  else snprintf(c->ttl, sizeof c->ttl, "%s against %s", c->ylab, c->xlab);
  if (o->lt) snprintf(c->ltl, sizeof c->ltl, "%s", o->lt);
  else if (o->ser) pretty(o->ser, c->ltl, sizeof c->ltl);
  else c->ltl[0] = '\0';
  c->legend = c->ns > 1 || t->cs >= 0;
  size_t longest = strlen(c->ltl);
  for (int k = 0; k < c->ns; k++)
    longest = strlen(c->names[k]) + 4 > longest ? strlen(c->names[k]) + 4 : longest;
  const double CH = 6.6; /* a character's width */
  c->L = 84, c->T = 58, c->B = 62, c->PW = 560, c->PH = 330, c->lh = 18;
  c->R = c->legend ? 44 + CH * (double)longest : 30;
  c->W = fmax(c->L + c->PW + c->R, 40 + 9.5 * (double)strlen(c->ttl)), c->H = c->T + c->PH + c->B;
  if (c->legend && c->T + 30 + c->lh * c->ns > c->H - c->B) c->H = c->T + 30 + c->lh * c->ns + c->B;
}

static double px(const chart *c, double v) { return c->L + (v - c->x0) / (c->x1 - c->x0) * c->PW; }
static double py(const chart *c, double v) { return c->T + c->PH - (v - c->y0) / (c->y1 - c->y0) * c->PH; }

static const char *kCol[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                             "#e377c2", "#17becf"};

/* The x ticks: round values, or on a log axis over a few distinct values
 * (mesh sides, bandwidths), those values. */
static int x_ticks(const plot_opts *o, const chart *c, double *t) {
  int nt = ticks(c->x0, c->x1, o->logx, t);
  if (!o->logx) return nt;
  int nd = 0;
  double d[MAXTICK];
  for (int i = 0; i < c->np && nd <= 10; i++) {
    int k = 0;
    while (k < nd && fabs(d[k] - c->pts[i].x) > 1e-9) k++;
    if (k == nd) d[nd++] = c->pts[i].x;
  }
  if (nd > 10) return nt;
  qsort(d, (size_t)nd, sizeof d[0], by_double);
  for (int k = 0; k < nd; k++) t[k] = pow(10, d[k]);
  return nd;
}

/* Grid, ticks, frame and axis labels. */
static void draw_axes(FILE *g, const plot_opts *o, const chart *c) {
  double t[MAXTICK];
  double L = c->L, T = c->T, PW = c->PW, PH = c->PH;
  int nt = x_ticks(o, c, t);
  for (int k = 0; k < nt; k++) {
    double x = px(c, o->logx ? log10(t[k]) : t[k]);
    fprintf(g, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#e4e4e4\"/>"
               "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#333\"/>"
               "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">",
            x, x, T, T + PH, x, x, T + PH, T + PH + 5, x, T + PH + 19);
    tick_text(g, t[k]);
    fprintf(g, "</text>\n");
  }
  nt = ticks(c->y0, c->y1, o->logy, t);
  for (int k = 0; k < nt; k++) {
    double y = py(c, o->logy ? log10(t[k]) : t[k]);
    fprintf(g, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
               "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
               "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">",
            L, L + PW, y, y, L - 5, L, y, y, L - 8, y + 4);
    tick_text(g, t[k]);
    fprintf(g, "</text>\n");
  }
  fprintf(g, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#333\"/>\n", L, T,
          PW, PH);
  fprintf(g, "<text class=\"xlabel\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"12\">", L + PW / 2,
          T + PH + 44);
  hc_svg_text(g, c->xlab);
  fprintf(g, "%s</text>\n", o->logx ? ", log scale" : "");
  fprintf(g, "<text class=\"ylabel\" transform=\"translate(20,%.0f) rotate(-90)\" text-anchor=\"middle\" "
             "font-size=\"12\">", T + PH / 2);
  hc_svg_text(g, c->ylab);
  fprintf(g, "%s</text>\n", o->logy ? ", log scale" : "");
}

/* The series: a line through the points in x order, a marker on each. */
static void draw_series(FILE *g, const plot_opts *o, const chart *c) {
  for (int k = 0, p = 0; k < c->ns; k++) {
    const char *col = kCol[k % 8];
    int q = p;
    while (q < c->np && c->pts[q].s == k) q++;
    fprintf(g, "<g class=\"series\"><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", col,
            k >= 8 ? " stroke-dasharray=\"6,3\"" : "");
    for (int i = p; i < q; i++) fprintf(g, "%.1f,%.1f ", px(c, c->pts[i].x), py(c, c->pts[i].y));
    fprintf(g, "\"/>\n");
    for (int i = p; i < q; i++) {
      marker(g, k, px(c, c->pts[i].x), py(c, c->pts[i].y), col);
      fprintf(g, "><title>");
      hc_svg_text(g, c->names[k]);
      fprintf(g, ": %s = %.6g, %s = %.6g</title></%s>\n", o->xs, o->logx ? pow(10, c->pts[i].x) : c->pts[i].x,
              o->ys, o->logy ? pow(10, c->pts[i].y) : c->pts[i].y,
              k % 4 == 0 ? "circle" : k % 4 == 1 ? "rect" : "polygon");
    }
    fprintf(g, "</g>\n");
    p = q;
  }
}

static void draw_legend(FILE *g, const chart *c) {
  double lx = c->L + c->PW + 16, ly = c->T, lw = c->R - 24, lhgt = 28 + c->lh * c->ns;
  fprintf(g, "<g class=\"legend\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"white\" "
             "stroke=\"#999\"/>\n<text class=\"legend-title\" x=\"%.0f\" y=\"%.0f\" font-weight=\"bold\">",
          lx, ly, lw, lhgt, lx + 8, ly + 16);
  hc_svg_text(g, c->ltl[0] ? c->ltl : "series");
  fprintf(g, "</text>\n");
  for (int k = 0; k < c->ns; k++) {
    const char *col = kCol[k % 8];
    double yy = ly + 34 + c->lh * k;
    fprintf(g, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2\"%s/>", lx + 8,
            lx + 30, yy - 4, yy - 4, col, k >= 8 ? " stroke-dasharray=\"6,3\"" : "");
    marker(g, k, lx + 19, yy - 4, col);
    fprintf(g, "/><text x=\"%.0f\" y=\"%.0f\">", lx + 36, yy);
    hc_svg_text(g, c->names[k]);
    fprintf(g, "</text>\n");
  }
  fprintf(g, "</g>\n");
}

/* The SVG, written to a temporary name and renamed when complete: 0 or -1 with err. */
static int write_svg(const plot_opts *o, const chart *c, char *err, size_t errlen) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", o->out);
  FILE *g = fopen(tmp, "w");
  if (!g) return hc_err(err, errlen, "%s: cannot be written (directory missing or not writable?)", o->out);
  fprintf(g, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
             "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
             "<text class=\"title\" x=\"%.0f\" y=\"30\" font-size=\"16\" font-weight=\"bold\">",
          c->W, c->H, c->W, c->H, 20.0);
  hc_svg_text(g, c->ttl);
  fprintf(g, "</text>\n");
  draw_axes(g, o, c);
  draw_series(g, o, c);
  if (c->legend) draw_legend(g, c);
  fprintf(g, "</svg>\n");
  if (fclose(g) || rename(tmp, o->out)) {
    remove(tmp);
    return hc_err(err, errlen, "%s: cannot be written", o->out);
  }
  return 0;
}

/* Rank 0: the chart from the table: 0 or -1 with err. */
static int plot(const plot_opts *o, const table *t, char *err, size_t errlen) {
  static chart c;
  memset(&c, 0, sizeof c);
  collect_points(o, t, &c);
  if (c.np == 0)
    return hc_err(err, errlen, "%s: no numbers to plot in columns %s, %s%s", o->csv, o->xs, o->ys,
                  o->logx || o->logy ? " (values <= 0 are left out on a log axis)" : "");
  if (c.dropped)
    fprintf(stderr, "hecaton: warning: %s: %d row(s) left out (empty, not numeric%s, or past %d series)\n",
            o->csv, c.dropped, o->logx || o->logy ? ", <= 0 on a log axis" : "", MAXSER);
  qsort(c.pts, (size_t)c.np, sizeof c.pts[0], by_series_x);
  pad_ranges(o, &c);
  label_and_lay_out(o, t, &c);
  if (write_svg(o, &c, err, errlen)) return -1;
  printf("plot written to %s\n", o->out);
  return 0;
}

int hc_cmd_plot(int argc, char **argv) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char err[HC_ERRLEN] = "";
  plot_opts o;
  static table t;
  int rc = parse_options(argc, argv, &o, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  if (!rc && rank == 0) rc = read_table(&o, &t, err, sizeof err);
  if (hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) return 1;
  /* Rank 0 draws; the others wait for its verdict, so that every rank
   * exits with the same status and rank 0 prints the one message. */
  if (rank == 0) rc = plot(&o, &t, err, sizeof err);
  return hc_agree(MPI_COMM_WORLD, rc ? err : NULL) ? 1 : 0;
}
