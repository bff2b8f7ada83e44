/* comm.h: the project's own collectives on a row, a column or the whole
 * mesh, built on point-to-point messages so that every byte is counted.
 *
 * A collective is a schedule of steps; in each step every member knows all
 * the moves (who sends which slice of the working buffer to whom), so every
 * rank feeds the same step to the ledger (ledger.h), which times it with
 * rule A and counts this rank's share. In data mode the moves then happen
 * with MPI; in phantom mode (dry-run) they do not, buffers may be NULL, and
 * the ledger comes out identical.
 *
 * Algorithms (DESIGN.md section 5):
 *   HC_ALGO_RING   ring over the group's ring order. For a row or a column
 *                  that is the line with its closing edge routed back over
 *                  the reverse links; for the whole mesh a Hamiltonian cycle
 *                  (every hop one link) when R*C is even, else the snake with
 *                  a multi-hop closing edge.
 *   HC_ALGO_BIDIR  bidirectional line over the group's line order (the
 *                  snake for the whole mesh): data flows both ways at once.
 * Broadcast and reduce are chains from / to the root along that order.
 * Counts that do not divide evenly are allowed wherever the operation allows
 * them: the v-variants take a count per member, and all-reduce, broadcast
 * and reduce take any length. */
#ifndef HECATON_COMM_H
#define HECATON_COMM_H

#include <stddef.h>

#include "hecaton/ledger.h"
#include "hecaton/mesh.h"

typedef enum { HC_ALGO_DEFAULT = 0, HC_ALGO_RING, HC_ALGO_BIDIR } hc_algo;
typedef enum { HC_RED_SUM, HC_RED_MAX } hc_redop;

const char *hc_algo_name(hc_algo a);
int hc_parse_algo(const char *s, hc_algo *a); /* "ring", "bidir" */

typedef struct {
  const char *name; /* "row", "column", "mesh" */
  MPI_Comm comm;    /* member k is rank k of comm */
  int n, me;
  int *node;        /* member -> chiplet node */
  int *ring;        /* ring position -> member */
  int *line;        /* line position -> member */
  int ring_is_cycle;
  int owns_comm;    /* made by hc_group_split: freed with the group */
  unsigned long long hash; /* of the member nodes, for the memo (0: not yet) */
} hc_group;

typedef struct {
  const hc_mesh *mesh;
  hc_ledger *ledger;
  int phantom;      /* 1: count and time, move no data */
  hc_algo algo;     /* used where a call says HC_ALGO_DEFAULT */
  int elem_bytes;   /* bytes per element on the wire; 0: the hardware file's */
  hc_group row, col, all;
  /* scratch */
  float *stage, *work;
  size_t stage_cap, work_cap;
  void *moves, *xfers;
  struct hc_memo *memo; /* phantom only: collective times already computed */
} hc_comm;

/* Memo of collective times by their transfer pattern (group, sizes, kind,
 * algorithm, root): in phantom mode a collective met before is only
 * counted, not timed again. Shared by the estimator's virtual chiplets. */
typedef struct hc_memo hc_memo;
hc_memo *hc_memo_new(void);
void hc_memo_free(hc_memo *m);

void hc_comm_init(hc_comm *c, const hc_mesh *m, hc_ledger *l, hc_algo algo, int phantom);
void hc_comm_free(hc_comm *c);
/* Drop the scratch buffers the collectives grew (they grow again on use):
 * so that a method's measured buffers are its own, not a previous one's. */
void hc_comm_release_scratch(hc_comm *c);

/* A group of the members of `parent` that share this member's color
 * (color(ctx, k) for member k), in parent order; ring and line follow that
 * order. Collective over parent when it has a communicator. */
void hc_group_split(hc_group *g, const char *name, const hc_group *parent,
                    int (*color)(void *ctx, int member), void *ctx);
void hc_group_free(hc_group *g);

/* All-gather: member k contributes counts[k] floats; recv (sum of counts)
 * receives them in member order. send may alias recv's own block. */
void hc_allgatherv(hc_comm *c, hc_group *g, const float *send, float *recv,
                   const size_t *counts, hc_algo a);
void hc_allgather(hc_comm *c, hc_group *g, const float *send, float *recv,
                  size_t count, hc_algo a);
/* Reduce-scatter: send holds sum(counts) floats on every member; member k
 * receives block k of the reduction into recv (counts[k] floats). */
void hc_reduce_scatterv(hc_comm *c, hc_group *g, const float *send, float *recv,
                        const size_t *counts, hc_redop op, hc_algo a);
void hc_reduce_scatter(hc_comm *c, hc_group *g, const float *send, float *recv,
                       size_t count, hc_redop op, hc_algo a);
/* All-reduce of n floats (send may equal recv). */
void hc_allreduce(hc_comm *c, hc_group *g, const float *send, float *recv,
                  size_t n, hc_redop op, hc_algo a);
/* Broadcast n floats from member root. */
void hc_bcast(hc_comm *c, hc_group *g, float *buf, size_t n, int root, hc_algo a);
/* Reduce n floats onto member root (recv only read on root). */
void hc_reduce(hc_comm *c, hc_group *g, const float *send, float *recv, size_t n,
               int root, hc_redop op, hc_algo a);

#endif
