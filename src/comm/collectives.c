/* collectives.c: schedules of the ring and bidirectional-line collectives,
 * and the one executor that counts, times and (in data mode) runs them. */
#include <stdlib.h>
#include <string.h>

#include "hecaton/comm.h"
#include "hecaton/util.h"

#define HC_COLL_TAG 4242

/* One move of a step: member src sends work[off, off+n) to member dst, which
 * stores it at the same offset (copy) or folds it in (reduce). Sends read the
 * value at the start of the step; receives land at its end. */
typedef struct {
  int src, dst;
  size_t off, n;
} move;

const char *hc_algo_name(hc_algo a) {
  return a == HC_ALGO_BIDIR ? "bidir" : "ring";
}

int hc_parse_algo(const char *s, hc_algo *a) {
  if (!strcmp(s, "ring")) *a = HC_ALGO_RING;
  else if (!strcmp(s, "bidir")) *a = HC_ALGO_BIDIR;
  else return -1;
  return 0;
}

/* ---- groups ------------------------------------------------------------- */

static void group_init(hc_group *g, const char *name, MPI_Comm comm, int n) {
  g->name = name;
  g->comm = comm;
  g->n = n;
  MPI_Comm_rank(comm, &g->me);
  g->node = hc_malloc((size_t)n * sizeof(int));
  g->ring = hc_malloc((size_t)n * sizeof(int));
  g->line = hc_malloc((size_t)n * sizeof(int));
  for (int k = 0; k < n; k++) g->ring[k] = g->line[k] = k;
  g->ring_is_cycle = n <= 2;
}

void hc_group_free(hc_group *g) {
  free(g->node), free(g->ring), free(g->line);
  if (g->owns_comm) MPI_Comm_free(&g->comm);
  g->node = g->ring = g->line = NULL;
}

void hc_group_split(hc_group *g, const char *name, const hc_group *parent, int color) {
  MPI_Comm comm;
  MPI_Comm_split(parent->comm, color, parent->me, &comm);
  int n;
  MPI_Comm_size(comm, &n);
  group_init(g, name, comm, n);
  g->owns_comm = 1;
  int mine = parent->node[parent->me];
  MPI_Allgather(&mine, 1, MPI_INT, g->node, 1, MPI_INT, comm);
}

void hc_comm_init(hc_comm *c, const hc_mesh *m, hc_ledger *l, hc_algo algo, int phantom) {
  memset(c, 0, sizeof *c);
  c->mesh = m;
  c->ledger = l;
  c->phantom = phantom;
  c->algo = algo == HC_ALGO_DEFAULT ? HC_ALGO_RING : algo;
  int R = m->topo.R, C = m->topo.C;
  group_init(&c->row, "row", m->row, C);
  for (int k = 0; k < C; k++) c->row.node[k] = m->i * C + k;
  group_init(&c->col, "column", m->col, R);
  for (int k = 0; k < R; k++) c->col.node[k] = k * C + m->j;
  group_init(&c->all, "mesh", m->cart, R * C);
  for (int k = 0; k < R * C; k++) c->all.node[k] = k; /* cart rank == node */
  c->all.ring_is_cycle = hc_ring_order(&m->topo, c->all.ring);
  hc_snake_order(&m->topo, c->all.line);
  int pmax = R * C;
  c->moves = hc_malloc((size_t)2 * pmax * sizeof(move));
  c->xfers = hc_malloc((size_t)2 * pmax * sizeof(hc_xfer));
}

void hc_comm_free(hc_comm *c) {
  hc_group_free(&c->row), hc_group_free(&c->col), hc_group_free(&c->all);
  free(c->stage), free(c->work), free(c->moves), free(c->xfers);
  memset(c, 0, sizeof *c);
}

static float *grow(float **buf, size_t *cap, size_t n) {
  if (n > *cap) {
    free(*buf);
    *buf = hc_malloc(n * sizeof(float));
    *cap = n;
  }
  return *buf;
}

/* ---- the executor ------------------------------------------------------- */

typedef struct {
  hc_comm *c;
  hc_group *g;
  float *work; /* NULL in phantom mode */
  int reduce;  /* 0 copy, 1 fold in with op */
  hc_redop op;
  double sim;  /* simulated seconds so far */
} run;

static void fold(float *dst, const float *src, size_t n, hc_redop op) {
  if (op == HC_RED_SUM)
    for (size_t k = 0; k < n; k++) dst[k] += src[k];
  else
    for (size_t k = 0; k < n; k++) dst[k] = src[k] > dst[k] ? src[k] : dst[k];
}

static void run_step(run *r, const move *mv, int nm) {
  hc_comm *c = r->c;
  hc_group *g = r->g;
  hc_xfer *x = c->xfers;
  int nx = 0;
  size_t incoming = 0;
  uint64_t e = (uint64_t)(c->elem_bytes ? c->elem_bytes : c->ledger->hw.elem_bytes);
  for (int k = 0; k < nm; k++) {
    if (mv[k].n == 0) continue; /* nothing to send: no message */
    x[nx++] = (hc_xfer){g->node[mv[k].src], g->node[mv[k].dst], mv[k].n * e};
    if (mv[k].dst == g->me) incoming += mv[k].n;
  }
  r->sim += hc_ledger_step(c->ledger, x, nx);
  if (c->phantom || nx == 0) return;

  float *stage = grow(&c->stage, &c->stage_cap, incoming);
  MPI_Request req[4 * 2 + 2]; /* a member sends and receives at most twice a step */
  int nreq = 0;
  size_t at = 0;
  for (int k = 0; k < nm; k++) {
    if (mv[k].n == 0) continue;
    HC_ASSERT(mv[k].n <= (size_t)0x7fffffff);
    if (mv[k].dst == g->me) {
      HC_ASSERT(nreq < 10);
      MPI_Irecv(stage + at, (int)mv[k].n, MPI_FLOAT, mv[k].src, HC_COLL_TAG, g->comm, &req[nreq++]);
      at += mv[k].n;
    }
    if (mv[k].src == g->me) {
      HC_ASSERT(nreq < 10);
      MPI_Isend(r->work + mv[k].off, (int)mv[k].n, MPI_FLOAT, mv[k].dst, HC_COLL_TAG, g->comm,
                &req[nreq++]);
    }
  }
  MPI_Waitall(nreq, req, MPI_STATUSES_IGNORE);
  at = 0;
  for (int k = 0; k < nm; k++) {
    if (mv[k].n == 0 || mv[k].dst != g->me) continue;
    if (r->reduce) fold(r->work + mv[k].off, stage + at, mv[k].n, r->op);
    else memcpy(r->work + mv[k].off, stage + at, mv[k].n * sizeof(float));
    at += mv[k].n;
  }
}

static void finish(run *r, int coll, size_t elems, double bus_factor, double t0) {
  int e = r->c->elem_bytes ? r->c->elem_bytes : r->c->ledger->hw.elem_bytes;
  uint64_t bytes = (uint64_t)elems * (uint64_t)e;
  double wall = r->c->phantom ? 0 : hc_wtime() - t0;
  hc_ledger *l = r->c->ledger;
  hc_ledger_collective(l, coll, bytes, bus_factor, r->sim, wall);
  l->last_coll_time = r->sim;
  /* On the timeline: after the input is ready and the NoP engine is free. */
  if (!l->defer) {
    double end = hc_ledger_run(l, HC_ENG_NOP, r->sim, l->now, hc_coll_name(coll));
    if (!l->muted) l->now = end;
  }
}

static hc_algo pick(const hc_comm *c, hc_algo a) {
  return a == HC_ALGO_DEFAULT ? c->algo : a;
}

/* ---- schedules -------------------------------------------------------------
 * Positions q = 0..p-1 along the ring or line order `ord` (position ->
 * member); block b of the working buffer belongs to member b. */

/* All-gather. Ring: at step s, position q forwards the block that started at
 * position q-s. Line: blocks flow right and left at once; position q sends
 * right the block from q-s and left the block from q+s. */
static void sched_allgather(run *r, const int *ord, int ring, const size_t *off,
                            const size_t *cnt) {
  int p = r->g->n;
  move *mv = r->c->moves;
  for (int s = 0; s < p - 1; s++) {
    int nm = 0;
    for (int q = 0; q < p; q++) {
      if (ring) {
        int b = ord[(q - s + p) % p];
        mv[nm++] = (move){ord[q], ord[(q + 1) % p], off[b], cnt[b]};
      } else {
        if (q - s >= 0 && q <= p - 2) {
          int b = ord[q - s];
          mv[nm++] = (move){ord[q], ord[q + 1], off[b], cnt[b]};
        }
        if (q + s <= p - 1 && q >= 1) {
          int b = ord[q + s];
          mv[nm++] = (move){ord[q], ord[q - 1], off[b], cnt[b]};
        }
      }
    }
    run_step(r, mv, nm);
  }
}

/* Reduce-scatter. Ring: at step s, position q passes its partial of the block
 * of position q-s-1 on, so block q completes at q after p-1 steps. Line: the
 * partial of block k travels right from position 0 and left from position
 * p-1, gathering each member's share; position q sends right block q+p-1-s
 * once q <= s, and left block q-p+1+s once p-1-q <= s. */
static void sched_reduce_scatter(run *r, const int *ord, int ring, const size_t *off,
                                 const size_t *cnt) {
  int p = r->g->n;
  move *mv = r->c->moves;
  for (int s = 0; s < p - 1; s++) {
    int nm = 0;
    for (int q = 0; q < p; q++) {
      if (ring) {
        int b = ord[(q - s - 1 + 2 * p) % p];
        mv[nm++] = (move){ord[q], ord[(q + 1) % p], off[b], cnt[b]};
      } else {
        if (q <= s && q <= p - 2) {
          int b = ord[q + p - 1 - s];
          mv[nm++] = (move){ord[q], ord[q + 1], off[b], cnt[b]};
        }
        if (p - 1 - q <= s && q >= 1) {
          int b = ord[q - p + 1 + s];
          mv[nm++] = (move){ord[q], ord[q - 1], off[b], cnt[b]};
        }
      }
    }
    run_step(r, mv, nm);
  }
}

/* Broadcast (reduce = 0) or reduce (reduce = 1) of the whole buffer along
 * chains. Ring: one chain around the ring starting after (reduce) or at
 * (broadcast) the root. Line: two chains, between the root and each end. */
static void sched_chain(run *r, const int *ord, int ring, int rootpos, size_t n) {
  int p = r->g->n;
  move *mv = r->c->moves;
  int steps = ring ? p - 1 : (rootpos > p - 1 - rootpos ? rootpos : p - 1 - rootpos);
  for (int s = 0; s < steps; s++) {
    int nm = 0;
    if (ring) {
      int from = r->reduce ? rootpos + 1 + s : rootpos + s;
      mv[nm++] = (move){ord[from % p], ord[(from + 1) % p], 0, n};
    } else if (!r->reduce) { /* outward from the root */
      if (rootpos - s - 1 >= 0) mv[nm++] = (move){ord[rootpos - s], ord[rootpos - s - 1], 0, n};
      if (rootpos + s + 1 <= p - 1) mv[nm++] = (move){ord[rootpos + s], ord[rootpos + s + 1], 0, n};
    } else { /* inward from both ends */
      if (s < rootpos) mv[nm++] = (move){ord[s], ord[s + 1], 0, n};
      if (p - 1 - s > rootpos) mv[nm++] = (move){ord[p - 1 - s], ord[p - 2 - s], 0, n};
    }
    run_step(r, mv, nm);
  }
}

static const int *order_of(const hc_group *g, hc_algo a) {
  return a == HC_ALGO_BIDIR ? g->line : g->ring;
}

/* Offsets of a count vector. */
static size_t *offsets(const size_t *cnt, int p, size_t *total) {
  size_t *off = hc_malloc((size_t)p * sizeof(size_t)), t = 0;
  for (int k = 0; k < p; k++) off[k] = t, t += cnt[k];
  *total = t;
  return off;
}

/* n split into p near-equal blocks (the first n % p one longer). */
static size_t *even_counts(size_t n, int p) {
  size_t *cnt = hc_malloc((size_t)p * sizeof(size_t));
  for (int k = 0; k < p; k++) cnt[k] = n / (size_t)p + ((size_t)k < n % (size_t)p);
  return cnt;
}

static size_t *equal_counts(size_t n, int p) {
  size_t *cnt = hc_malloc((size_t)p * sizeof(size_t));
  for (int k = 0; k < p; k++) cnt[k] = n;
  return cnt;
}

static double ag_factor(int p) { return (double)(p - 1) / p; }

/* ---- the operations ------------------------------------------------------ */

void hc_allgatherv(hc_comm *c, hc_group *g, const float *send, float *recv,
                   const size_t *counts, hc_algo a) {
  double t0 = hc_wtime();
  a = pick(c, a);
  size_t total, *off = offsets(counts, g->n, &total);
  run r = {c, g, c->phantom ? NULL : recv, 0, HC_RED_SUM, 0};
  if (r.work && send != recv + off[g->me])
    memmove(recv + off[g->me], send, counts[g->me] * sizeof(float));
  sched_allgather(&r, order_of(g, a), a == HC_ALGO_RING, off, counts);
  finish(&r, HC_COLL_ALLGATHER, total, ag_factor(g->n), t0);
  free(off);
}

void hc_allgather(hc_comm *c, hc_group *g, const float *send, float *recv,
                  size_t count, hc_algo a) {
  size_t *cnt = equal_counts(count, g->n);
  hc_allgatherv(c, g, send, recv, cnt, a);
  free(cnt);
}

void hc_reduce_scatterv(hc_comm *c, hc_group *g, const float *send, float *recv,
                        const size_t *counts, hc_redop op, hc_algo a) {
  double t0 = hc_wtime();
  a = pick(c, a);
  size_t total, *off = offsets(counts, g->n, &total);
  run r = {c, g, NULL, 1, op, 0};
  if (!c->phantom) {
    r.work = grow(&c->work, &c->work_cap, total);
    memcpy(r.work, send, total * sizeof(float));
  }
  sched_reduce_scatter(&r, order_of(g, a), a == HC_ALGO_RING, off, counts);
  if (r.work) memcpy(recv, r.work + off[g->me], counts[g->me] * sizeof(float));
  finish(&r, HC_COLL_REDUCE_SCATTER, total, ag_factor(g->n), t0);
  free(off);
}

void hc_reduce_scatter(hc_comm *c, hc_group *g, const float *send, float *recv,
                       size_t count, hc_redop op, hc_algo a) {
  size_t *cnt = equal_counts(count, g->n);
  hc_reduce_scatterv(c, g, send, recv, cnt, op, a);
  free(cnt);
}

/* All-reduce = reduce-scatter then all-gather of near-equal blocks, both
 * in place in recv. */
void hc_allreduce(hc_comm *c, hc_group *g, const float *send, float *recv,
                  size_t n, hc_redop op, hc_algo a) {
  double t0 = hc_wtime();
  a = pick(c, a);
  size_t total, *cnt = even_counts(n, g->n), *off = offsets(cnt, g->n, &total);
  run r = {c, g, c->phantom ? NULL : recv, 1, op, 0};
  if (r.work && send != recv) memcpy(recv, send, n * sizeof(float));
  const int *ord = order_of(g, a);
  sched_reduce_scatter(&r, ord, a == HC_ALGO_RING, off, cnt);
  r.reduce = 0;
  sched_allgather(&r, ord, a == HC_ALGO_RING, off, cnt);
  finish(&r, HC_COLL_ALLREDUCE, n, 2 * ag_factor(g->n), t0);
  free(cnt), free(off);
}

static int position_of(const int *ord, int p, int member) {
  for (int q = 0; q < p; q++)
    if (ord[q] == member) return q;
  HC_DIE("member %d not in order", member);
}

void hc_bcast(hc_comm *c, hc_group *g, float *buf, size_t n, int root, hc_algo a) {
  double t0 = hc_wtime();
  a = pick(c, a);
  HC_ASSERT(root >= 0 && root < g->n);
  const int *ord = order_of(g, a);
  run r = {c, g, c->phantom ? NULL : buf, 0, HC_RED_SUM, 0};
  sched_chain(&r, ord, a == HC_ALGO_RING, position_of(ord, g->n, root), n);
  finish(&r, HC_COLL_BCAST, n, 1.0, t0);
}

void hc_reduce(hc_comm *c, hc_group *g, const float *send, float *recv, size_t n,
               int root, hc_redop op, hc_algo a) {
  double t0 = hc_wtime();
  a = pick(c, a);
  HC_ASSERT(root >= 0 && root < g->n);
  const int *ord = order_of(g, a);
  run r = {c, g, NULL, 1, op, 0};
  if (!c->phantom) {
    r.work = grow(&c->work, &c->work_cap, n);
    memcpy(r.work, send, n * sizeof(float));
  }
  sched_chain(&r, ord, a == HC_ALGO_RING, position_of(ord, g->n, root), n);
  if (r.work && g->me == root) memcpy(recv, r.work, n * sizeof(float));
  finish(&r, HC_COLL_REDUCE, n, 1.0, t0);
}
