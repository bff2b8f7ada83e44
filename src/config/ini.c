/* ini.c: table-driven INI loading on top of libinih. */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include "hecaton/ini.h"

#include <errno.h>
#include <sys/stat.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/topo.h"
#include "hecaton/util.h"

#define MAX_KEYS 64

typedef struct {
  const char *path;
  const hc_ini_key *keys;
  size_t nkeys;
  char *dst;
  int seen[MAX_KEYS];
  int line; /* current line, counted by the reader below */
  int failed;
  char *err;
  size_t errlen;
} load_state;

/* libinih calls the reader once per line, and the handler for that line
 * right after: counting here gives the handler an exact line number. */
typedef struct { FILE *f; load_state *st; } reader_ctx;

static char *line_reader(char *buf, int size, void *stream) {
  reader_ctx *rc = stream;
  char *r = fgets(buf, size, rc->f);
  if (r) rc->st->line++;
  return r;
}

static int fail(load_state *st, const char *section, const char *name,
                const char *fmt, const char *value) {
  if (!st->failed) {
    char why[256];
    snprintf(why, sizeof why, fmt, value);
    hc_err(st->err, st->errlen, "%s:%d: [%s] %s: %s", st->path, st->line,
           section, name, why);
  }
  st->failed = 1;
  return 0;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value) {
  load_state *st = user;
  size_t k;
  for (k = 0; k < st->nkeys; k++)
    if (!strcmp(st->keys[k].section, section) && !strcmp(st->keys[k].name, name))
      break;
  if (k == st->nkeys) return fail(st, section, name, "unknown key%s", "");
  if (st->seen[k]) return fail(st, section, name, "given twice%s", "");
  st->seen[k] = 1;
  const hc_ini_key *key = &st->keys[k];
  void *field = st->dst + key->offset;
  char *end;
  errno = 0;
  switch (key->type) {
    case HC_KEY_DOUBLE: {
      double v = strtod(value, &end);
      if (end == value || *end != '\0' || isnan(v))
        return fail(st, section, name, "'%s' is not a number", value);
      if ((errno == ERANGE && v != 0) || !isfinite(v))
        return fail(st, section, name, "'%s' is out of range", value);
      if (v <= 0) return fail(st, section, name, "'%s' must be positive", value);
      if ((key->flags & HC_KEY_FRACTION) && v > 1)
        return fail(st, section, name, "'%s' must be in (0, 1]", value);
      *(double *)field = v;
      break;
    }
    case HC_KEY_INT: {
      long v = strtol(value, &end, 10);
      if (end == value || *end != '\0')
        return fail(st, section, name, "'%s' is not an integer", value);
      if (v <= 0)
        return fail(st, section, name, "'%s' must be a positive integer", value);
      if (errno == ERANGE || v > 1L << 30)
        return fail(st, section, name, "'%s' is too large (at most 1073741824)", value);
      *(int *)field = (int)v;
      break;
    }
    case HC_KEY_EDGES:
      if (hc_parse_edges(value, (unsigned *)field))
        return fail(st, section, name,
                    "'%s' is not a list of edges (west, east, north, south)", value);
      break;
    case HC_KEY_STRING:
      if (strlen(value) >= HC_INI_STRLEN)
        return fail(st, section, name, "'%s' is too long", value);
      strcpy((char *)field, value);
      break;
  }
  return 1;
}

int hc_ini_load(const char *path, const hc_ini_key *keys, size_t nkeys,
                void *dst, char *err, size_t errlen) {
  HC_ASSERT(nkeys <= MAX_KEYS);
  load_state st = {.path = path, .keys = keys, .nkeys = nkeys, .dst = dst,
                   .err = err, .errlen = errlen};
  FILE *f = fopen(path, "r");
  if (!f) return hc_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb; /* fopen opens a directory; its first read fails */
  if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
    fclose(f);
    return hc_err(err, errlen, "%s: is a directory, not a file", path);
  }
  reader_ctx rc = {f, &st};
  int rv = ini_parse_stream(line_reader, &rc, handler, &st);
  fclose(f);
  if (st.failed) return -1;
  if (rv != 0)
    return hc_err(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
                  path, rv);
  size_t nseen = 0;
  for (size_t k = 0; k < nkeys; k++) nseen += (size_t)st.seen[k];
  if (nseen == 0)
    return hc_err(err, errlen, "%s: empty file (no key = value lines; not a configuration file?)",
                  path);
  for (size_t k = 0; k < nkeys; k++)
    if ((keys[k].flags & HC_KEY_REQUIRED) && !st.seen[k])
      return hc_err(err, errlen, "%s: [%s] %s: required key missing", path,
                    keys[k].section, keys[k].name);
  return 0;
}
