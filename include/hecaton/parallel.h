/* parallel.h: the parallel methods on the chiplet mesh. Each builds an
 * hc_method (model.h): its shards of every parameter (hc_params with
 * blocks), its layouts and its operations over the counted collectives.
 * They know nothing of INI files or HDF5. */
#ifndef HECATON_PARALLEL_H
#define HECATON_PARALLEL_H

#include <stddef.h>

#include "hecaton/comm.h"
#include "hecaton/model.h"

typedef struct {
  int save_gathered; /* keep all-gathered linear inputs for backward (more
                        memory) instead of gathering them again (default) */
  hc_algo algo;      /* collective algorithm (HC_ALGO_DEFAULT: the comm's) */
  int chunks;        /* forward linears in this many token chunks, so that the
                        all-gather of chunk c+1, the GEMM of chunk c and the
                        reduce-scatter of chunk c-1 overlap (<= 1: none) */
} hc_hecaton_opts;

/* Can the Hecaton 2D method run this model on an R x C mesh with batch b?
 * R must divide b, n_heads, ffn_dim; C must divide b and dim; the KV heads
 * must split over rows (R | n_kv) or each row must read one KV head
 * (n_kv | R, replicated). 0, or -1 with a message naming the dimension, the
 * mesh axis and the nearest valid values. */
int hc_hecaton_check(const hc_model_config *c, int R, int C, int b, char *err, size_t errlen);

/* Build the method on comm's mesh: allocates p (this chiplet's shards;
 * only the table when phantom) and the method's buffers. */
void hc_hecaton_method(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                       int b, int s, int phantom, const hc_hecaton_opts *o);
void hc_hecaton_free(hc_method *m);
/* Parameter floats a chiplet holds under the placement, in closed form:
 * V_i h/C (embedding) + V_i h/C (LM head) + (2L+1) h/C (norm gains)
 * + L [ (h/R) h/C (wq) + 2 (n_kv' d) h/C (wk, wv) + h/C (h/R) (wo)
 *       + 3 (f/R) h/C (w1, w2, w3) ]. */
double hc_hecaton_param_formula(const hc_method *m);
/* Bytes of communication buffers the method holds (gathers, partial sums). */
size_t hc_hecaton_buffer_bytes(const hc_method *m);

/* Megatron-LM 1D tensor parallelism over all R*C chiplets (sp: with
 * sequence parallelism). Checks: n_heads and ffn_dim divisible by N = R*C,
 * KV heads split over N or n_kv dividing N (replicated), with sp the step's
 * tokens divisible by N. */
int hc_megatron_check(const hc_model_config *c, int N, int b, int s, int sp, char *err,
                      size_t errlen);
void hc_megatron_method(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                        int b, int s, int sp, int phantom, int save_gathered);
/* Megatron-DP: Megatron-SP inside blocks of g chiplets (sub-rectangles of
 * the mesh), data parallelism over the R*C/g blocks (the batch split by
 * sequences, gradients all-reduced over the blocks after backward). g is
 * the largest that runs: g <= n_heads, g divides R*C, n_heads and ffn_dim,
 * the KV rule above, a gr x gc block tiles the mesh, the groups divide b
 * and each group's tokens divide by g. hc_megatron_dp_size returns it (0:
 * none); the check says why none. */
int hc_megatron_dp_size(const hc_model_config *c, int R, int C, int b, int s);
int hc_megatron_dp_check(const hc_model_config *c, int R, int C, int b, int s, char *err,
                         size_t errlen);
void hc_megatron_dp_method(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                           int b, int s, int phantom, int save_gathered);
void hc_megatron_free(hc_method *m);
size_t hc_megatron_buffer_bytes(const hc_method *m);
double hc_megatron_param_formula(const hc_method *m);

/* SUMMA / Optimus 2D on a square q x q mesh: q must divide batch, n_heads,
 * ffn_dim and dim; KV heads split over q or n_kv dividing q. */
int hc_summa_check(const hc_model_config *c, int R, int C, int b, char *err, size_t errlen);
void hc_summa_method(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c, int b,
                     int s, int phantom);
void hc_summa_free(hc_method *m);
size_t hc_summa_buffer_bytes(const hc_method *m);
double hc_summa_param_formula(const hc_method *m);

/* The methods' charge operation: local FLOPs onto the timeline of the
 * hc_ledger in m->ledger (also the single-process method's, in the CLI). */
void hc_par_charge(hc_method *m, int phase, int op, double flops, const char *name);

/* Reassemble full tensors on rank 0 of comm from every rank's blocks of
 * one buffer (params, grads, m or v, chosen by `which`: 0..3). full: the
 * single-process layout (hc_params_alloc of the same config) on rank 0,
 * ignored elsewhere. Host-side checking traffic, not chiplet traffic. */
void hc_params_gather_full(const hc_params *local, int which, MPI_Comm comm, hc_params *full);
/* The logits (T2, V2) of every chiplet into (T, V) on rank 0: the block of
 * chiplet (i, j) is tokens [t0, t0+T2) and vocabulary [v0, v0+V2). */
void hc_gather_blocks(const float *local, size_t t0, size_t nt, size_t v0, size_t nv,
                      size_t V, MPI_Comm comm, float *full);

#endif
