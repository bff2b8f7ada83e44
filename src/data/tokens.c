/* tokens.c: HDF5 token files and their preparation from text or llm.c shards. */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hecaton/data.h"
#include "hecaton/h5io.h"
#include "hecaton/util.h"

/* fopen opens a directory too; say so instead of failing later. */
static int is_dir(FILE *f) {
  struct stat sb;
  return fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* /tokens as DESIGN.md section 6 has it: 1-D, unsigned 16- or 32-bit
 * integers, not empty. HDF5 would convert floats or signed values silently. */
static int check_tokens_dataset(hid_t f, const char *path, char *err, size_t errlen) {
  if (H5Lexists(f, "/tokens", H5P_DEFAULT) <= 0)
    return hc_err(err, errlen, "%s: no dataset /tokens (not a token file from 'hecaton prepare'?)",
                  path);
  hid_t ds = H5Dopen2(f, "/tokens", H5P_DEFAULT);
  if (ds < 0) return hc_err(err, errlen, "%s: /tokens is not a dataset", path);
  hid_t ty = H5Dget_type(ds), sp = H5Dget_space(ds);
  H5T_class_t cls = H5Tget_class(ty);
  size_t size = H5Tget_size(ty);
  int sign = cls == H5T_INTEGER ? (int)H5Tget_sign(ty) : -1;
  int nd = H5Sget_simple_extent_ndims(sp);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  H5Sclose(sp), H5Tclose(ty), H5Dclose(ds);
  if (cls != H5T_INTEGER || sign != H5T_SGN_NONE || (size != 2 && size != 4))
    return hc_err(err, errlen,
                  "%s: /tokens holds %zu-bit %s; expected unsigned 16- or 32-bit integer token ids",
                  path, 8 * size,
                  cls == H5T_FLOAT     ? "floats"
                  : cls != H5T_INTEGER ? "non-integer values"
                  : sign != H5T_SGN_NONE ? "signed integers"
                                         : "unsigned integers");
  if (nd != 1) return hc_err(err, errlen, "%s: /tokens is %d-D; expected 1-D", path, nd);
  if (n <= 0) return hc_err(err, errlen, "%s: /tokens is empty", path);
  return 0;
}

int hc_tokens_load(const char *path, hc_tokens *t, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  FILE *probe = fopen(path, "rb");
  if (!probe) return hc_err(err, errlen, "%s: cannot open token file: %s", path, strerror(errno));
  int dir = is_dir(probe);
  fclose(probe);
  if (dir) return hc_err(err, errlen, "%s: is a directory, not a token file", path);
  hid_t f = hc_h5_open_read(path);
  if (f < 0) return hc_err(err, errlen, "%s: not a readable HDF5 file (corrupted or wrong format?)", path);
  int ndim = 0, rc = -1;
  size_t dims[4];
  void *data = NULL;
  long long vocab = 0;
  int got = check_tokens_dataset(f, path, err, errlen) ? -3
            : hc_h5_read(f, "/tokens", H5T_NATIVE_UINT32, &ndim, dims, &data);
  if (got == -3)
    ; /* err says why */
  else if (got == -2)
    hc_err(err, errlen, "%s: checksum mismatch or unreadable data in /tokens (the file is corrupted)", path);
  else if (got || ndim != 1)
    hc_err(err, errlen, "%s: no readable 1-D dataset /tokens", path);
  else if (hc_h5_attr_read_int(f, "vocab_size", &vocab) || vocab < 1 || vocab > 0x7fffffffLL)
    hc_err(err, errlen, "%s: missing or invalid attribute vocab_size", path);
  else
    rc = 0;
  if (rc == 0 && hc_h5_attr_read_string(f, "tokenizer", t->tokenizer, sizeof t->tokenizer))
    snprintf(t->tokenizer, sizeof t->tokenizer, "unknown");
  H5Fclose(f);
  if (rc) {
    free(data);
    return -1;
  }
  t->ids = data, t->n = dims[0], t->vocab_size = (int)vocab;
  for (size_t k = 0; k < t->n; k++)
    if (t->ids[k] > t->max_id) t->max_id = t->ids[k];
  if (t->n && t->max_id >= (uint32_t)t->vocab_size) {
    hc_err(err, errlen, "%s: token id %u >= the file's vocab_size %d", path, t->max_id,
           t->vocab_size);
    hc_tokens_free(t);
    return -1;
  }
  return 0;
}

int hc_tokens_save(const char *path, const uint32_t *ids, size_t n, int vocab_size,
                   const char *tokenizer, char *err, size_t errlen) {
  for (size_t k = 0; k < n; k++)
    if (ids[k] >= (uint32_t)vocab_size)
      return hc_err(err, errlen, "%s: token %zu is %u, not below vocab_size %d", path, k, ids[k],
                    vocab_size);
  char tmp[4096];
  hid_t f = hc_h5_create_tmp(path, MPI_COMM_NULL, tmp, sizeof tmp);
  int ok = f >= 0;
  /* uint16 on disk when the vocabulary fits, as llm.c does. */
  hid_t ftype = vocab_size <= 65536 ? H5T_STD_U16LE : H5T_STD_U32LE;
  ok = ok && hc_h5_write(f, "/tokens", H5T_NATIVE_UINT32, ftype, 1, &n, ids) == 0;
  ok = ok && hc_h5_attr_write_int(f, "vocab_size", vocab_size) == 0;
  ok = ok && hc_h5_attr_write_string(f, "tokenizer", tokenizer) == 0;
  if (hc_h5_finish(f, tmp, path, MPI_COMM_NULL, ok))
    return hc_err(err, errlen, "%s: cannot write the token file (directory missing or not writable?)",
                  path);
  return 0;
}

void hc_tokens_free(hc_tokens *t) {
  free(t->ids);
  memset(t, 0, sizeof *t);
}

/* Read a whole file; -1 with a message. */
static int slurp(const char *path, unsigned char **buf, size_t *n, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) return hc_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
  if (is_dir(f)) {
    fclose(f);
    return hc_err(err, errlen, "%s: is a directory, not a file", path);
  }
  size_t cap = 1 << 16, len = 0;
  unsigned char *b = hc_malloc(cap);
  size_t got;
  while ((got = fread(b + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      unsigned char *nb = hc_malloc(cap * 2);
      memcpy(nb, b, len);
      free(b);
      b = nb, cap *= 2;
    }
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(b);
    return hc_err(err, errlen, "%s: read error", path);
  }
  *buf = b, *n = len;
  return 0;
}

static int is_llmc(const unsigned char *b, size_t n) {
  int32_t magic;
  if (n < sizeof magic) return 0;
  memcpy(&magic, b, sizeof magic);
  return magic == HC_LLMC_MAGIC;
}

/* Append an llm.c shard's tokens; checks its header against its size. */
static int llmc_tokens(const char *path, const unsigned char *b, size_t n, uint32_t **ids,
                       size_t *len, size_t *cap, char *err, size_t errlen) {
  int32_t hdr[HC_LLMC_HEADER_INTS];
  if (n < sizeof hdr) return hc_err(err, errlen, "%s: llm.c shard shorter than its header", path);
  memcpy(hdr, b, sizeof hdr);
  if (hdr[1] != HC_LLMC_VERSION)
    return hc_err(err, errlen, "%s: llm.c shard version %d, expected %d", path, hdr[1],
                  HC_LLMC_VERSION);
  if (hdr[2] < 0 || n != sizeof hdr + 2 * (size_t)hdr[2])
    return hc_err(err, errlen,
                  "%s: llm.c header says %d tokens but the file holds %zu (%zu bytes after the "
                  "header; truncated or not a shard?)",
                  path, hdr[2], (n - sizeof hdr) / 2, n - sizeof hdr);
  size_t m = (size_t)hdr[2];
  if (*len + m > *cap) {
    *cap = (*len + m) * 2;
    uint32_t *nids = hc_malloc(*cap * sizeof(uint32_t));
    if (*len) memcpy(nids, *ids, *len * sizeof(uint32_t));
    free(*ids);
    *ids = nids;
  }
  for (size_t k = 0; k < m; k++) {
    uint16_t v;
    memcpy(&v, b + sizeof hdr + 2 * k, 2);
    if (v >= HC_GPT2_VOCAB)
      return hc_err(err, errlen, "%s: token %zu is %u, outside the GPT-2 vocabulary of %d", path,
                    k, v, HC_GPT2_VOCAB);
    (*ids)[(*len)++] = v;
  }
  return 0;
}

int hc_prepare(const char *const *inputs, int n_inputs, const char *out, size_t *n_out,
               char *err, size_t errlen) {
  if (n_inputs < 1) return hc_err(err, errlen, "prepare: no input files");
  uint32_t *ids = NULL;
  size_t len = 0, cap = 0;
  int kind = -1; /* 0 text, 1 llm.c */
  for (int k = 0; k < n_inputs; k++) {
    unsigned char *b = NULL;
    size_t n = 0;
    if (slurp(inputs[k], &b, &n, err, errlen)) goto fail;
    int this_kind = is_llmc(b, n);
    size_t plen = strlen(inputs[k]);
    if (!this_kind && plen > 4 && !strcmp(inputs[k] + plen - 4, ".bin")) {
      free(b);
      hc_err(err, errlen, "%s: not an llm.c token shard (magic number is not %d)", inputs[k],
             HC_LLMC_MAGIC);
      goto fail;
    }
    if (kind >= 0 && this_kind != kind) {
      free(b);
      hc_err(err, errlen, "%s: mixes %s with %s inputs; give all text or all llm.c shards",
             inputs[k], this_kind ? "an llm.c shard" : "text", kind ? "llm.c" : "text");
      goto fail;
    }
    kind = this_kind;
    if (kind) {
      int rc = llmc_tokens(inputs[k], b, n, &ids, &len, &cap, err, errlen);
      free(b);
      if (rc) goto fail;
    } else {
      /* Byte-level tokenizer: every byte is a token. */
      if (len + n > cap) {
        cap = (len + n) * 2;
        uint32_t *nids = hc_malloc(cap * sizeof(uint32_t));
        if (len) memcpy(nids, ids, len * sizeof(uint32_t));
        free(ids);
        ids = nids;
      }
      for (size_t q = 0; q < n; q++) ids[len++] = b[q];
      free(b);
    }
  }
  if (len == 0) {
    hc_err(err, errlen, "%s%s: no tokens in the input%s", inputs[0], n_inputs > 1 ? " ..." : "",
           n_inputs > 1 ? "s" : "");
    goto fail;
  }
  if (hc_tokens_save(out, ids, len, kind ? HC_GPT2_VOCAB : 256, kind ? "gpt2" : "byte", err, errlen))
    goto fail;
  free(ids);
  *n_out = len;
  return 0;
fail:
  free(ids);
  return -1;
}
