/* mappings.c: the named layout changes (mappings.h). The only place in the
 * methods that sets the ledger's tag and the comm's wire size for a
 * collective; both are put back afterwards. */
#include "mappings.h"

/* What a mapping changes for its one collective, to put back after it. */
typedef struct {
  hc_comm *c;
  int phase, op, wire_bytes;
} outer;

static outer enter(hc_comm *c, hc_map_tag t) {
  hc_ledger *l = c->ledger;
  outer o = {c, l->phase, l->op, c->elem_bytes};
  hc_ledger_set_tag(l, t.phase, t.op);
  if (t.wire_bytes) c->elem_bytes = t.wire_bytes;
  return o;
}

static void leave(outer o) {
  hc_ledger_set_tag(o.c->ledger, o.phase, o.op);
  o.c->elem_bytes = o.wire_bytes;
}

void hc_map_gather(hc_comm *c, hc_group *g, hc_map_tag t, const float *local, float *full,
                   size_t n_local) {
  outer o = enter(c, t);
  hc_allgather(c, g, local, full, n_local, t.algo);
  leave(o);
}

void hc_map_reduce_scatter(hc_comm *c, hc_group *g, hc_map_tag t, const float *partial,
                           float *local, size_t n_local) {
  outer o = enter(c, t);
  hc_reduce_scatter(c, g, partial, local, n_local, HC_RED_SUM, t.algo);
  leave(o);
}

void hc_map_reduce_scatterv(hc_comm *c, hc_group *g, hc_map_tag t, const float *partial,
                            float *local, const size_t *counts) {
  outer o = enter(c, t);
  hc_reduce_scatterv(c, g, partial, local, counts, HC_RED_SUM, t.algo);
  leave(o);
}

void hc_map_all_reduce(hc_comm *c, hc_group *g, hc_map_tag t, const float *send, float *recv,
                       size_t n, hc_redop op) {
  outer o = enter(c, t);
  hc_allreduce(c, g, send, recv, n, op, t.algo);
  leave(o);
}

void hc_map_broadcast(hc_comm *c, hc_group *g, hc_map_tag t, float *buf, size_t n, int root) {
  outer o = enter(c, t);
  hc_bcast(c, g, buf, n, root, t.algo);
  leave(o);
}

void hc_map_reduce(hc_comm *c, hc_group *g, hc_map_tag t, const float *send, float *recv,
                   size_t n, int root) {
  outer o = enter(c, t);
  hc_reduce(c, g, send, recv, n, root, HC_RED_SUM, t.algo);
  leave(o);
}

double hc_map_gather_at(hc_comm *c, hc_group *g, hc_map_tag t, const float *local, float *full,
                        size_t n_local, double ready) {
  hc_map_gather(c, g, t, local, full, n_local);
  return hc_ledger_place_collective(c->ledger, ready, hc_coll_name(HC_COLL_ALLGATHER));
}

double hc_map_reduce_scatterv_at(hc_comm *c, hc_group *g, hc_map_tag t, const float *partial,
                                 float *local, const size_t *counts, double ready) {
  hc_map_reduce_scatterv(c, g, t, partial, local, counts);
  return hc_ledger_place_collective(c->ledger, ready, hc_coll_name(HC_COLL_REDUCE_SCATTER));
}
