/* plot.c: `hecaton plot`: a line chart of a CSV file as SVG, written here
 * (no plotting dependency): one line per value of a series column, y
 * against x, optional log scales. For the experiment job scripts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/util.h"

#define MAXCOL 64
#define MAXROW 4096
#define MAXSER 16

/* Split a CSV line (quotes respected) into fields, in place. */
static int split(char *line, char **f) {
  int n = 0, q = 0;
  f[n++] = line;
  for (char *p = line; *p && n < MAXCOL; p++) {
    if (*p == '"') q = !q;
    else if (*p == ',' && !q) *p = '\0', f[n++] = p + 1;
    else if (*p == '\n' || *p == '\r') *p = '\0';
  }
  return n;
}

static int column(char **hdr, int n, const char *name) {
  for (int k = 0; k < n; k++)
    if (!strcmp(hdr[k], name)) return k;
  return -1;
}

int hc_cmd_plot(int argc, char **argv) {
  const char *csv = NULL, *xs = NULL, *ys = NULL, *ser = NULL, *out = NULL, *title = "",
             *logx = NULL, *logy = NULL, *xl = NULL, *yl = NULL, *helpf = NULL;
  const hc_cli_opt opts[] = {{"--csv", 1, &csv},     {"--x", 1, &xs},       {"--y", 1, &ys},
                             {"--series", 1, &ser},  {"--out", 1, &out},    {"--title", 1, &title},
                             {"--log-x", 0, &logx},  {"--log-y", 0, &logy}, {"--x-label", 1, &xl},
                             {"--y-label", 1, &yl},  {"--help", 0, &helpf}};
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char err[HC_ERRLEN] = "";
  int bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err, sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0)
      printf("usage: hecaton plot --csv FILE --x COL --y COL [--series COL] --out FILE.svg\n"
             "       [--title T] [--log-x] [--log-y] [--x-label L] [--y-label L]\n");
    return 0;
  }
  if (!bad && (!csv || !xs || !ys || !out))
    bad = hc_err(err, sizeof err, "plot: give --csv, --x, --y and --out") != 0;
  static char text[MAXROW][512];
  static char *fld[MAXROW][MAXCOL];
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
  if (rank != 0) return 0;

  /* Series and ranges. */
  const char *names[MAXSER];
  int ns = 0;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int r = 1; r < nrows; r++) {
    if (nf[r] <= cx || nf[r] <= cy || !*fld[r][cy]) continue;
    double x = atof(fld[r][cx]), y = atof(fld[r][cy]);
    if ((logx && x <= 0) || (logy && y <= 0)) continue;
    const char *sn = cs >= 0 && nf[r] > cs ? fld[r][cs] : ys;
    int k;
    for (k = 0; k < ns; k++) if (!strcmp(names[k], sn)) break;
    if (k == ns && ns < MAXSER) names[ns++] = sn;
    double tx = logx ? log10(x) : x, ty = logy ? log10(y) : y;
    x0 = fmin(x0, tx), x1 = fmax(x1, tx), y0 = fmin(y0, ty), y1 = fmax(y1, ty);
  }
  if (ns == 0) {
    fprintf(stderr, "hecaton: error: %s: nothing to plot\n", csv);
    return 1;
  }
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1, y0 -= 1;
  double pad = 0.06 * (y1 - y0);
  y0 -= pad, y1 += pad;
  const double W = 720, H = 440, L = 80, R = 170, T = 40, B = 60;
  static const char *kCol[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                               "#e377c2", "#7f7f7f"};
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", out);
  FILE *g = fopen(tmp, "w");
  if (!g) {
    fprintf(stderr, "hecaton: error: %s: cannot write\n", out);
    return 1;
  }
#define PX(v) (L + ((v) - x0) / (x1 - x0) * (W - L - R))
#define PY(v) (H - B - ((v) - y0) / (y1 - y0) * (H - T - B))
  fprintf(g, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\">\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
             "<text x=\"%.0f\" y=\"22\" font-size=\"14\">%s</text>\n", W, H, L, title);
  fprintf(g, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#333\"/>\n",
          L, T, W - L - R, H - T - B);
  for (int k = 0; k <= 5; k++) { /* ticks */
    double vx = x0 + (x1 - x0) * k / 5, vy = y0 + (y1 - y0) * k / 5;
    fprintf(g, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.3g</text>\n", PX(vx), H - B + 16,
            logx ? pow(10, vx) : vx);
    fprintf(g, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n", L - 6, PY(vy) + 4,
            logy ? pow(10, vy) : vy);
    fprintf(g, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, W - R, PY(vy), PY(vy));
  }
  fprintf(g, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s%s</text>\n", (L + W - R) / 2, H - 18,
          xl ? xl : xs, logx ? " (log)" : "");
  fprintf(g, "<text transform=\"translate(18,%.0f) rotate(-90)\" text-anchor=\"middle\">%s%s</text>\n",
          (T + H - B) / 2, yl ? yl : ys, logy ? " (log)" : "");
  for (int k = 0; k < ns; k++) {
    const char *col = kCol[k % 8];
    fprintf(g, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
    for (int r = 1; r < nrows; r++) {
      if (nf[r] <= cx || nf[r] <= cy || !*fld[r][cy]) continue;
      const char *sn = cs >= 0 && nf[r] > cs ? fld[r][cs] : ys;
      double x = atof(fld[r][cx]), y = atof(fld[r][cy]);
      if (strcmp(sn, names[k]) || (logx && x <= 0) || (logy && y <= 0)) continue;
      fprintf(g, "%.1f,%.1f ", PX(logx ? log10(x) : x), PY(logy ? log10(y) : y));
    }
    fprintf(g, "\"/>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
               "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
            W - R + 12, T + 12 + 18.0 * k, col, W - R + 30, T + 17 + 18.0 * k, names[k]);
  }
  fprintf(g, "</svg>\n");
  if (fclose(g) || rename(tmp, out)) {
    remove(tmp);
    fprintf(stderr, "hecaton: error: %s: cannot write\n", out);
    return 1;
  }
  printf("plot written to %s\n", out);
  return 0;
}
