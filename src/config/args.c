/* args.c: strict parsing of command-line values (see args.h). */
#include "hecaton/args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hecaton/util.h"

int hc_arg_int(const char *s, const char *name, int min, int *out, char *err, size_t errlen) {
  if (!s) return 0;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || (errno == ERANGE && v < 0) || v < min)
    return hc_err(err, errlen, "%s '%s': expected an integer >= %d", name, s, min);
  if (errno == ERANGE || v > HC_ARG_INT_MAX)
    return hc_err(err, errlen, "%s '%s': expected an integer from %d to %d", name, s, min,
                  HC_ARG_INT_MAX);
  *out = (int)v;
  return 0;
}

int hc_parse_number(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (*s == '\0' || *end != '\0' || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

int hc_arg_double(const char *s, const char *name, double min, double *out, char *err,
                  size_t errlen) {
  double v;
  if (!s) return 0;
  if (hc_parse_number(s, &v) || !(v >= min))
    return hc_err(err, errlen, "%s '%s': expected a number >= %g", name, s, min);
  *out = v;
  return 0;
}

int hc_arg_positive(const char *s, const char *name, double *out, char *err, size_t errlen) {
  double v;
  if (!s) return 0;
  if (hc_parse_number(s, &v) || !(v > 0))
    return hc_err(err, errlen, "%s '%s': expected a positive number", name, s);
  *out = v;
  return 0;
}

int hc_arg_output(const char *path, char *err, size_t errlen) {
  char probe[4096];
  if (snprintf(probe, sizeof probe, "%s.probe.tmp", path) >= (int)sizeof probe)
    return hc_err(err, errlen, "%s: path too long", path);
  FILE *f = fopen(probe, "w");
  if (!f)
    return hc_err(err, errlen, "%s: cannot be written (directory missing or not writable?)", path);
  fclose(f);
  remove(probe);
  return 0;
}
