/* test_data.c: token files (prepare from text or llm.c shards, load, bad
 * inputs) and the batch loader (windows, epochs, seeds, resuming, validation). */
#define _POSIX_C_SOURCE 200809L /* access */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hecaton/data.h"
#include "hecaton/h5io.h"
#include "hecaton/util.h"

/* A path in the scratch directory; a pool, so a test can hold several. */
static const char *tpath(const char *name) {
  static char pool[16][512];
  static unsigned next;
  char *p = pool[next++ % 16];
  snprintf(p, sizeof pool[0], "%s/%s", hc_test_tmpdir(), name);
  return p;
}

static void write_bytes(const char *path, const void *b, size_t n) {
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  if (n) CU_ASSERT_EQUAL(fwrite(b, 1, n, f), n);
  fclose(f);
}

/* An llm.c shard: 256 int32 header (magic, version, count), then `n` uint16
 * tokens; `count` may disagree with n to make a bad shard. */
static void write_shard(const char *path, int magic, int version, int count,
                        const uint16_t *tok, size_t n) {
  int32_t hdr[HC_LLMC_HEADER_INTS] = {magic, version, count};
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fwrite(hdr, sizeof hdr, 1, f);
  if (n) fwrite(tok, sizeof *tok, n, f);
  fclose(f);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* Compare token arrays; a mismatch names the array, the index and both values. */
static void expect_ids(const char *what, const uint32_t *got, const uint32_t *want, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (got[k] != want[k]) {
      fprintf(stderr, "\n%s: id[%zu] = %u, want %u\n", what, k, got[k], want[k]);
      CU_FAIL("token ids differ");
      return;
    }
}

static void expect_msg(const char *what, const char *err, const char *want1, const char *want2) {
  int ok = strstr(err, want1) && (!want2 || strstr(err, want2));
  if (!ok)
    fprintf(stderr, "\n%s: message '%s' lacks '%s'/'%s'\n", what, err, want1, want2 ? want2 : "");
  CU_ASSERT(ok);
}

/* Prepare must fail, naming `named` and `problem`, and leave no output. */
static void expect_prepare_fails(const char *what, const char *const *in, int n_in,
                                 const char *named, const char *problem) {
  char out[512], tmp[600], err[HC_ERRLEN] = "";
  size_t n_out = 0;
  snprintf(out, sizeof out, "%s/bad-%s.h5", hc_test_tmpdir(), what);
  snprintf(tmp, sizeof tmp, "%s.tmp", out);
  CU_ASSERT_EQUAL(hc_prepare(in, n_in, out, &n_out, err, sizeof err), -1);
  expect_msg(what, err, named, problem);
  CU_ASSERT_FALSE(exists(out));
  CU_ASSERT_FALSE(exists(tmp));
}

static void test_prepare_text(void) {
  char err[HC_ERRLEN] = "";
  const char *a = tpath("a.txt"), *b = tpath("b.txt"), *out = tpath("text.h5");
  const char *tmp = tpath("text.h5.tmp"), *ta = "Hello, chiplets!\n";
  unsigned char tb[300];
  for (size_t k = 0; k < sizeof tb; k++) tb[k] = (unsigned char)(255 - k * 7 % 256);
  write_bytes(a, ta, strlen(ta)), write_bytes(b, tb, sizeof tb);
  const char *in[] = {a, b};
  size_t n_out = 0, na = strlen(ta), n = na + sizeof tb;
  CU_ASSERT_EQUAL_FATAL(hc_prepare(in, 2, out, &n_out, err, sizeof err), 0);
  CU_ASSERT_EQUAL(n_out, n);
  CU_ASSERT_FALSE(exists(tmp));
  uint32_t *want = malloc(n * sizeof *want);
  for (size_t k = 0; k < n; k++) want[k] = k < na ? (unsigned char)ta[k] : tb[k - na];
  hc_tokens t;
  CU_ASSERT_EQUAL_FATAL(hc_tokens_load(out, &t, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(t.n, n);
  expect_ids("text tokens", t.ids, want, n);
  CU_ASSERT_EQUAL(t.vocab_size, 256);
  CU_ASSERT_STRING_EQUAL(t.tokenizer, "byte");
  CU_ASSERT_EQUAL(t.max_id, 255); /* tb[0] == 255 */
  hc_tokens_free(&t);
  free(want);
}

static void test_prepare_shards(void) {
  char err[HC_ERRLEN] = "";
  const char *a = tpath("s0.bin"), *b = tpath("s1.bin"), *out = tpath("gpt2.h5");
  const uint16_t sa[] = {50256, 0, 464, 2068, 50256}, sb[] = {13, 198, 31373, 7};
  const size_t na = 5, nb = 4;
  write_shard(a, HC_LLMC_MAGIC, 1, (int)na, sa, na);
  write_shard(b, HC_LLMC_MAGIC, 1, (int)nb, sb, nb);
  const char *in[] = {a, b};
  size_t n_out = 0;
  CU_ASSERT_EQUAL_FATAL(hc_prepare(in, 2, out, &n_out, err, sizeof err), 0);
  CU_ASSERT_EQUAL(n_out, na + nb);
  uint32_t want[9];
  for (size_t k = 0; k < na + nb; k++) want[k] = k < na ? sa[k] : sb[k - na];
  hc_tokens t;
  CU_ASSERT_EQUAL_FATAL(hc_tokens_load(out, &t, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(t.n, na + nb);
  expect_ids("shard tokens", t.ids, want, na + nb);
  CU_ASSERT_EQUAL(t.vocab_size, 50257);
  CU_ASSERT_STRING_EQUAL(t.tokenizer, "gpt2");
  CU_ASSERT_EQUAL(t.max_id, 50256);
  hc_tokens_free(&t);
}

static void test_prepare_bad_inputs(void) {
  const char *txt = tpath("plain.txt"), *good = tpath("good.bin"), *magic = tpath("magic.bin");
  const char *v2 = tpath("v2.bin"), *count = tpath("count.bin"), *empty = tpath("empty.txt");
  const char *miss = tpath("no-such-file.txt"), *big = tpath("oov.bin");
  const uint16_t tok[] = {1, 2, 3, 4}, oov[] = {1, 50257};
  write_bytes(txt, "some text", 9);
  write_shard(good, HC_LLMC_MAGIC, 1, 4, tok, 4);
  write_shard(magic, 20240521, 1, 4, tok, 4);
  write_shard(v2, HC_LLMC_MAGIC, 2, 4, tok, 4);
  write_shard(count, HC_LLMC_MAGIC, 1, 5, tok, 4);
  write_shard(big, HC_LLMC_MAGIC, 1, 2, oov, 2);
  write_bytes(empty, "", 0);
  expect_prepare_fails("magic", (const char *[]){magic}, 1, magic, "magic");
  expect_prepare_fails("version", (const char *[]){v2}, 1, v2, "version 2");
  expect_prepare_fails("count", (const char *[]){count}, 1, count, "5 tokens");
  expect_prepare_fails("text-then-shard", (const char *[]){txt, good}, 2, good, "mixes");
  expect_prepare_fails("shard-then-text", (const char *[]){good, txt}, 2, txt, "mixes");
  expect_prepare_fails("missing", (const char *[]){good, miss}, 2, miss, "cannot open");
  expect_prepare_fails("empty", (const char *[]){empty}, 1, empty, "no tokens");
  /* A GPT-2 shard holding id 50257 would make a file hc_tokens_load rejects. */
  expect_prepare_fails("out-of-vocab", (const char *[]){big}, 1, big, "50257");
}

static void test_load_errors(void) {
  char err[HC_ERRLEN] = "";
  const char *miss = tpath("absent.h5"), *junk = tpath("x.h5"), *oov = tpath("oov.h5");
  const char *huge = tpath("huge-vocab.h5");
  hc_tokens t;
  CU_ASSERT_EQUAL(hc_tokens_load(miss, &t, err, sizeof err), -1);
  expect_msg("missing", err, miss, "cannot open");
  unsigned char garbage[4096];
  for (size_t k = 0; k < sizeof garbage; k++) garbage[k] = (unsigned char)(k * 131 + 7);
  write_bytes(junk, garbage, sizeof garbage);
  CU_ASSERT_EQUAL(hc_tokens_load(junk, &t, err, sizeof err), -1);
  expect_msg("garbage", err, junk, "not a readable HDF5");
  const uint32_t ids[] = {1, 9, 12, 3};
  /* hc_tokens_save refuses ids >= vocab_size ... */
  CU_ASSERT_EQUAL(hc_tokens_save(oov, ids, 4, 10, "byte", err, sizeof err), -1);
  expect_msg("save id >= vocab", err, oov, "vocab_size 10");
  CU_ASSERT_EQUAL(access(oov, F_OK), -1);
  /* ... so write such a file by hand: the loader must refuse it too. */
  char tmp[600];
  size_t n = 4;
  hid_t f = hc_h5_create_tmp(oov, MPI_COMM_NULL, tmp, sizeof tmp);
  int wrote = f >= 0 && !hc_h5_write(f, "/tokens", H5T_NATIVE_UINT32, H5T_STD_U32LE, 1, &n, ids) &&
              !hc_h5_attr_write_int(f, "vocab_size", 10) &&
              !hc_h5_attr_write_string(f, "tokenizer", "byte");
  CU_ASSERT_EQUAL_FATAL(hc_h5_finish(f, tmp, oov, MPI_COMM_NULL, wrote), 0);
  CU_ASSERT_EQUAL(hc_tokens_load(oov, &t, err, sizeof err), -1);
  expect_msg("id >= vocab", err, oov, "vocab_size");
  CU_ASSERT_PTR_NULL(t.ids);
  /* vocab_size 2^31 does not fit the int field: it must be rejected. */
  f = hc_h5_create_tmp(huge, MPI_COMM_NULL, tmp, sizeof tmp);
  int ok = f >= 0 && !hc_h5_write(f, "/tokens", H5T_NATIVE_UINT32, H5T_STD_U32LE, 1, &n, ids) &&
           !hc_h5_attr_write_int(f, "vocab_size", 1LL << 31) &&
           !hc_h5_attr_write_string(f, "tokenizer", "byte");
  CU_ASSERT_EQUAL_FATAL(hc_h5_finish(f, tmp, huge, MPI_COMM_NULL, ok), 0);
  int rc = hc_tokens_load(huge, &t, err, sizeof err);
  if (rc == 0) {
    fprintf(stderr, "\nvocab_size 2^31 accepted as %d\n", t.vocab_size);
    hc_tokens_free(&t);
  }
  CU_ASSERT_EQUAL(rc, -1);
}

/* Loader: token k is 1000 + 3k, so a window's first id gives its position. */
enum { NTOK = 101, S = 4 };
static uint32_t g_ids[NTOK];
static hc_tokens g_tok = {.ids = g_ids, .n = NTOK, .vocab_size = 1 << 20, .tokenizer = "test"};

static void fill_tokens(void) {
  for (size_t k = 0; k < NTOK; k++) g_ids[k] = 1000 + 3 * (uint32_t)k;
}

/* The start of a window, checked to be s+1 consecutive file tokens at a
 * multiple of s; SIZE_MAX when it is not. */
static size_t window_start(const int *w) {
  size_t start = ((size_t)w[0] - 1000) / 3;
  if (start % S || start + S + 1 > NTOK) return SIZE_MAX;
  for (int q = 0; q <= S; q++)
    if ((uint32_t)w[q] != g_ids[start + (size_t)q]) {
      fprintf(stderr, "\nwindow at %zu: token %d = %d, want %u\n", start, q, w[q],
              g_ids[start + (size_t)q]);
      return SIZE_MAX;
    }
  return start;
}

static hc_loader make_loader(int b, double vf, uint64_t seed) {
  hc_loader l;
  char err[HC_ERRLEN] = "";
  fill_tokens();
  int rc = hc_loader_init(&l, &g_tok, S, b, vf, seed, err, sizeof err);
  if (rc) fprintf(stderr, "\nloader init: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  return l;
}

/* Draw `nb` batches of b; record each window's start into starts. */
static void draw(hc_loader *l, int b, int nb, size_t *starts) {
  int buf[64 * (S + 1)];
  for (int k = 0; k < nb; k++) {
    hc_loader_next(l, buf, b);
    for (int q = 0; q < b; q++) {
      size_t st = window_start(buf + q * (S + 1));
      CU_ASSERT_FATAL(st != SIZE_MAX);
      CU_ASSERT(st + S + 1 <= l->train_end); /* never reaches validation */
      starts[(size_t)k * (size_t)b + (size_t)q] = st;
    }
  }
}

/* The first n_train starts visit each training window once. */
static void expect_permutation(const char *what, const size_t *starts, size_t n_train) {
  int seen[NTOK] = {0};
  for (size_t k = 0; k < n_train; k++)
    if (seen[starts[k] / S]++) {
      fprintf(stderr, "\n%s: window %zu (start %zu) visited twice\n", what, starts[k] / S,
              starts[k]);
      CU_FAIL("window repeated within an epoch");
      return;
    }
}

static void expect_same_starts(const char *what, const size_t *got, const size_t *want, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (got[k] != want[k]) {
      fprintf(stderr, "\n%s: window %zu starts at %zu, want %zu\n", what, k, got[k], want[k]);
      CU_FAIL("window sequences differ");
      return;
    }
}

static void test_loader_epochs(void) {
  /* (b, val_fraction): 25 windows with b=5 divides; 19 windows with b=4 does not. */
  const struct { int b; double vf; size_t n_train; } cfg[] = {{5, 0.0, 25}, {4, 0.2, 19}};
  for (int c = 0; c < 2; c++) {
    hc_loader l = make_loader(cfg[c].b, cfg[c].vf, 42);
    CU_ASSERT_EQUAL_FATAL(l.n_train, cfg[c].n_train);
    size_t n = l.n_train, nb = (2 * n + (size_t)cfg[c].b - 1) / (size_t)cfg[c].b, starts[128];
    draw(&l, cfg[c].b, (int)nb, starts);
    expect_permutation("epoch 0", starts, n);
    expect_permutation("epoch 1", starts + n, n);
    CU_ASSERT(memcmp(starts, starts + n, n * sizeof *starts) != 0); /* reshuffled */
    size_t drawn = nb * (size_t)cfg[c].b; /* a new epoch starts on the draw after the last */
    CU_ASSERT_EQUAL(l.epoch, (drawn - 1) / n);
    CU_ASSERT_EQUAL(l.pos, drawn - (drawn - 1) / n * n);
    hc_loader_free(&l);
  }
}

static void test_loader_seeds(void) {
  size_t a[40], b[40], c[40];
  hc_loader la = make_loader(4, 0.2, 7), lb = make_loader(4, 0.2, 7), lc = make_loader(4, 0.2, 8);
  draw(&la, 4, 10, a), draw(&lb, 4, 10, b), draw(&lc, 4, 10, c);
  expect_same_starts("same seed", b, a, 40);
  CU_ASSERT(memcmp(a, c, sizeof a) != 0);
  hc_loader_free(&la), hc_loader_free(&lb), hc_loader_free(&lc);
}

static void test_loader_seek(void) {
  /* 25 windows: batches of 5 end exactly at the epoch; 19: a batch of 4 straddles it. */
  const int bs[] = {5, 4};
  const double vfs[] = {0.0, 0.2};
  for (int c = 0; c < 2; c++) {
    enum { NB = 14 };
    int b = bs[c];
    size_t ref[NB * 5], got[NB * 5];
    uint64_t ep[NB], po[NB];
    hc_loader l = make_loader(b, vfs[c], 99);
    for (int k = 0; k < NB; k++) ep[k] = l.epoch, po[k] = l.pos, draw(&l, b, 1, ref + k * b);
    hc_loader_free(&l);
    for (int k = 0; k < NB; k++) {
      hc_loader r = make_loader(b, vfs[c], 99);
      hc_loader_seek(&r, ep[k], po[k]);
      draw(&r, b, NB - k, got);
      char what[96];
      snprintf(what, sizeof what, "b=%d seek(%llu, %llu) vs uninterrupted", b,
               (unsigned long long)ep[k], (unsigned long long)po[k]);
      expect_same_starts(what, got, ref + k * b, (size_t)(NB - k) * (size_t)b);
      hc_loader_free(&r);
    }
  }
}

static void test_loader_val(void) {
  hc_loader l = make_loader(4, 0.2, 1);
  CU_ASSERT_EQUAL(l.train_end, 80);
  CU_ASSERT_EQUAL_FATAL(l.n_val, 5); /* tokens [80, 101): (21-1)/4 windows */
  int v1[3 * (S + 1)], v2[3 * (S + 1)];
  for (size_t k = 0; k < 3; k++) {
    hc_loader_val(&l, k, v1, 3);
    hc_loader_val(&l, k, v2, 3);
    CU_ASSERT(memcmp(v1, v2, sizeof v1) == 0);
    for (size_t q = 0; q < 3; q++) {
      size_t want = l.train_end + ((k * 3 + q) % l.n_val) * S, st = window_start(v1 + q * (S + 1));
      if (st != want)
        fprintf(stderr, "\nval batch %zu window %zu starts at %zu, want %zu\n", k, q, st, want);
      CU_ASSERT_EQUAL(st, want);
    }
  }
  hc_loader_free(&l);
}

static void test_loader_errors(void) {
  hc_loader l;
  char err[HC_ERRLEN] = "";
  fill_tokens();
  CU_ASSERT_EQUAL(hc_loader_init(&l, &g_tok, S, 25, 0.0, 1, err, sizeof err), 0); /* 25 windows */
  hc_loader_free(&l);
  CU_ASSERT_EQUAL(hc_loader_init(&l, &g_tok, S, 26, 0.0, 1, err, sizeof err), -1);
  expect_msg("too little data", err, "batch of 26", NULL);
  /* 101 * 0.97 -> 97 training tokens; the 4 left are less than one window of 5. */
  CU_ASSERT_EQUAL(hc_loader_init(&l, &g_tok, S, 2, 0.03, 1, err, sizeof err), -1);
  expect_msg("too little validation", err, "validation", NULL);
  const double bad[] = {1.0, -0.1, 1.5};
  for (int k = 0; k < 3; k++) {
    err[0] = 0;
    CU_ASSERT_EQUAL(hc_loader_init(&l, &g_tok, S, 2, bad[k], 1, err, sizeof err), -1);
    expect_msg("val_fraction range", err, "[0, 1)", NULL);
  }
}

int main(void) {
  const hc_test tests[] = {
      {"prepare text: bytes in order, vocab 256, loads back", test_prepare_text},
      {"prepare llm.c shards: ids round-trip and concatenate", test_prepare_shards},
      {"bad prepare inputs name file and problem, leave no output", test_prepare_bad_inputs},
      {"token file load failures", test_load_errors},
      {"windows, train/validation split, one epoch = each window once", test_loader_epochs},
      {"same seed same batches, different seed different", test_loader_seeds},
      {"seek reproduces an uninterrupted run", test_loader_seek},
      {"validation windows are fixed and start at train_end", test_loader_val},
      {"loader init errors", test_loader_errors},
  };
  return hc_unit_main("data", tests, sizeof tests / sizeof tests[0]);
}
