/* flops.h: FLOPs of each operation as the kernels execute it (a multiply
 * and an add count two), so that compute time is counted by the op. */
#ifndef HECATON_FLOPS_H
#define HECATON_FLOPS_H

/* Y (N x out) = X (N x in) W^T: one GEMM. Backward: two (dX, dW). */
static inline double hc_flops_matmul(double N, double in, double out) { return 2 * N * in * out; }
/* Attention per (sequence, query head): S = Q K^T and O = P V (full s x s
 * sgemms, the masked half included, as the kernel runs them) plus the
 * softmax (about 5 per score); backward: four sgemms (dV, dP, dQ, dK) and
 * the softmax gradient (about 6 per score); recomputing the probabilities
 * in backward (selective and full recomputation, model.h): S = Q K^T again
 * and exp(S / sqrt(d) - lse) (3 per score). */
static inline double hc_flops_attention_fwd(double b, double s, double nh, double d) {
  return b * nh * (4 * s * s * d + 5 * s * s);
}
static inline double hc_flops_attention_bwd(double b, double s, double nh, double d) {
  return b * nh * (8 * s * s * d + 6 * s * s);
}
static inline double hc_flops_attention_recompute(double b, double s, double nh, double d) {
  return b * nh * (2 * s * s * d + 3 * s * s);
}
/* Elementwise: RoPE 3 per element, SwiGLU 5 forward / 10 backward, RMSNorm
 * 4 / 8, cross-entropy 6 per logit, AdamW 14 per parameter, residual add 1. */
#define HC_FLOPS_ROPE 3.0
#define HC_FLOPS_SWIGLU_FWD 5.0
#define HC_FLOPS_SWIGLU_BWD 10.0
#define HC_FLOPS_NORM_FWD 4.0
#define HC_FLOPS_NORM_BWD 8.0
#define HC_FLOPS_XENT 6.0
#define HC_FLOPS_ADAMW 14.0
#define HC_FLOPS_ADD 1.0

#endif
