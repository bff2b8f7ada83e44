/* test_model_config.c: models/<name>.ini loading and validation, with the
 * shipped shapes and bad files written to the test's scratch directory. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "hecaton/model_config.h"
#include "hecaton/util.h"

static const char *model_path(const char *name, char *buf, size_t len) {
  snprintf(buf, len, "%s/models/%s.ini", HECATON_SOURCE_DIR, name);
  return buf;
}

static void test_shipped_models(void) {
  /* name, dim, n_layers, n_heads, n_kv_heads, ffn_dim, vocab, max_seq, theta */
  struct { const char *name; int h, L, nh, nkv, f, V, s; double theta; } want[] = {
      {"tiny-64", 64, 2, 4, 2, 128, 256, 64, 1e4},
      {"tiny-128", 128, 3, 8, 2, 352, 256, 128, 1e4},
      {"small", 512, 8, 8, 4, 1408, 256, 256, 1e4},
      {"llama2-7b", 4096, 32, 32, 32, 11008, 32000, 4096, 1e4},
      {"llama2-13b", 5120, 40, 40, 40, 13824, 32000, 4096, 1e4},
      {"llama2-70b", 8192, 80, 64, 8, 28672, 32000, 4096, 1e4},
      {"llama3.1-8b", 4096, 32, 32, 8, 14336, 128256, 131072, 5e5},
      {"llama3.1-70b", 8192, 80, 64, 8, 28672, 128256, 131072, 5e5},
      {"llama3.1-405b", 16384, 126, 128, 8, 53248, 128256, 131072, 5e5},
  };
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    char path[1024], err[HC_ERRLEN] = "";
    hc_model_config c;
    int rc = hc_model_config_load(model_path(want[k].name, path, sizeof path), &c, err,
                                  sizeof err);
    if (rc) fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(c.name, want[k].name);
    CU_ASSERT_EQUAL(c.dim, want[k].h);
    CU_ASSERT_EQUAL(c.n_layers, want[k].L);
    CU_ASSERT_EQUAL(c.n_heads, want[k].nh);
    CU_ASSERT_EQUAL(c.n_kv_heads, want[k].nkv);
    CU_ASSERT_EQUAL(c.ffn_dim, want[k].f);
    CU_ASSERT_EQUAL(c.vocab_size, want[k].V);
    CU_ASSERT_EQUAL(c.max_seq_len, want[k].s);
    CU_ASSERT_DOUBLE_EQUAL(c.rope_theta, want[k].theta, 0);
    CU_ASSERT_DOUBLE_EQUAL(c.norm_eps, 1e-5, 0);
  }
  char path[1024], err[HC_ERRLEN];
  hc_model_config c;
  CU_ASSERT_EQUAL(hc_model_config_load(model_path("llama2-70b", path, sizeof path), &c, err,
                                       sizeof err), 0);
  CU_ASSERT_EQUAL(hc_model_head_dim(&c), 128);
  CU_ASSERT_EQUAL(hc_model_kv_dim(&c), 1024);
}

static const char *kGood[] = {
    "dim = 64", "n_layers = 2", "n_heads = 4", "n_kv_heads = 2", "ffn_dim = 128",
    "vocab_size = 256", "max_seq_len = 64", "norm_eps = 1e-5", "rope_theta = 10000",
};
#define NGOOD (sizeof kGood / sizeof kGood[0])

/* Writes [model] with the good lines, except that the line starting with
 * `key` is replaced by `line` (or dropped when line is NULL). */
static const char *write_model(const char *file, const char *key, const char *line,
                               char *path, size_t len) {
  snprintf(path, len, "%s/%s", hc_test_tmpdir(), file);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fprintf(f, "; test model\n[model]\n");
  for (size_t k = 0; k < NGOOD; k++) {
    if (key && !strncmp(kGood[k], key, strlen(key)) && kGood[k][strlen(key)] == ' ') {
      if (line) fprintf(f, "%s\n", line);
    } else {
      fprintf(f, "%s\n", kGood[k]);
    }
  }
  fclose(f);
  return path;
}

/* Loading fails and the message names the file and every one of `needles`. */
static void expect_fail(const char *file, const char *key, const char *line,
                        const char *needle1, const char *needle2) {
  char path[1024], err[HC_ERRLEN] = "";
  hc_model_config c;
  write_model(file, key, line, path, sizeof path);
  int rc = hc_model_config_load(path, &c, err, sizeof err);
  CU_ASSERT_EQUAL(rc, -1);
  int ok = strstr(err, file) && strstr(err, needle1) && (!needle2 || strstr(err, needle2));
  if (!ok)
    fprintf(stderr, "\n%s: message '%s' lacks '%s' / '%s'\n", file, err, needle1,
            needle2 ? needle2 : "");
  CU_ASSERT(ok);
}

static void test_good_file(void) {
  char path[1024], err[HC_ERRLEN] = "";
  hc_model_config c;
  write_model("good-model.ini", NULL, NULL, path, sizeof path);
  CU_ASSERT_EQUAL(hc_model_config_load(path, &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(c.name, "good-model");
  CU_ASSERT_EQUAL(c.n_kv_heads, 2);
}

static void test_bad_files(void) {
  expect_fail("no-ffn.ini", "ffn_dim", NULL, "ffn_dim", "missing");
  expect_fail("no-theta.ini", "rope_theta", NULL, "rope_theta", "missing");
  expect_fail("nan-dim.ini", "dim", "dim = sixty-four", "dim", "not an integer");
  expect_fail("nan-eps.ini", "norm_eps", "norm_eps = small", "norm_eps", "not a number");
  expect_fail("neg-layers.ini", "n_layers", "n_layers = -2", "n_layers", "positive");
  expect_fail("zero-eps.ini", "norm_eps", "norm_eps = 0", "norm_eps", "positive");
  expect_fail("typo.ini", "n_heads", "n_head = 4", "n_head", NULL);
  expect_fail("dim-heads.ini", "dim", "dim = 66", "dim % n_heads == 0", "66");
  expect_fail("heads-kv.ini", "n_kv_heads", "n_kv_heads = 3", "n_heads % n_kv_heads == 0",
              "3");
  expect_fail("odd-head.ini", "dim", "dim = 60", "head dim even", "15");
  expect_fail("kv-above.ini", "n_kv_heads", "n_kv_heads = 8", "n_kv_heads 8 is more than n_heads 4",
              NULL);
  expect_fail("huge-dim.ini", "dim", "dim = 4294967296", "dim", "too large");
  expect_fail("huge-eps.ini", "norm_eps", "norm_eps = 1e999", "norm_eps", "out of range");
  /* A valid INI value whose parameter count would wrap size_t. */
  expect_fail("2p30-dim.ini", "dim", "dim = 1073741824", "more than 2^40", NULL);
  char err[HC_ERRLEN] = "";
  hc_model_config c;
  CU_ASSERT_EQUAL(hc_model_config_load("/nonexistent/m.ini", &c, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/m.ini"));
}

int main(void) {
  const hc_test tests[] = {
      {"shipped model files load with the published shapes", test_shipped_models},
      {"a good file loads and takes its name", test_good_file},
      {"bad files fail naming the file and the key or rule", test_bad_files},
  };
  return hc_unit_main("model_config", tests, sizeof tests / sizeof tests[0]);
}
