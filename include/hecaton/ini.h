/* ini.h: table-driven loading of the project's INI files (hardware and
 * model configurations) through libinih. A table of keys says where each
 * value goes and what it must satisfy; every error names the file, the line
 * (where there is one) and the key. */
#ifndef HECATON_INI_H
#define HECATON_INI_H

#include <stddef.h>

typedef enum {
  HC_KEY_DOUBLE, /* double, must be > 0 (or in (0,1] with HC_KEY_FRACTION) */
  HC_KEY_INT,    /* int, must be > 0 */
  HC_KEY_EDGES,  /* unsigned mask: "west,east", see topo.h */
  HC_KEY_STRING  /* char[HC_INI_STRLEN] */
} hc_key_type;

enum { HC_KEY_REQUIRED = 1, HC_KEY_FRACTION = 2 };

#define HC_INI_STRLEN 64

typedef struct {
  const char *section;
  const char *name;
  hc_key_type type;
  size_t offset; /* offsetof the destination field */
  unsigned flags;
} hc_ini_key;

/* Load `path` into the struct at dst. Unknown sections or keys, repeated
 * keys, non-numbers, out-of-range values and missing required keys are
 * errors. Returns 0, or -1 with "path:line: key: reason" in err. */
int hc_ini_load(const char *path, const hc_ini_key *keys, size_t nkeys,
                void *dst, char *err, size_t errlen);

#endif
