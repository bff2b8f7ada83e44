/* test_safetensors.c: the dtype conversions of safetensors.c (rounding to
 * nearest even at the ties, subnormals, overflow, NaN; every 16-bit pattern
 * round-trips) and a header written, read back and block-read. */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hecaton/safetensors.h"

static float f(uint32_t bits) {
  float x;
  memcpy(&x, &bits, sizeof x);
  return x;
}

static void test_bf16(void) {
  CU_ASSERT_EQUAL(hc_f32_to_bf16(1.0f), 0x3f80);
  CU_ASSERT_EQUAL(hc_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);       /* tie, to even (down) */
  CU_ASSERT_EQUAL(hc_f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);   /* tie, to even (up) */
  CU_ASSERT_EQUAL(hc_f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81); /* above the tie */
  CU_ASSERT_EQUAL(hc_f32_to_bf16(-2.0f), 0xc000);
  CU_ASSERT_EQUAL(hc_f32_to_bf16(f(0x7f7fffffu)), 0x7f80);        /* FLT_MAX rounds to inf */
  CU_ASSERT_EQUAL(hc_f32_to_bf16(INFINITY), 0x7f80);
  uint16_t nan = hc_f32_to_bf16(f(0x7f800001u));                  /* signalling NaN stays NaN */
  CU_ASSERT((nan & 0x7f80) == 0x7f80 && (nan & 0x7f) != 0);
  for (uint32_t h = 0; h < 65536; h++) {
    float x = hc_bf16_to_f32((uint16_t)h);
    if (isnan(x)) continue;
    if (hc_f32_to_bf16(x) != h) {
      CU_FAIL("a bf16 value does not round-trip");
      printf("bf16 0x%04x -> %g -> 0x%04x\n", h, x, hc_f32_to_bf16(x));
      break;
    }
  }
}

static void test_f16(void) {
  CU_ASSERT_EQUAL(hc_f32_to_f16(1.0f), 0x3c00);
  CU_ASSERT_EQUAL(hc_f32_to_f16(1.0f + 0x1p-11f), 0x3c00);       /* tie, to even */
  CU_ASSERT_EQUAL(hc_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);
  CU_ASSERT_EQUAL(hc_f32_to_f16(65504.0f), 0x7bff);              /* largest finite */
  CU_ASSERT_EQUAL(hc_f32_to_f16(65519.0f), 0x7bff);
  CU_ASSERT_EQUAL(hc_f32_to_f16(65520.0f), 0x7c00);              /* the tie rounds to inf */
  CU_ASSERT_EQUAL(hc_f32_to_f16(-1e6f), 0xfc00);
  CU_ASSERT_EQUAL(hc_f32_to_f16(0x1p-14f), 0x0400);              /* smallest normal */
  CU_ASSERT_EQUAL(hc_f32_to_f16(0x1p-24f), 0x0001);              /* smallest subnormal */
  CU_ASSERT_EQUAL(hc_f32_to_f16(0x1p-25f), 0x0000);              /* tie to even: zero */
  CU_ASSERT_EQUAL(hc_f32_to_f16(3 * 0x1p-25f), 0x0002);          /* tie to even: two units */
  CU_ASSERT_EQUAL(hc_f32_to_f16(0x1p-14f - 0x1p-25f), 0x0400);   /* carries into the exponent */
  CU_ASSERT_EQUAL(hc_f32_to_f16(-0.0f), 0x8000);
  CU_ASSERT_EQUAL(hc_f32_to_f16(1e-30f), 0x0000);
  CU_ASSERT(isnan(hc_f16_to_f32(hc_f32_to_f16(NAN))));
  CU_ASSERT_EQUAL(hc_f16_to_f32(0x0001), 0x1p-24f);
  CU_ASSERT_EQUAL(hc_f16_to_f32(0x7c00), INFINITY);
  for (uint32_t h = 0; h < 65536; h++) {
    float x = hc_f16_to_f32((uint16_t)h);
    if (isnan(x)) continue;
    if (hc_f32_to_f16(x) != h) {
      CU_FAIL("an f16 value does not round-trip");
      printf("f16 0x%04x -> %g -> 0x%04x\n", h, x, hc_f32_to_f16(x));
      break;
    }
  }
}

/* A file written by hc_st_header/hc_st_write reads back through the
 * checked reader, in every dtype, from any element on. */
static void test_file(void) {
  char dir[] = "/tmp/hc-st-XXXXXX", path[64];
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  float a[12], b[5], got[12];
  for (int k = 0; k < 12; k++) a[k] = (float)k * 0.25f - 1.0f;
  for (int k = 0; k < 5; k++) b[k] = (float)k + 0.5f;
  hc_st_entry e[2] = {{"a.weight", 2, {3, 4}}, {"b.weight", 1, {5, 1}}};
  for (int d = 0; d < 3; d++) {
    uint64_t off[3];
    size_t len;
    unsigned char *hdr = hc_st_header(e, 2, (hc_st_dtype)d, &len, off);
    CU_ASSERT_EQUAL(len % 8, 0);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    CU_ASSERT(fd >= 0 && write(fd, hdr, len) == (ssize_t)len);
    CU_ASSERT_EQUAL(hc_st_write(fd, off[0], a, 12, (hc_st_dtype)d), 0);
    CU_ASSERT_EQUAL(hc_st_write(fd, off[1], b, 5, (hc_st_dtype)d), 0);
    close(fd);
    free(hdr);
    hc_st_set s;
    char err[512] = "";
    CU_ASSERT_EQUAL_FATAL(hc_st_open_dir(&s, dir, err, sizeof err), 0);
    const hc_st_tensor *t = hc_st_find(&s, "a.weight");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT(t->ndim == 2 && t->shape[0] == 3 && t->shape[1] == 4 && t->dtype == (hc_st_dtype)d);
    CU_ASSERT_EQUAL(hc_st_read(&s, t, 5, 7, got, err, sizeof err), 0);
    CU_ASSERT_EQUAL(memcmp(got, a + 5, 7 * sizeof(float)), 0); /* quarters are exact in all three */
    t = hc_st_find(&s, "b.weight");
    CU_ASSERT_EQUAL(hc_st_read(&s, t, 0, 5, got, err, sizeof err), 0);
    CU_ASSERT_EQUAL(memcmp(got, b, 5 * sizeof(float)), 0);
    hc_st_close(&s);
  }
  remove(path);
  rmdir(dir);
}

int main(void) {
  const hc_test tests[] = {
      {"bf16: round to nearest even, overflow, NaN, every pattern round-trips", test_bf16},
      {"f16: ties, subnormals, overflow to inf, every pattern round-trips", test_f16},
      {"a written file reads back in every dtype", test_file},
  };
  return hc_unit_main("safetensors", tests, sizeof tests / sizeof tests[0]);
}
