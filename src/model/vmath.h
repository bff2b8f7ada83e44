/* vmath.h: elementwise math for the model's kernels, written so that the
 * compiler vectorises the loops that call it (no libm call, no branch):
 * glibc's expf is a scalar call, and it dominated SwiGLU, the softmax and
 * the cross-entropy. Private to src/model. Strict IEEE arithmetic
 * throughout (no -ffast-math): the result differs from expf by a few ulp,
 * not by an approximation a gradient check could see. */
#ifndef HECATON_MODEL_VMATH_H
#define HECATON_MODEL_VMATH_H

#include <stdint.h>
#include <string.h>

#include "hecaton/threads.h" /* HC_VEC_CLONES */

/* exp(x) (Cephes' expf): x = n ln2 + r, |r| <= ln2/2, with n rounded by the
 * 1.5 * 2^23 trick and ln2 split in two (Cody-Waite), exp(r) by a degree-6
 * polynomial, 2^n put in the exponent bits. Within 2 ulp of exp on
 * [-87.3, 88.7]; 0 below (exp(-inf) = 0, as the masked scores need);
 * x above 88.7 gives exp(88.7) (no caller gets near: arguments are
 * logits minus their maximum, or gate values of a trained network). */
static inline float hc_vexpf(float x) {
  float xc = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  float n = xc * 1.44269504088896341f + 12582912.0f;
  n -= 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t e = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &e, sizeof scale);
  return x < -87.3f ? 0.0f : p * scale;
}

#endif
