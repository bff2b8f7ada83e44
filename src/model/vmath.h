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

/* 16 lanes (vector extensions, gcc and clang; one AVX-512 register, two
 * AVX2, four SSE2). Macros, not functions: clang rejects a function that
 * takes or returns a 64-byte vector where AVX-512 is off (the AVX2 and
 * baseline clones), inlined or not. */
typedef float hc_v16f __attribute__((vector_size(64)));
typedef int32_t hc_v16i __attribute__((vector_size(64)));
/* the same vector at any float's address, for loads and stores */
typedef float hc_v16f_u __attribute__((vector_size(64), aligned(4), may_alias));
static const hc_v16i hc_v16_iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

#define hc_v16_load(x) (*(const hc_v16f_u *)(x))
#define hc_v16_store(x, v) (*(hc_v16f_u *)(x) = (v))
#define hc_v16_splat(a) ((hc_v16f){0} + (float)(a))
/* a where mask (all ones), else b */
#define hc_v16_select(mask, a, b) \
  ((hc_v16f)((((hc_v16i)(a)) & (mask)) | (((hc_v16i)(b)) & ~(mask))))
/* Lanes j with j0 + j < n: all ones; the others 0. */
#define hc_v16_below(j0, n) (hc_v16_iota + (j0) < (n))
/* The lanes' sum in a fixed tree (the same on every clone); a: a variable. */
#define hc_v16_sum(a)                                                         \
  (((((a)[0] + (a)[8]) + ((a)[4] + (a)[12])) + (((a)[2] + (a)[10]) + ((a)[6] + (a)[14]))) + \
   ((((a)[1] + (a)[9]) + ((a)[5] + (a)[13])) + (((a)[3] + (a)[11]) + ((a)[7] + (a)[15]))))

/* out = hc_vexpf of each lane of x: the same operations in the same order
 * on each lane, so each lane equals hc_vexpf of it bit for bit. */
#define HC_VEXPF16(out, x)                                                          \
  do {                                                                              \
    hc_v16f x_ = (x);                                                               \
    hc_v16i lo_ = x_ < -87.3f;                                                      \
    hc_v16f xc_ = hc_v16_select(lo_, hc_v16_splat(-87.3f),                          \
                                hc_v16_select(x_ > 88.7f, hc_v16_splat(88.7f), x_)); \
    hc_v16f p_ = hc_v16_splat(HC_EXPF_C6);                                          \
    HC_EXPF_POLY(hc_v16f, xc_, n_, p_);                                             \
    hc_v16i e_ = (__builtin_convertvector(n_, hc_v16i) + 127) << 23;                \
    (out) = (hc_v16f)((hc_v16i)(p_ * (hc_v16f)e_) & ~lo_);                          \
  } while (0)

#endif
