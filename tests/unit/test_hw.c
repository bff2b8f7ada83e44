/* test_hw.c: hardware files, good and bad. Every bad file must be rejected
 * with a message naming the file, the line (where there is one) and the key. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "hecaton/hw.h"
#include "hecaton/topo.h"
#include "hecaton/util.h"

static const char *kGood[] = {
    "; a good file",
    "[package]",
    "name = test-pkg",
    "[die]",
    "peak_flops = 1e14",
    "efficiency = 0.5",
    "sram_bytes = 1048576",
    "pj_per_flop = 0.25",
    "[link]",
    "bandwidth = 64e9",
    "latency = 5e-9   ; inline comment",
    "overhead = 1e-7",
    "efficiency = 1",
    "pj_per_bit = 0.5",
    "element_bytes = 2",
    "[io]",
    "edges = west,north",
    "port_bandwidth = 32e9",
    "[dram]",
    "bandwidth = 51.2e9",
    "pj_per_bit = 15",
};
#define NGOOD (sizeof kGood / sizeof kGood[0])

/* Write kGood with line `replace` (1-based) swapped for `with` (NULL:
 * dropped), return the path. */
static const char *write_variant(const char *name, int replace, const char *with) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s.ini", hc_test_tmpdir(), name);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  for (size_t k = 0; k < NGOOD; k++) {
    if ((int)k + 1 == replace) {
      if (with) fprintf(f, "%s\n", with);
    } else {
      fprintf(f, "%s\n", kGood[k]);
    }
  }
  fclose(f);
  return path;
}

static void test_good_file(void) {
  hc_hw hw;
  char err[HC_ERRLEN] = "";
  int rc = hc_hw_load(write_variant("good", 0, NULL), &hw, err, sizeof err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_STRING_EQUAL(hw.name, "test-pkg");
  CU_ASSERT_DOUBLE_EQUAL(hw.peak_flops, 1e14, 1);
  CU_ASSERT_DOUBLE_EQUAL(hw.link_bw, 64e9, 1);
  CU_ASSERT_DOUBLE_EQUAL(hw.link_latency, 5e-9, 1e-20);
  CU_ASSERT_DOUBLE_EQUAL(hw.link_eff, 1.0, 0);
  CU_ASSERT_EQUAL(hw.elem_bytes, 2);
  CU_ASSERT_EQUAL(hw.io_edges, HC_EDGE_BIT(HC_W) | HC_EDGE_BIT(HC_N));
  CU_ASSERT_DOUBLE_EQUAL(hw.dram_bw, 51.2e9, 1);
}

static void test_shipped_files(void) {
  hc_hw std, adv;
  char err[HC_ERRLEN] = "";
  CU_ASSERT_EQUAL_FATAL(hc_hw_load(HECATON_SOURCE_DIR "/models/hw/standard.ini", &std, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(hc_hw_load(HECATON_SOURCE_DIR "/models/hw/advanced.ini", &adv, err, sizeof err), 0);
  /* The advanced package has the faster, cheaper links (UCIe). */
  CU_ASSERT(adv.link_bw > std.link_bw);
  CU_ASSERT(adv.link_pj_per_bit < std.link_pj_per_bit);
  CU_ASSERT_EQUAL(std.io_edges, HC_EDGE_BIT(HC_W) | HC_EDGE_BIT(HC_E));
}

/* Line numbers in kGood (1-based). */
enum { L_NAME = 3, L_PEAK = 5, L_DIE_EFF = 6, L_BW = 10, L_LAT = 11, L_LINK_EFF = 13,
       L_ELEM = 15, L_EDGES = 17, L_DRAM_PJ = 21 };

static void expect_error(const char *name, int line, const char *with, const char *want1,
                         const char *want2) {
  hc_hw hw;
  char err[HC_ERRLEN] = "";
  const char *path = write_variant(name, line, with);
  int rc = hc_hw_load(path, &hw, err, sizeof err);
  CU_ASSERT_EQUAL(rc, -1);
  int ok = strstr(err, path) && strstr(err, want1) && (!want2 || strstr(err, want2));
  if (!ok) fprintf(stderr, "\n%s: message '%s' lacks '%s'/'%s'\n", name, err, want1, want2 ? want2 : "");
  CU_ASSERT(ok);
}

static void test_bad_files(void) {
  expect_error("not-a-number", L_BW, "bandwidth = fast", ":10:", "bandwidth");
  expect_error("trailing-junk", L_LAT, "latency = 5ns", ":11:", "latency");
  expect_error("zero", L_PEAK, "peak_flops = 0", ":5:", "peak_flops");
  expect_error("negative", L_DRAM_PJ, "pj_per_bit = -1", ":21:", "pj_per_bit");
  expect_error("efficiency-above-one", L_LINK_EFF, "efficiency = 1.5", ":13:", "efficiency");
  expect_error("die-efficiency-zero", L_DIE_EFF, "efficiency = 0", ":6:", "efficiency");
  expect_error("fractional-elem", L_ELEM, "element_bytes = 2.5", ":15:", "element_bytes");
  expect_error("bad-edges", L_EDGES, "edges = left", ":17:", "edges");
  expect_error("unknown-key", L_NAME, "colour = blue", ":3:", "colour");
  expect_error("missing-key", L_BW, NULL, "bandwidth", "missing");
  expect_error("repeated-key", L_LAT, "bandwidth = 1e9", ":11:", "twice");
  expect_error("syntax", L_NAME, "this line has no equals sign", ":3:", "syntax");
}

static void test_missing_file(void) {
  hc_hw hw;
  char err[HC_ERRLEN] = "";
  CU_ASSERT_EQUAL(hc_hw_load("/nonexistent/dir/hw.ini", &hw, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/dir/hw.ini"));
}

int main(void) {
  const hc_test tests[] = {
      {"a good hardware file loads", test_good_file},
      {"shipped standard and advanced files", test_shipped_files},
      {"bad values, keys and syntax name file, line and key", test_bad_files},
      {"a missing file is named", test_missing_file},
  };
  return hc_unit_main("hw", tests, sizeof tests / sizeof tests[0]);
}
