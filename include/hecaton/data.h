/* data.h: token files (HDF5, DESIGN.md section 6), turning text or llm.c
 * token shards into them, and a seeded, resumable batch loader.
 *
 * A token file holds /tokens, 1-D uint16 (vocab <= 65536) or uint32, with
 * attributes vocab_size and tokenizer. The loader cuts it into windows of
 * s+1 tokens at stride s (input and shifted target share s tokens); the
 * first (1 - val_fraction) of the tokens are for training, the rest for
 * validation. Training windows are visited in a seeded random order that is
 * reshuffled every epoch; (epoch, position) is the data position a
 * checkpoint saves. */
#ifndef HECATON_DATA_H
#define HECATON_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "hecaton/rng.h"

#define HC_LLMC_MAGIC 20240520
#define HC_LLMC_VERSION 1
#define HC_LLMC_HEADER_INTS 256
#define HC_GPT2_VOCAB 50257

typedef struct {
  uint32_t *ids;
  size_t n;
  int vocab_size;
  char tokenizer[64];
  uint32_t max_id;
} hc_tokens;

int hc_tokens_load(const char *path, hc_tokens *t, char *err, size_t errlen);
/* Written to a temporary name, renamed when complete. */
int hc_tokens_save(const char *path, const uint32_t *ids, size_t n, int vocab_size,
                   const char *tokenizer, char *err, size_t errlen);
void hc_tokens_free(hc_tokens *t);

/* Turn inputs into one token file. Either every input is an llm.c shard
 * (.bin: 256 int32 header, magic 20240520, version 1, token count, then
 * uint16 tokens; GPT-2 vocabulary 50257) or every input is text, tokenized
 * byte by byte (vocabulary 256). *n_out receives the token count. */
int hc_prepare(const char *const *inputs, int n_inputs, const char *out, size_t *n_out,
               char *err, size_t errlen);

typedef struct {
  const hc_tokens *tok;
  int s;                   /* sequence length */
  size_t train_end;        /* tokens [0, train_end) train, the rest validation */
  size_t n_train, n_val;   /* windows */
  uint64_t seed;
  uint64_t epoch, pos;     /* data position: next training window */
  size_t *perm;            /* this epoch's window order */
} hc_loader;

/* Fails (with a message) when the data cannot give one batch of b windows
 * for training, or, with val_fraction > 0, one window for validation. */
int hc_loader_init(hc_loader *l, const hc_tokens *t, int s, int b, double val_fraction,
                   uint64_t seed, char *err, size_t errlen);
void hc_loader_free(hc_loader *l);
/* The next b training windows, (b, s+1) token ids. */
void hc_loader_next(hc_loader *l, int *out, int b);
/* Continue from a saved data position. */
void hc_loader_seek(hc_loader *l, uint64_t epoch, uint64_t pos);
/* Validation windows [k*b, (k+1)*b), wrapping around; same every call.
 * Only when n_val > 0. */
void hc_loader_val(const hc_loader *l, size_t k, int *out, int b);

#endif
