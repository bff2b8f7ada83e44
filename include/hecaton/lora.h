/* lora.h: LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
 * Language Models") on a chiplet's block of a frozen linear.
 *
 * The target W (out, in) is sharded as every other weight; its adapters
 * A (r, in) and B (out, r) are held whole (params.h). Chiplet block
 * W[r0:r0+nr, c0:c0+nc] computes with
 *     W' = W + s B[r0:r0+nr, :] A[:, c0:c0+nc],   s = alpha / r,
 * which needs no communication, and the method runs its linear on W' as on
 * any weight. Backward: the method leaves dW' (the block's share of the
 * weight gradient), and
 *     dA[:, c0:c0+nc] += s B_blk^T dW',   dB[r0:r0+nr, :] += s dW' A_blk^T
 * are this block's shares of the adapters' gradients; their sum over the
 * mesh (one all-reduce, parallel/common.c) is the gradient. */
#ifndef HECATON_LORA_H
#define HECATON_LORA_H

#include "hecaton/params.h"

/* wm (nr x nc) = w + s B_blk A_blk, for block x of the target. */
void hc_lora_merge(float *wm, const float *w, const float *A, const float *B, const hc_tensor *x,
                   int rank, float s);
/* dA, dB (whole adapters) += this block's shares from dwm (nr x nc). */
void hc_lora_backward(float *dA, float *dB, const float *dwm, const float *A, const float *B,
                      const hc_tensor *x, int rank, float s);
/* FLOPs of the two, for the cost model. */
double hc_lora_merge_flops(const hc_tensor *x, int rank);
double hc_lora_backward_flops(const hc_tensor *x, int rank);

#endif
