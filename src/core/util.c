/* util.c: checked allocation, error formatting, size parsing (no MPI). */
#define _POSIX_C_SOURCE 200809L
#include "hecaton/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void (*abort_hook)(void); /* util knows no MPI: the programs set it */

void *hc_malloc_check(size_t n, const char *file, int line) {
  void *p = malloc(n ? n : 1);
  if (!p) hc_die(file, line, "out of memory allocating %zu bytes", n);
  return p;
}

void *hc_calloc_check(size_t count, size_t size, const char *file, int line) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) hc_die(file, line, "out of memory allocating %zu x %zu bytes", count, size);
  return p;
}

void hc_die(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "hecaton: internal error at %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  if (abort_hook) abort_hook();
  abort();
}

void hc_set_abort_hook(void (*hook)(void)) { abort_hook = hook; }

int hc_err(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

int hc_parse_size(const char *s, size_t *out) {
  if (!s || !isdigit((unsigned char)*s)) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno) return -1;
  unsigned shift = 0;
  switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    default: return -1;
  }
  if (*end == 'i' || *end == 'I') end++;
  if (*end == 'b' || *end == 'B') end++;
  if (*end != '\0') return -1;
  if (shift && v > (~0ULL >> shift)) return -1;
  *out = (size_t)(v << shift);
  return 0;
}

const char *hc_fmt_bytes(double b, char *buf, size_t len) {
  static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024.0 && u < 5) { b /= 1024.0; u++; }
  if (u == 0) snprintf(buf, len, "%.0f B", b);
  else snprintf(buf, len, "%.*f %s", b < 10 ? 2 : 1, b, unit[u]);
  return buf;
}

double hc_wtime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *hc_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = hc_malloc(cap);
  for (size_t got; (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
    n += got;
    if (n + 1 == cap) {
      buf = realloc(buf, cap *= 2);
      HC_ASSERT(buf);
    }
  }
  fclose(f);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}
