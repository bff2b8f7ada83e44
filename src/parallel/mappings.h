/* mappings.h: the layout changes the mesh methods make, each named once, as
 * Megatron-LM's core/tensor_parallel/mappings.py names them: a method says
 * "gather over the column here, reduce-scatter over the row there"; the
 * mapping runs the one counted collective (comm.h) under the method's tag
 * and wire size, and leaves the comm and the ledger as it found them.
 *
 * Each mapping's backward is its adjoint on the same group:
 *   gather            <-> reduce-scatter (sum)
 *   reduce-scatter(v) <-> gather(v)
 *   all-reduce (sum)  <-> itself
 *   broadcast         <-> reduce (sum) onto the same root
 * A method's backward calls the adjoint of what its forward called.
 *
 * Pipelines (hecaton's chunked linears): between hc_ledger_pipeline_begin
 * and _end (ledger.h), the _at variants place their collective on the
 * timeline once its input is ready, instead of after everything before. */
#ifndef HECATON_PARALLEL_MAPPINGS_H
#define HECATON_PARALLEL_MAPPINGS_H

#include <stddef.h>

#include "hecaton/comm.h"

/* Bytes per element on the wire for statistics (norm sums, softmax max and
 * sums, the gradient norm): fp32 whatever the training precision. */
#define HC_WIRE_FP32 4

/* Under what a collective is counted and how it travels. */
typedef struct {
  int phase, op;  /* the ledger tag (tags.h): HC_PHASE_*, HC_OPK_* */
  int wire_bytes; /* bytes per element on the wire; 0: the comm's (the
                     hardware file's element size), HC_WIRE_FP32: statistics */
  hc_algo algo;   /* HC_ALGO_DEFAULT: the comm's */
} hc_map_tag;
/* Tags for tensors in the training element size, and for fp32 statistics. */
static inline hc_map_tag hc_map_on(int phase, int op, hc_algo algo) {
  return (hc_map_tag){phase, op, 0, algo};
}
static inline hc_map_tag hc_map_stats_on(int phase, int op, hc_algo algo) {
  return (hc_map_tag){phase, op, HC_WIRE_FP32, algo};
}

/* Gather: member k's n_local floats into block k of full (n_local x g->n).
 * Adjoint: hc_map_reduce_scatter. */
void hc_map_gather(hc_comm *c, hc_group *g, hc_map_tag t, const float *local, float *full,
                   size_t n_local);
/* Reduce-scatter: the sum over members of partial (n_local x g->n floats),
 * block k to member k's local. Adjoint: hc_map_gather. */
void hc_map_reduce_scatter(hc_comm *c, hc_group *g, hc_map_tag t, const float *partial,
                           float *local, size_t n_local);
/* The same with counts[k] floats for member k. Adjoint: a gather with the
 * same counts. */
void hc_map_reduce_scatterv(hc_comm *c, hc_group *g, hc_map_tag t, const float *partial,
                            float *local, const size_t *counts);
/* All-reduce of n floats (send may equal recv), sum or max. The sum is its
 * own adjoint. */
void hc_map_all_reduce(hc_comm *c, hc_group *g, hc_map_tag t, const float *send, float *recv,
                       size_t n, hc_redop op);
/* Broadcast n floats from member root. Adjoint: hc_map_reduce onto root. */
void hc_map_broadcast(hc_comm *c, hc_group *g, hc_map_tag t, float *buf, size_t n, int root);
/* Sum of n floats onto member root (recv only written there). Adjoint:
 * hc_map_broadcast from root. */
void hc_map_reduce(hc_comm *c, hc_group *g, hc_map_tag t, const float *send, float *recv,
                   size_t n, int root);

/* Inside a pipeline: the same collectives, placed on the NoP engine after
 * `ready` (when their input is); they return when they end. */
double hc_map_gather_at(hc_comm *c, hc_group *g, hc_map_tag t, const float *local, float *full,
                        size_t n_local, double ready);
double hc_map_reduce_scatterv_at(hc_comm *c, hc_group *g, hc_map_tag t, const float *partial,
                                 float *local, const size_t *counts, double ready);

#endif
