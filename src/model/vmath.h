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
/* n and the polynomial p = exp(r) from the clamped xc, for a float or for
 * each lane of a vector (type T; p holds the leading coefficient). */
#define HC_EXPF_POLY(T, xc, n, p)            \
  T n = (xc) * 1.44269504088896341f + 12582912.0f; \
  n -= 12582912.0f;                          \
  T r_ = (xc) - n * 0.693359375f;            \
  r_ = r_ - n * -2.12194440e-4f;             \
  p = p * r_ + 1.3981999507e-3f;             \
  p = p * r_ + 8.3334519073e-3f;             \
  p = p * r_ + 4.1665795894e-2f;             \
  p = p * r_ + 1.6666665459e-1f;             \
  p = p * r_ + 5.0000001201e-1f;             \
  p = p * (r_ * r_) + r_ + 1.0f
#define HC_EXPF_C6 1.9875691500e-4f

static inline float hc_vexpf(float x) {
  float xc = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  float p = HC_EXPF_C6;
  HC_EXPF_POLY(float, xc, n, p);
  int32_t e = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &e, sizeof scale);
  return x < -87.3f ? 0.0f : p * scale;
}

/* 16-lane helpers (vector extensions, gcc and clang; on AVX-512 one
 * register, on AVX2 two, on SSE2 four), static and inlined into each clone
 * (gcc's -Wpsabi note on 64-byte vector arguments is off: CMakeLists.txt). */
typedef float hc_v16f __attribute__((vector_size(64)));
typedef int32_t hc_v16i __attribute__((vector_size(64)));

static inline hc_v16f hc_v16_select(hc_v16i mask, hc_v16f a, hc_v16f b) {
  return (hc_v16f)(((hc_v16i)a & mask) | ((hc_v16i)b & ~mask));
}

static inline hc_v16f hc_v16_load(const float *x) {
  hc_v16f v;
  memcpy(&v, x, sizeof v);
  return v;
}
static inline void hc_v16_store(float *x, hc_v16f v) { memcpy(x, &v, sizeof v); }

static inline hc_v16f hc_v16_splat(float a) {
  hc_v16f z = {0};
  return z + a;
}

/* hc_vexpf on 16 lanes: the same operations in the same order on each
 * lane, so each lane equals hc_vexpf of it bit for bit. */
static inline hc_v16f hc_vexpf16(hc_v16f x) {
  hc_v16i lo = x < -87.3f;
  hc_v16f xc = hc_v16_select(lo, hc_v16_splat(-87.3f), hc_v16_select(x > 88.7f, hc_v16_splat(88.7f), x));
  hc_v16f p = hc_v16_splat(HC_EXPF_C6);
  HC_EXPF_POLY(hc_v16f, xc, n, p);
  hc_v16i e = (__builtin_convertvector(n, hc_v16i) + 127) << 23;
  return (hc_v16f)((hc_v16i)(p * (hc_v16f)e) & ~lo);
}

/* Lanes j with j0 + j < n: all ones; the others 0. */
static inline hc_v16i hc_v16_below(int j0, int n) {
  const hc_v16i iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return iota + j0 < n;
}

/* The lanes' sum in a fixed tree (the same on every clone). */
static inline float hc_v16_sum(hc_v16f a) {
  float s8[8], s4[4];
  for (int j = 0; j < 8; j++) s8[j] = a[j] + a[j + 8];
  for (int j = 0; j < 4; j++) s4[j] = s8[j] + s8[j + 4];
  return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

#endif
