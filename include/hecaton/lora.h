/* lora.h: LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
 * Language Models") on a chiplet's block of a frozen linear.
 *
 * The target W (out, in) is sharded as every other weight; its adapters
 * A (r, in) and B (out, r) follow it (params.h): the chiplet holding block
 * W[r0:r0+nr, c0:c0+nc] holds A_blk = A[:, c0:c0+nc] and B_blk =
 * B[r0:r0+nr, :] and computes with
 *     W' = W + s B_blk A_blk,   s = alpha / r,
 * which needs no communication; the method runs its linear on W' as on any
 * weight. Backward: the method leaves dW' (the block's share of the weight
 * gradient), and
 *     dA_blk += s B_blk^T dW',   dB_blk += s dW' A_blk^T
 * are this block's shares of the adapters' gradients; the sum over the
 * chiplets holding the same part (the method's adapter groups, summed by
 * hc_par_grads_done) is the gradient. */
#ifndef HECATON_LORA_H
#define HECATON_LORA_H

#include "hecaton/params.h"

/* wm (nr x nc) = w + s B_blk A_blk, for block x of the target (A_blk
 * r x nc, B_blk nr x r, row-major; wm may be w). */
void hc_lora_merge(float *wm, const float *w, const float *A, const float *B, const hc_tensor *x,
                   int rank, float s);
/* dA_blk, dB_blk += this block's shares from dwm (nr x nc). */
void hc_lora_backward(float *dA, float *dB, const float *dwm, const float *A, const float *B,
                      const hc_tensor *x, int rank, float s);
/* The adapters of weight k of a linear being differentiated, handed by the
 * model to a method that takes them (hc_method.lora_thin): the method then
 * computes, from the dY and X its weight gradient would use,
 *     dB_blk += s dY^T (X A_blk^T),   dA_blk += s (dY B_blk)^T X
 * (two thin GEMMs each, 4 T r (nin + nout) FLOPs) instead of dW' (2 T nin
 * nout), which a frozen weight does not need. */
typedef struct hc_lora_call {
  const float *A, *B; /* A_blk (r x nin), B_blk (nout x r) */
  float *dA, *dB;
  int rank;
  float scale;
  float *tmp;         /* T x r scratch */
} hc_lora_call;
/* dY (T x nout), X (T x nin), as for the weight gradient dY^T X. */
void hc_lora_wgrad(const hc_lora_call *c, const float *dy, const float *x, int T, int nin, int nout);
double hc_lora_wgrad_flops(double T, double nin, double nout, int rank);

/* FLOPs of the two, for the cost model. */
double hc_lora_merge_flops(const hc_tensor *x, int rank);
double hc_lora_backward_flops(const hc_tensor *x, int rank);

#endif
