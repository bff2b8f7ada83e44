/* util.h: checked allocation, the project's error-reporting conventions,
 * size parsing and wall-clock time. Errors inside the library are returned
 * (0 ok, -1 failure) with a message written to a caller-supplied buffer;
 * only genuine internal bugs abort. */
#ifndef HECATON_UTIL_H
#define HECATON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define HC_ERRLEN 512

void *hc_malloc_check(size_t n, const char *file, int line);
void *hc_calloc_check(size_t count, size_t size, const char *file, int line);
#define hc_malloc(n) hc_malloc_check((n), __FILE__, __LINE__)
#define hc_calloc(c, s) hc_calloc_check((c), (s), __FILE__, __LINE__)

/* An internal invariant broke: print where, run the abort hook (the MPI
 * programs install one that aborts every rank: hc_mpi_abort_all, mesh.h),
 * then abort. */
void hc_die(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void hc_set_abort_hook(void (*hook)(void));
#define HC_DIE(...) hc_die(__FILE__, __LINE__, __VA_ARGS__)
#define HC_ASSERT(c) \
  do { if (!(c)) HC_DIE("assertion failed: %s", #c); } while (0)

/* snprintf into an error buffer; returns -1 so callers can `return hc_err(...)`. */
int hc_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "4096", "1K", "64M", "2G" (binary multiples) -> bytes. 0 ok, -1 bad. */
int hc_parse_size(const char *s, size_t *out);
/* Human-readable byte count into buf ("64 MiB", "1.5 KiB"). */
const char *hc_fmt_bytes(double bytes, char *buf, size_t len);

double hc_wtime(void);

/* A whole (small) file, NUL-terminated, its length in *len (may be NULL);
 * NULL if it cannot be opened. free() it. */
char *hc_read_file(const char *path, size_t *len);

#endif
