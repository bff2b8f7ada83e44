/* args.h: command-line values (integers, numbers) checked strictly: the
 * whole string must parse, and a bad value gets a message naming the option
 * and the value. */
#ifndef HECATON_ARGS_H
#define HECATON_ARGS_H

#include <stddef.h>

#define HC_ARG_INT_MAX (1 << 30)

/* s == NULL (option not given) leaves *out as it is and returns 0; else
 * 0, or -1 with "--name 'value': expected ..." in err. */
int hc_arg_int(const char *s, const char *name, int min, int *out, char *err, size_t errlen);
/* A finite number >= min (NaN and infinities refused). */
int hc_arg_double(const char *s, const char *name, double min, double *out, char *err,
                  size_t errlen);
/* A finite number > 0: "--name 'value': expected a positive number". */
int hc_arg_positive(const char *s, const char *name, double *out, char *err, size_t errlen);
/* 0 with *out if the whole of s is one finite number, else -1 (no message:
 * for data, e.g. a CSV cell). */
int hc_parse_number(const char *s, double *out);

/* An output path that can be written: found out before a run rather than
 * after it, by creating and removing "<path>.probe.tmp" (the path itself is
 * left as it is). 0, or -1 with "<path>: cannot be written ..." in err. */
int hc_arg_output(const char *path, char *err, size_t errlen);

#endif
