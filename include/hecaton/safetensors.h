/* safetensors.h: the safetensors format (Hugging Face's weight files),
 * read a block at a time and written in parallel, with the dtype
 * conversions it needs. No MPI, no model knowledge: hf.h maps names.
 *
 * A file is an 8-byte little-endian header length N, N bytes of JSON
 * {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
 * {...}}, then the data; offsets count from the first byte after the
 * header, tensors are row-major and little-endian. A folder holds
 * model.safetensors, or the shards that model.safetensors.index.json's
 * "weight_map" names.
 *
 * Opening a folder reads and checks every header before any tensor is
 * read: every offset inside the file, begin <= end, no two tensors
 * overlapping, and shape x dtype size == end - begin. So every rank that
 * opens the same folder gets the same verdict and the same message. */
#ifndef HECATON_SAFETENSORS_H
#define HECATON_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- dtypes ----------------------------------------------------------------- */
typedef enum { HC_ST_F32, HC_ST_F16, HC_ST_BF16, HC_ST_OTHER } hc_st_dtype;

/* "F32", "F16", "BF16" (what hecaton reads and writes); other names the
 * format defines (F64, I64, ..., their size known) parse as HC_ST_OTHER. */
const char *hc_st_dtype_name(hc_st_dtype d);
/* "f32", "bf16", "f16" (any case) -> dtype: 0, or -1. */
int hc_st_parse_dtype(const char *s, hc_st_dtype *out);
static inline size_t hc_st_dtype_size(hc_st_dtype d) { return d == HC_ST_F32 ? 4 : 2; }

/* Widening is exact. Narrowing rounds to nearest, ties to even; NaN stays a
 * (quiet) NaN, overflow of f16 gives infinity, as PyTorch's .to() does. */
static inline float hc_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
uint16_t hc_f32_to_bf16(float f);
float hc_f16_to_f32(uint16_t h);
uint16_t hc_f32_to_f16(float f);

/* ---- reading a folder ----------------------------------------------------- */
typedef struct {
  char *name;
  hc_st_dtype dtype;
  char dtype_name[16];   /* as the header gives it */
  int ndim;
  size_t shape[8];
  uint64_t begin, end;   /* absolute byte offsets in its file */
  int file;              /* index into hc_st_set.paths */
} hc_st_tensor;

typedef struct {
  int n_files;
  char **paths;   /* the folder's weight files */
  int *fds;
  size_t n;       /* tensors over all files */
  hc_st_tensor *t;
} hc_st_set;

/* Open model.safetensors.index.json's shards, or model.safetensors, in dir
 * and check their headers: 0, or -1 with one message naming the file and
 * the fault (set is then empty). */
int hc_st_open_dir(hc_st_set *set, const char *dir, char *err, size_t errlen);
void hc_st_close(hc_st_set *set);
const hc_st_tensor *hc_st_find(const hc_st_set *set, const char *name);
/* count elements of t from flat element index `first`, converted to float
 * (t's dtype must be F32, F16 or BF16): 0, or -1 with a message. */
int hc_st_read(const hc_st_set *set, const hc_st_tensor *t, uint64_t first, size_t count,
               float *dst, char *err, size_t errlen);

/* ---- writing one file ------------------------------------------------------ */
typedef struct {
  const char *name;
  int ndim;
  size_t shape[2];
} hc_st_entry;

/* The header of a file holding the n entries in order, contiguous, all of
 * dtype d, with "__metadata__": {"format": "pt"}: returns the malloc'd
 * bytes (8-byte length and JSON padded with spaces to a multiple of 8) and
 * *len; offsets[k] receives entry k's absolute byte offset in the file,
 * offsets[n] the file's size. */
unsigned char *hc_st_header(const hc_st_entry *e, size_t n, hc_st_dtype d, size_t *len,
                            uint64_t *offsets);
/* Convert count floats to d and write them at byte offset `at` of fd: 0 or
 * -1 (errno set). */
int hc_st_write(int fd, uint64_t at, const float *src, size_t count, hc_st_dtype d);

#endif
