/* test_vmath.c: the kernels' vectorised exp (src/model/vmath.h, private to
 * src/model): the 16-lane form equals the scalar one bit for bit, and both
 * stay close to libm's exp. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../src/model/vmath.h"
#include "harness.h"
#include "hecaton/rng.h"

/* Lane by lane, bit for bit, over the softmax's range, the clamps and past
 * them; and within 4e-7 relative of exp in double on [-87, 88]. */
static void test_vexpf16(void) {
  enum { N = 4096 };
  static float x[N];
  hc_rng rng;
  hc_rng_seed(&rng, 20261203);
  for (int i = 0; i < N; i++) x[i] = -100.0f + 200.0f * (float)hc_rng_uniform(&rng);
  const float edge[] = {-INFINITY, -87.3f, -87.29f, -87.31f, 0.0f,
                        -0.0f,     1e-30f, 88.7f,   88.71f,  1e30f};
  memcpy(x, edge, sizeof edge);
  for (int i = 0; i < N; i += 16) {
    hc_v16f v;
    HC_VEXPF16(v, hc_v16_load(x + i));
    for (int j = 0; j < 16; j++) {
      float got = v[j], want = hc_vexpf(x[i + j]);
      if (memcmp(&got, &want, sizeof want)) {
        fprintf(stderr, "HC_VEXPF16(%.9g) = %.9g, hc_vexpf = %.9g\n", x[i + j], got, want);
        CU_FAIL_FATAL("16-lane exp differs from the scalar one");
      }
      double e = exp((double)x[i + j]);
      if (x[i + j] > -87.0f && x[i + j] < 88.0f && fabs(v[j] - e) > 4e-7 * e) {
        fprintf(stderr, "HC_VEXPF16(%.9g) = %.9g, exp = %.9g\n", x[i + j], v[j], e);
        CU_FAIL_FATAL("16-lane exp off by more than 4e-7 relative");
      }
    }
  }
  /* the masked scores' value and the clamp above */
  hc_v16f lo, hi;
  HC_VEXPF16(lo, hc_v16_splat(-INFINITY));
  HC_VEXPF16(hi, hc_v16_splat(1e30f));
  CU_ASSERT_EQUAL(lo[3], 0.0f);
  CU_ASSERT_EQUAL(hi[5], hc_vexpf(88.7f));
}

int main(void) {
  const hc_test tests[] = {
      {"16-lane exp equals the scalar exp", test_vexpf16},
  };
  return hc_unit_main("vmath", tests, sizeof tests / sizeof tests[0]);
}
