/* safetensors.c: reading safetensors folders a block at a time (pread of
 * the bytes a caller asks for, converted on the fly), checking every
 * header first; writing one file's header and data; dtype conversions. */
#define _POSIX_C_SOURCE 200809L /* pread, pwrite */
#define _FILE_OFFSET_BITS 64
#include "hecaton/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hecaton/util.h"

/* ---- dtypes ----------------------------------------------------------------- */
const char *hc_st_dtype_name(hc_st_dtype d) {
  switch (d) {
    case HC_ST_F32: return "F32";
    case HC_ST_F16: return "F16";
    case HC_ST_BF16: return "BF16";
    default: return "?";
  }
}

int hc_st_parse_dtype(const char *s, hc_st_dtype *out) {
  static const char *names[] = {"f32", "f16", "bf16"};
  for (int k = 0; k < 3; k++)
    if (!strcasecmp(s, names[k])) return *out = (hc_st_dtype)k, 0;
  return -1;
}

/* Every dtype the format defines, with its size (the header check needs
 * it for tensors hecaton never reads). */
static size_t any_dtype_size(const char *s, hc_st_dtype *d) {
  static const struct { const char *name; size_t size; } kAll[] = {
      {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I64", 8}, {"U64", 8}, {"I32", 4},
      {"U32", 4}, {"I16", 2}, {"U16", 2},  {"I8", 1},  {"U8", 1},  {"BOOL", 1},
      {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (size_t k = 0; k < sizeof kAll / sizeof kAll[0]; k++)
    if (!strcmp(s, kAll[k].name)) {
      *d = k < 3 ? (hc_st_dtype)k : HC_ST_OTHER;
      return kAll[k].size;
    }
  return 0;
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

uint16_t hc_f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
  u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest, ties to even (carries into the exponent) */
  return (uint16_t)(u >> 16);
}

float hc_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  if (e == 0) { /* zero or subnormal: man x 2^-24, exact in float */
    float v = ldexpf((float)man, -24);
    return sign ? -v : v;
  }
  uint32_t u = e == 31 ? sign | 0x7f800000u | man << 13 : sign | (e + 112u) << 23 | man << 13;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

uint16_t hc_f32_to_f16(float f) {
  uint32_t u = f32_bits(f), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* NaN */
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to infinity */
  uint32_t q, rem, half;
  if (a < 0x38800000u) { /* below 2^-14: a half subnormal, units of 2^-24 */
    uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - e; /* value / 2^-24 = m x 2^(e - 126) */
    if (e == 0 || shift > 24) return (uint16_t)sign;
    q = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
  } else {
    q = ((a >> 23) - 112u) << 10 | ((a >> 13) & 0x3ffu);
    rem = a & 0x1fffu, half = 0x1000u;
  }
  if (rem > half || (rem == half && (q & 1u))) q++; /* a carry moves into the exponent */
  return (uint16_t)(sign | q);
}

/* ---- reading --------------------------------------------------------------- */
static int read_full(int fd, void *buf, size_t n, uint64_t at) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t got = pread(fd, p, n, (off_t)at);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return -1;
    p += got, n -= (size_t)got, at += (uint64_t)got;
  }
  return 0;
}

/* A non-negative integer JSON number (exact in a double). */
static int json_uint(const cJSON *j, uint64_t *out) {
  if (!cJSON_IsNumber(j)) return -1;
  double v = j->valuedouble;
  if (!(v >= 0) || v > 9007199254740992.0 || v != floor(v)) return -1;
  *out = (uint64_t)v;
  return 0;
}

static void fmt_shape(char *buf, size_t len, const size_t *shape, int ndim) {
  size_t at = (size_t)snprintf(buf, len, "[");
  for (int k = 0; k < ndim && at < len; k++)
    at += (size_t)snprintf(buf + at, len - at, "%s%zu", k ? ", " : "", shape[k]);
  if (at < len) snprintf(buf + at, len - at, "]");
}

/* One tensor entry of a header, checked against the file's size. */
static int parse_entry(const cJSON *e, const char *path, uint64_t data0, uint64_t size,
                       hc_st_tensor *t, char *err, size_t errlen) {
  const char *name = e->string;
  const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
  const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
  if (!cJSON_IsObject(e) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) ||
      cJSON_GetArraySize(off) != 2 || cJSON_GetArraySize(sh) > 8)
    return hc_err(err, errlen, "%s: header entry '%s' lacks a dtype string, a shape list or "
                  "two data_offsets", path, name);
  size_t es = any_dtype_size(dt->valuestring, &t->dtype);
  if (!es) return hc_err(err, errlen, "%s: tensor %s: unknown dtype '%s'", path, name, dt->valuestring);
  snprintf(t->dtype_name, sizeof t->dtype_name, "%s", dt->valuestring);
  t->ndim = cJSON_GetArraySize(sh);
  double numel = 1;
  for (int k = 0; k < t->ndim; k++) {
    uint64_t v;
    if (json_uint(cJSON_GetArrayItem(sh, k), &v))
      return hc_err(err, errlen, "%s: tensor %s: shape holds something other than "
                    "non-negative integers", path, name);
    t->shape[k] = (size_t)v;
    numel *= (double)v;
  }
  uint64_t b, en;
  if (json_uint(cJSON_GetArrayItem(off, 0), &b) || json_uint(cJSON_GetArrayItem(off, 1), &en))
    return hc_err(err, errlen, "%s: tensor %s: data_offsets are not non-negative integers", path,
                  name);
  if (b > en)
    return hc_err(err, errlen, "%s: tensor %s: data_offsets [%llu, %llu] run backwards", path,
                  name, (unsigned long long)b, (unsigned long long)en);
  if (en > size - data0)
    return hc_err(err, errlen, "%s: tensor %s: data_offsets [%llu, %llu] run past the end of the "
                  "file (its data part holds %llu bytes)", path, name, (unsigned long long)b,
                  (unsigned long long)en, (unsigned long long)(size - data0));
  if (numel * (double)es != (double)(en - b)) {
    char s[128];
    fmt_shape(s, sizeof s, t->shape, t->ndim);
    return hc_err(err, errlen, "%s: tensor %s: shape %s of %s needs %.0f bytes, its "
                  "data_offsets [%llu, %llu] hold %llu", path, name, s, t->dtype_name,
                  numel * (double)es, (unsigned long long)b, (unsigned long long)en,
                  (unsigned long long)(en - b));
  }
  t->begin = data0 + b, t->end = data0 + en;
  return 0;
}

static int by_begin(const void *a, const void *b) {
  const hc_st_tensor *x = *(const hc_st_tensor *const *)a, *y = *(const hc_st_tensor *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* No two non-empty tensors of file `file` share a byte. */
static int check_overlap(hc_st_set *s, int file, char *err, size_t errlen) {
  size_t n = 0;
  const hc_st_tensor **v = hc_malloc((s->n + 1) * sizeof *v);
  for (size_t k = 0; k < s->n; k++)
    if (s->t[k].file == file && s->t[k].end > s->t[k].begin) v[n++] = &s->t[k];
  qsort(v, n, sizeof *v, by_begin);
  int rc = 0;
  for (size_t k = 1; k < n && !rc; k++)
    if (v[k]->begin < v[k - 1]->end)
      rc = hc_err(err, errlen, "%s: tensors %s and %s overlap (their data_offsets share bytes)",
                  s->paths[file], v[k - 1]->name, v[k]->name);
  free(v);
  return rc;
}

/* Read and check the header of s->paths[file], appending its tensors. */
static int parse_file(hc_st_set *s, int file, char *err, size_t errlen) {
  const char *path = s->paths[file];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return hc_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
  s->fds[file] = fd;
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode))
    return hc_err(err, errlen, "%s: not a regular file", path);
  uint64_t size = (uint64_t)st.st_size;
  unsigned char lenb[8];
  if (size < 8 || read_full(fd, lenb, 8, 0))
    return hc_err(err, errlen, "%s: shorter than the 8-byte header length (%llu bytes)", path,
                  (unsigned long long)size);
  uint64_t hlen = 0;
  for (int k = 7; k >= 0; k--) hlen = hlen << 8 | lenb[k];
  if (hlen > size - 8 || hlen > ((uint64_t)100 << 20))
    return hc_err(err, errlen, "%s: header length %llu runs past the end of the file (%llu "
                  "bytes) or above 100 MB: not a safetensors file, or truncated", path,
                  (unsigned long long)hlen, (unsigned long long)size);
  char *h = hc_malloc((size_t)hlen + 1);
  if (read_full(fd, h, (size_t)hlen, 8)) {
    free(h);
    return hc_err(err, errlen, "%s: cannot read the header", path);
  }
  h[hlen] = '\0';
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(h, (size_t)hlen, &end, 0);
  int rc = 0;
  if (!j)
    rc = hc_err(err, errlen, "%s: malformed JSON header (at byte %td of %llu)", path,
                end ? end - h : (ptrdiff_t)0, (unsigned long long)hlen);
  else if (!cJSON_IsObject(j))
    rc = hc_err(err, errlen, "%s: the header is JSON but not an object", path);
  for (const cJSON *e = j ? j->child : NULL; e && !rc; e = e->next) {
    if (!strcmp(e->string, "__metadata__")) continue;
    s->t = realloc(s->t, (s->n + 1) * sizeof *s->t);
    HC_ASSERT(s->t);
    hc_st_tensor *t = &s->t[s->n];
    memset(t, 0, sizeof *t);
    rc = parse_entry(e, path, 8 + hlen, size, t, err, errlen);
    if (rc) break;
    if (hc_st_find(s, e->string))
      rc = hc_err(err, errlen, "%s: tensor %s is given twice", path, e->string);
    t->name = strdup(e->string);
    t->file = file;
    s->n++;
  }
  cJSON_Delete(j);
  free(h);
  return rc ? rc : check_overlap(s, file, err, errlen);
}

static void add_path(hc_st_set *s, const char *dir, const char *file) {
  s->paths = realloc(s->paths, (size_t)(s->n_files + 1) * sizeof *s->paths);
  s->fds = realloc(s->fds, (size_t)(s->n_files + 1) * sizeof *s->fds);
  HC_ASSERT(s->paths && s->fds);
  size_t len = strlen(dir) + strlen(file) + 2;
  s->paths[s->n_files] = hc_malloc(len);
  snprintf(s->paths[s->n_files], len, "%s/%s", dir, file);
  s->fds[s->n_files++] = -1;
}

/* model.safetensors.index.json: its shards, in order of first mention; then
 * each name of weight_map must be in the shard it names. */
static int open_index(hc_st_set *s, const char *dir, const char *ipath, char *err, size_t errlen) {
  size_t n;
  char *text = hc_read_file(ipath, &n);
  if (!text) return hc_err(err, errlen, "%s: cannot read: %s", ipath, strerror(errno));
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(text, n, &end, 0);
  const cJSON *map = cJSON_GetObjectItemCaseSensitive(j, "weight_map");
  int rc = 0;
  if (!j) rc = hc_err(err, errlen, "%s: malformed JSON (at byte %td)", ipath, end ? end - text : 0);
  else if (!cJSON_IsObject(map))
    rc = hc_err(err, errlen, "%s: no \"weight_map\" object", ipath);
  for (const cJSON *e = map ? map->child : NULL; e && !rc; e = e->next) {
    if (!cJSON_IsString(e) || !e->valuestring[0] || strchr(e->valuestring, '/'))
      rc = hc_err(err, errlen, "%s: weight_map entry '%s' is not a file name of the folder",
                  ipath, e->string);
    int known = 0;
    for (int k = 0; k < s->n_files && !rc && !known; k++)
      known = !strcmp(strrchr(s->paths[k], '/') + 1, e->valuestring);
    if (!rc && !known) {
      add_path(s, dir, e->valuestring);
      if (access(s->paths[s->n_files - 1], F_OK))
        rc = hc_err(err, errlen, "%s: shard missing (listed in %s)", s->paths[s->n_files - 1],
                    ipath);
    }
  }
  for (int k = 0; k < s->n_files && !rc; k++) rc = parse_file(s, k, err, errlen);
  for (const cJSON *e = map ? map->child : NULL; e && !rc; e = e->next) {
    const hc_st_tensor *t = hc_st_find(s, e->string);
    if (!t || strcmp(strrchr(s->paths[t->file], '/') + 1, e->valuestring))
      rc = hc_err(err, errlen, "%s: weight_map puts %s in %s, whose header has no such tensor",
                  ipath, e->string, e->valuestring);
  }
  cJSON_Delete(j);
  free(text);
  return rc;
}

int hc_st_open_dir(hc_st_set *s, const char *dir, char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  char ipath[4096];
  snprintf(ipath, sizeof ipath, "%s/model.safetensors.index.json", dir);
  int rc;
  if (!access(ipath, F_OK)) {
    rc = open_index(s, dir, ipath, err, errlen);
  } else {
    add_path(s, dir, "model.safetensors");
    if (access(s->paths[0], F_OK))
      rc = hc_err(err, errlen, "%s: no model.safetensors or model.safetensors.index.json", dir);
    else
      rc = parse_file(s, 0, err, errlen);
  }
  if (rc) hc_st_close(s);
  return rc;
}

void hc_st_close(hc_st_set *s) {
  for (int k = 0; k < s->n_files; k++) {
    if (s->fds[k] >= 0) close(s->fds[k]);
    free(s->paths[k]);
  }
  for (size_t k = 0; k < s->n; k++) free(s->t[k].name);
  free(s->paths), free(s->fds), free(s->t);
  memset(s, 0, sizeof *s);
}

const hc_st_tensor *hc_st_find(const hc_st_set *s, const char *name) {
  for (size_t k = 0; k < s->n; k++)
    if (!strcmp(s->t[k].name, name)) return &s->t[k];
  return NULL;
}

int hc_st_read(const hc_st_set *s, const hc_st_tensor *t, uint64_t first, size_t count,
               float *dst, char *err, size_t errlen) {
  HC_ASSERT(t->dtype != HC_ST_OTHER);
  size_t es = hc_st_dtype_size(t->dtype);
  HC_ASSERT(t->begin + (first + count) * es <= t->end);
  enum { CHUNK = 1 << 16 };
  unsigned char *buf = t->dtype == HC_ST_F32 ? NULL : hc_malloc(CHUNK * 2);
  uint64_t at = t->begin + first * es;
  int rc = 0;
  for (size_t done = 0; done < count && !rc;) {
    size_t n = count - done < CHUNK ? count - done : CHUNK;
    /* f32 lands in place (little-endian host); 16-bit types through buf */
    void *into = t->dtype == HC_ST_F32 ? (void *)(dst + done) : buf;
    if (read_full(s->fds[t->file], into, n * es, at)) {
      rc = hc_err(err, errlen, "%s: cannot read tensor %s at byte %llu (file changed or "
                  "truncated since its header was read?)", s->paths[t->file], t->name,
                  (unsigned long long)at);
      break;
    }
    for (size_t k = 0; k < n && t->dtype != HC_ST_F32; k++) {
      uint16_t h = (uint16_t)(buf[2 * k] | buf[2 * k + 1] << 8);
      dst[done + k] = t->dtype == HC_ST_BF16 ? hc_bf16_to_f32(h) : hc_f16_to_f32(h);
    }
    done += n, at += n * es;
  }
  free(buf);
  return rc;
}

/* ---- writing ------------------------------------------------------------------ */
unsigned char *hc_st_header(const hc_st_entry *e, size_t n, hc_st_dtype d, size_t *len,
                            uint64_t *offsets) {
  size_t cap = 256 + n * 256, at = 0;
  char *json = hc_malloc(cap);
  at += (size_t)snprintf(json, cap, "{\"__metadata__\":{\"format\":\"pt\"}");
  uint64_t off = 0, es = hc_st_dtype_size(d);
  for (size_t k = 0; k < n; k++) {
    uint64_t bytes = es * e[k].shape[0] * (e[k].ndim == 2 ? e[k].shape[1] : 1);
    char shape[64];
    if (e[k].ndim == 2) snprintf(shape, sizeof shape, "%zu,%zu", e[k].shape[0], e[k].shape[1]);
    else snprintf(shape, sizeof shape, "%zu", e[k].shape[0]);
    at += (size_t)snprintf(json + at, cap - at,
                           ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%s],\"data_offsets\":[%llu,%llu]}",
                           e[k].name, hc_st_dtype_name(d), shape, (unsigned long long)off,
                           (unsigned long long)(off + bytes));
    HC_ASSERT(at < cap);
    offsets[k] = off;
    off += bytes;
  }
  at += (size_t)snprintf(json + at, cap - at, "}");
  size_t hlen = at;
  while ((8 + hlen) % 8) hlen++; /* pad with spaces: the data start 8-byte aligned */
  unsigned char *out = hc_malloc(8 + hlen);
  for (int k = 0; k < 8; k++) out[k] = (unsigned char)((uint64_t)hlen >> (8 * k));
  memcpy(out + 8, json, at);
  memset(out + 8 + at, ' ', hlen - at);
  free(json);
  for (size_t k = 0; k < n; k++) offsets[k] += 8 + hlen;
  offsets[n] = 8 + hlen + off;
  *len = 8 + hlen;
  return out;
}

int hc_st_write(int fd, uint64_t at, const float *src, size_t count, hc_st_dtype d) {
  enum { CHUNK = 1 << 16 };
  size_t es = hc_st_dtype_size(d);
  unsigned char *buf = hc_malloc(CHUNK * 4);
  int rc = 0;
  for (size_t done = 0; done < count && !rc;) {
    size_t n = count - done < CHUNK ? count - done : CHUNK;
    for (size_t k = 0; k < n; k++) {
      if (d == HC_ST_F32) {
        memcpy(buf + 4 * k, &src[done + k], 4); /* little-endian host */
      } else {
        uint16_t h = d == HC_ST_BF16 ? hc_f32_to_bf16(src[done + k]) : hc_f32_to_f16(src[done + k]);
        buf[2 * k] = (unsigned char)(h & 0xff), buf[2 * k + 1] = (unsigned char)(h >> 8);
      }
    }
    unsigned char *p = buf;
    for (size_t left = n * es; left > 0 && !rc;) {
      ssize_t w = pwrite(fd, p, left, (off_t)at);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) rc = -1;
      else p += w, left -= (size_t)w, at += (uint64_t)w;
    }
    done += n;
  }
  free(buf);
  return rc;
}
