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

/* me: this chiplet's member index (its rank in comm when there is one). */
static void group_init(hc_group *g, const char *name, MPI_Comm comm, int n, int me) {
  g->name = name;
  g->comm = comm;
  g->n = n;
  g->me = me;
  g->owns_comm = 0;
  g->hash = 0;
  g->node = hc_malloc((size_t)n * sizeof(int));
  g->ring = hc_malloc((size_t)n * sizeof(int));
  g->line = hc_malloc((size_t)n * sizeof(int));
  for (int k = 0; k < n; k++) g->ring[k] = g->line[k] = k;
  g->ring_is_cycle = n <= 2;
}

void hc_group_free(hc_group *g) {
  free(g->node), free(g->ring), free(g->line);
  if (g->owns_comm && g->comm != MPI_COMM_NULL) MPI_Comm_free(&g->comm);
  g->node = g->ring = g->line = NULL;
}

void hc_group_split(hc_group *g, const char *name, const hc_group *parent,
                    int (*color)(void *ctx, int member), void *ctx) {
  int mine = color(ctx, parent->me), n = 0, me = 0;
  for (int k = 0; k < parent->n; k++)
    if (color(ctx, k) == mine) {
      if (k == parent->me) me = n;
      n++;
    }
  MPI_Comm comm = MPI_COMM_NULL;
  if (parent->comm != MPI_COMM_NULL) MPI_Comm_split(parent->comm, mine, parent->me, &comm);
  group_init(g, name, comm, n, me);
  g->owns_comm = comm != MPI_COMM_NULL;
  for (int k = 0, q = 0; k < parent->n; k++)
    if (color(ctx, k) == mine) g->node[q++] = parent->node[k];
}

void hc_comm_init(hc_comm *c, const hc_mesh *m, hc_ledger *l, hc_algo algo, int phantom) {
  memset(c, 0, sizeof *c);
  c->mesh = m;
  c->ledger = l;
  c->phantom = phantom;
  c->algo = algo == HC_ALGO_DEFAULT ? HC_ALGO_RING : algo;
  int R = m->topo.R, C = m->topo.C;
  /* A virtual mesh (no communicators: the estimator) can only count. */
  HC_ASSERT(phantom || m->cart != MPI_COMM_NULL);
  group_init(&c->row, "row", m->row, C, m->j);
  for (int k = 0; k < C; k++) c->row.node[k] = m->i * C + k;
  group_init(&c->col, "column", m->col, R, m->i);
  for (int k = 0; k < R; k++) c->col.node[k] = k * C + m->j;
  group_init(&c->all, "mesh", m->cart, R * C, m->rank);
  for (int k = 0; k < R * C; k++) c->all.node[k] = k; /* cart rank == node */
  c->all.ring_is_cycle = hc_ring_order(&m->topo, c->all.ring);
  hc_snake_order(&m->topo, c->all.line);
  int pmax = R * C;
  c->moves = hc_malloc((size_t)2 * pmax * sizeof(move));
  c->xfers = hc_malloc((size_t)2 * pmax * sizeof(hc_xfer));
}

void hc_comm_release_scratch(hc_comm *c) {
  free(c->stage), free(c->work);
  c->stage = c->work = NULL, c->stage_cap = c->work_cap = 0;
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
  int hit;     /* the memo knows this collective: no schedule to run */
  int count_only; /* its time is known: run the schedule only to count */
  uint64_t key, tkey; /* with and without this chiplet's place */
  hc_counters before; /* this chiplet's counters when the collective began */
} run;

/* ---- the memo (phantom mode) ---------------------------------------------- */

/* A collective as one chiplet sees it: its time and what it sent. */
typedef struct {
  double time;
  hc_counters mine;
} memo_val;

struct hc_memo {
  uint64_t *keys;
  memo_val *vals;
  size_t cap, n;
};

hc_memo *hc_memo_new(void) {
  hc_memo *m = hc_calloc(1, sizeof *m);
  m->cap = 1024;
  m->keys = hc_calloc(m->cap, sizeof *m->keys);
  m->vals = hc_calloc(m->cap, sizeof *m->vals);
  return m;
}

void hc_memo_free(hc_memo *m) {
  if (!m) return;
  free(m->keys), free(m->vals), free(m);
}

static memo_val *memo_slot(hc_memo *m, uint64_t key, int insert) {
  if (insert && 2 * (m->n + 1) > m->cap) { /* grow and rehash */
    hc_memo big = {hc_calloc(2 * m->cap, sizeof(uint64_t)), hc_calloc(2 * m->cap, sizeof(memo_val)), 2 * m->cap, 0};
    for (size_t k = 0; k < m->cap; k++)
      if (m->keys[k]) *memo_slot(&big, m->keys[k], 1) = m->vals[k];
    free(m->keys), free(m->vals);
    *m = big;
  }
  for (size_t k = key % m->cap;; k = (k + 1) % m->cap) {
    if (m->keys[k] == key) return &m->vals[k];
    if (m->keys[k] == 0) {
      if (!insert) return NULL;
      m->keys[k] = key, m->n++;
      return &m->vals[k];
    }
  }
}

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 31);
}

/* Look the collective up (its group, sizes, kind, algorithm, root and this
 * chiplet's place in it); on a hit, its time and this chiplet's counters
 * are added without running the schedule. Returns 1 on a hit. */
static int memo_start(run *r, int kind, hc_algo a, int root, const size_t *cnt, size_t n) {
  hc_comm *c = r->c;
  if (!c->phantom || !c->memo) return 0;
  uint64_t h = mix(mix(mix(mix(1, (uint64_t)kind), (uint64_t)a), (uint64_t)root + 7), n);
  h = mix(h, (uint64_t)(c->elem_bytes ? c->elem_bytes : c->ledger->hw.elem_bytes));
  if (!r->g->hash) {
    uint64_t gh = 17;
    for (int k = 0; k < r->g->n; k++) gh = mix(gh, (uint64_t)r->g->node[k]);
    r->g->hash = gh ? gh : 1;
  }
  h = mix(h, r->g->hash);
  if (cnt) {
    int equal = 1;
    for (int k = 1; k < r->g->n && equal; k++) equal = cnt[k] == cnt[0];
    if (!equal)
      for (int k = 0; k < r->g->n; k++) h = mix(h, cnt[k]);
  }
  r->tkey = h ? h : 1;
  h = mix(h, (uint64_t)r->g->me + 1);
  r->key = h ? h : 1;
  hc_ledger *l = c->ledger;
  r->before = l->tag[l->phase][l->op];
  memo_val *v = memo_slot(c->memo, r->key, 0);
  if (!v) { /* another member may have timed it: then only count */
    memo_val *t = memo_slot(c->memo, r->tkey, 0);
    if (t) r->count_only = 1, r->sim = t->time;
    return 0;
  }
  r->hit = 1, r->sim = v->time;
  if (!l->muted) {
    hc_counters *t = &l->tag[l->phase][l->op];
    t->sent += v->mine.sent, t->recv += v->mine.recv, t->msgs += v->mine.msgs;
    t->hops += v->mine.hops, t->byte_hops += v->mine.byte_hops, t->nop_time += v->time;
  }
  return 1;
}

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
  if (r->count_only) {
    hc_ledger_record(c->ledger, x, nx, 0);
  } else {
    r->sim += hc_ledger_step(c->ledger, x, nx);
  }
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
  if (r->count_only && !l->muted) l->tag[l->phase][l->op].nop_time += r->sim;
  if (!r->hit && r->key && !l->muted) { /* remember the time and what this chiplet sent */
    const hc_counters *now = &l->tag[l->phase][l->op], *b = &r->before;
    if (!r->count_only) memo_slot(r->c->memo, r->tkey, 1)->time = r->sim;
    memo_val *v = memo_slot(r->c->memo, r->key, 1);
    v->time = r->sim;
    v->mine = (hc_counters){now->sent - b->sent, now->recv - b->recv, now->msgs - b->msgs,
                            now->hops - b->hops, 0, now->byte_hops - b->byte_hops};
  }
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

/* Positions whose moves a step must list: all of them, or, when only this
 * chiplet's counters are wanted (the time being known), the ones that can
 * send to or receive from it. */
static int positions(const run *r, const int *ord, int *qs) {
  int p = r->g->n;
  if (!r->count_only) {
    for (int q = 0; q < p; q++) qs[q] = q;
    return p;
  }
  int me = 0, n = 0;
  while (ord[me] != r->g->me) me++;
  for (int d = -1; d <= 1; d++) {
    int q = ((me + d) % p + p) % p;
    int dup = 0;
    for (int k = 0; k < n; k++) dup |= qs[k] == q;
    if (!dup) qs[n++] = q;
  }
  return n;
}

/* ---- schedules -------------------------------------------------------------
 * Positions q = 0..p-1 along the ring or line order `ord` (position ->
 * member); block b of the working buffer belongs to member b. */

/* All-gather. Ring: at step s, position q forwards the block that started at
 * position q-s. Line: blocks flow right and left at once; position q sends
 * right the block from q-s and left the block from q+s. */
static void sched_allgather(run *r, const int *ord, int ring, const size_t *off,
                            const size_t *cnt) {
  int p = r->g->n, *qs = hc_malloc((size_t)p * sizeof(int)), nq = positions(r, ord, qs);
  move *mv = r->c->moves;
  for (int s = 0; s < p - 1; s++) {
    int nm = 0;
    for (int qi = 0; qi < nq; qi++) {
      int q = qs[qi];
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
  free(qs);
}

/* Reduce-scatter. Ring: at step s, position q passes its partial of the block
 * of position q-s-1 on, so block q completes at q after p-1 steps. Line: the
 * partial of block k travels right from position 0 and left from position
 * p-1, gathering each member's share; position q sends right block q+p-1-s
 * once q <= s, and left block q-p+1+s once p-1-q <= s. */
static void sched_reduce_scatter(run *r, const int *ord, int ring, const size_t *off,
                                 const size_t *cnt) {
  int p = r->g->n, *qs = hc_malloc((size_t)p * sizeof(int)), nq = positions(r, ord, qs);
  move *mv = r->c->moves;
  for (int s = 0; s < p - 1; s++) {
    int nm = 0;
    for (int qi = 0; qi < nq; qi++) {
      int q = qs[qi];
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
  free(qs);
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
  run r = {c, g, c->phantom ? NULL : recv, 0, HC_RED_SUM, 0, 0, 0, 0, 0, {0}};
  if (!memo_start(&r, HC_COLL_ALLGATHER, a, 0, counts, total)) {
    if (r.work && send != recv + off[g->me])
      memmove(recv + off[g->me], send, counts[g->me] * sizeof(float));
    sched_allgather(&r, order_of(g, a), a == HC_ALGO_RING, off, counts);
  }
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
  run r = {c, g, NULL, 1, op, 0, 0, 0, 0, 0, {0}};
  int hit = memo_start(&r, HC_COLL_REDUCE_SCATTER, a, 0, counts, total);
  if (!c->phantom) {
    r.work = grow(&c->work, &c->work_cap, total);
    memcpy(r.work, send, total * sizeof(float));
  }
  if (!hit) sched_reduce_scatter(&r, order_of(g, a), a == HC_ALGO_RING, off, counts);
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
  run r = {c, g, c->phantom ? NULL : recv, 1, op, 0, 0, 0, 0, 0, {0}};
  if (!memo_start(&r, HC_COLL_ALLREDUCE, a, 0, NULL, n)) {
    if (r.work && send != recv) memcpy(recv, send, n * sizeof(float));
    const int *ord = order_of(g, a);
    sched_reduce_scatter(&r, ord, a == HC_ALGO_RING, off, cnt);
    r.reduce = 0;
    sched_allgather(&r, ord, a == HC_ALGO_RING, off, cnt);
  }
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
  run r = {c, g, c->phantom ? NULL : buf, 0, HC_RED_SUM, 0, 0, 0, 0, 0, {0}};
  if (!memo_start(&r, HC_COLL_BCAST, a, root, NULL, n))
    sched_chain(&r, ord, a == HC_ALGO_RING, position_of(ord, g->n, root), n);
  finish(&r, HC_COLL_BCAST, n, 1.0, t0);
}

void hc_reduce(hc_comm *c, hc_group *g, const float *send, float *recv, size_t n,
               int root, hc_redop op, hc_algo a) {
  double t0 = hc_wtime();
  a = pick(c, a);
  HC_ASSERT(root >= 0 && root < g->n);
  const int *ord = order_of(g, a);
  run r = {c, g, NULL, 1, op, 0, 0, 0, 0, 0, {0}};
  int hit = memo_start(&r, HC_COLL_REDUCE, a, root, NULL, n);
  if (!c->phantom) {
    r.work = grow(&c->work, &c->work_cap, n);
    memcpy(r.work, send, n * sizeof(float));
  }
  if (!hit) sched_chain(&r, ord, a == HC_ALGO_RING, position_of(ord, g->n, root), n);
  if (r.work && g->me == root) memcpy(recv, r.work, n * sizeof(float));
  finish(&r, HC_COLL_REDUCE, n, 1.0, t0);
}
