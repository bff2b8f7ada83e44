/* loader.c: seeded, resumable batches of token windows. */
#include <stdlib.h>
#include <string.h>

#include "hecaton/data.h"
#include "hecaton/util.h"

/* Fisher-Yates with a stream derived from (seed, epoch): the same order on
 * every machine and for every rank. */
static void shuffle(hc_loader *l) {
  hc_rng r;
  hc_rng_seed(&r, hc_mix64(l->seed ^ hc_mix64(l->epoch + 1)));
  for (size_t k = 0; k < l->n_train; k++) l->perm[k] = k;
  for (size_t k = l->n_train; k > 1; k--) {
    size_t j = (size_t)(hc_rng_u64(&r) % k);
    size_t t = l->perm[k - 1];
    l->perm[k - 1] = l->perm[j], l->perm[j] = t;
  }
}

static size_t windows(size_t ntok, int s) {
  return ntok >= (size_t)s + 1 ? (ntok - 1) / (size_t)s : 0;
}

int hc_loader_init(hc_loader *l, const hc_tokens *t, int s, int b, double val_fraction,
                   uint64_t seed, char *err, size_t errlen) {
  memset(l, 0, sizeof *l);
  if (s < 1 || b < 1) return hc_err(err, errlen, "batch and sequence length must be positive");
  if (!(val_fraction >= 0 && val_fraction < 1)) /* NaN fails too */
    return hc_err(err, errlen, "validation fraction %g must be in [0, 1)", val_fraction);
  l->tok = t, l->s = s, l->seed = seed;
  l->train_end = (size_t)((double)t->n * (1.0 - val_fraction));
  l->n_train = windows(l->train_end, s);
  l->n_val = windows(t->n - l->train_end, s);
  if (l->n_train < (size_t)b)
    return hc_err(err, errlen,
                  "the training data (%zu tokens) gives %zu windows of %d+1 tokens, fewer than "
                  "one batch of %d: use more data, a shorter --seq or a smaller --batch",
                  l->train_end, l->n_train, s, b);
  if (val_fraction > 0 && l->n_val < 1)
    return hc_err(err, errlen,
                  "the validation data (%zu tokens) is shorter than one window of %d+1 tokens",
                  t->n - l->train_end, s);
  l->perm = hc_malloc(l->n_train * sizeof(size_t));
  shuffle(l);
  return 0;
}

void hc_loader_free(hc_loader *l) {
  free(l->perm);
  memset(l, 0, sizeof *l);
}

static void copy_window(const hc_loader *l, size_t start, int *out) {
  for (int q = 0; q <= l->s; q++) out[q] = (int)l->tok->ids[start + (size_t)q];
}

void hc_loader_next(hc_loader *l, int *out, int b) {
  for (int k = 0; k < b; k++) {
    if (l->pos >= l->n_train) {
      l->epoch++, l->pos = 0;
      shuffle(l);
    }
    copy_window(l, l->perm[l->pos++] * (size_t)l->s, out + (size_t)k * (size_t)(l->s + 1));
  }
}

void hc_loader_seek(hc_loader *l, uint64_t epoch, uint64_t pos) {
  l->epoch = epoch, l->pos = pos;
  shuffle(l);
}

void hc_loader_val(const hc_loader *l, size_t k, int *out, int b) {
  HC_ASSERT(l->n_val > 0);
  for (int q = 0; q < b; q++) {
    size_t w = (k * (size_t)b + (size_t)q) % l->n_val;
    copy_window(l, l->train_end + w * (size_t)l->s, out + (size_t)q * (size_t)(l->s + 1));
  }
}
