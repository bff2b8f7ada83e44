/* rng.c: splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014) and Box-Muller. */
#include "hecaton/rng.h"

#include <math.h>

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

uint64_t hc_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void hc_rng_seed(hc_rng *r, uint64_t seed) { r->state = seed; }

/* The state walks by a fixed odd increment; the output is its hash. That
 * makes skipping ahead a multiplication. */
uint64_t hc_rng_u64(hc_rng *r) {
  r->state += GOLDEN_GAMMA;
  return hc_mix64(r->state);
}

void hc_rng_skip(hc_rng *r, uint64_t n) { r->state += n * GOLDEN_GAMMA; }

double hc_rng_uniform(hc_rng *r) {
  /* top 53 bits, shifted by half a step so 0 is never returned (log(0)). */
  return ((double)(hc_rng_u64(r) >> 11) + 0.5) * 0x1.0p-53;
}

double hc_rng_normal(hc_rng *r) {
  double u1 = hc_rng_uniform(r), u2 = hc_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
