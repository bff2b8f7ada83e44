/* rng.h: a seeded, portable random number generator (splitmix64) with
 * Box-Muller normals. Integer arithmetic only up to the uniform draw, so a
 * seed gives the same bits on every machine; normals go through libm's log
 * and cos in double and are then rounded to float. The state is one plain
 * integer: save it, restore it, and the stream continues. */
#ifndef HECATON_RNG_H
#define HECATON_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t state;
} hc_rng;

void hc_rng_seed(hc_rng *r, uint64_t seed);
uint64_t hc_rng_u64(hc_rng *r);
/* Uniform in the open interval (0, 1), 53 random bits. */
double hc_rng_uniform(hc_rng *r);
/* Standard normal; consumes exactly two uniforms (no cached spare), so
 * draw k of a stream is reachable with hc_rng_skip(r, 2 * k). */
double hc_rng_normal(hc_rng *r);
/* Advance the stream by n 64-bit draws in O(1). */
void hc_rng_skip(hc_rng *r, uint64_t n);
/* The splitmix64 finaliser: a good 64-bit hash, used to derive streams. */
uint64_t hc_mix64(uint64_t x);

#endif
