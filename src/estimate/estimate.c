/* estimate.c: the analytic estimator (estimate.h): the mesh methods of the
 * registry run phantom on a few virtual chiplets, without MPI ranks. */
#include "hecaton/estimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/comm.h"
#include "hecaton/flops.h"
#include "hecaton/methods.h"
#include "hecaton/parallel.h"
#include "hecaton/step.h"
#include "hecaton/util.h"

/* The estimator runs the mesh methods of the registry, phantom. */
static int check(const hc_estimate_in *in, char *err, size_t errlen) {
  const hc_method_desc *d = hc_method_find(in->method);
  if (!d || !d->on_mesh)
    return hc_err(err, errlen, "estimate: method '%s': expected %s", in->method, hc_method_list(1));
  return hc_method_check(in->method, &in->cfg, in->R, in->C, in->b, in->s, err, errlen);
}

static void make(const hc_estimate_in *in, hc_method *m, hc_params *p, hc_comm *c) {
  hc_method_opts o = {.save_gathered = in->save_gathered, .chunks = in->chunks,
                      .recompute = in->recompute};
  hc_method_find(in->method)->make(m, p, c, &in->cfg, in->b, in->s, 1, &o);
}

static void unmake(hc_method *m) { hc_method_of(m)->free(m); }

typedef struct {
  int node;
  double end, busy[HC_NENGINES], sent, flops, byte_hops;
  hc_dram_io io;
  double params, state;
  int nsram;
  hc_sram_row sram[HC_SRAM_ROWS];
} chiplet;

int hc_estimate(const hc_estimate_in *in, hc_estimate_out *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (check(in, err, errlen)) return -1;
  int R = in->R, C = in->C, N = R * C;
  /* Which chiplets to evaluate. */
  int *pick = hc_malloc((size_t)N * sizeof(int)), np = 0;
  for (int n = 0; n < N; n++) {
    int i = n / C, j = n % C;
    if (N <= 256 || i == 0 || j == 0 || (i == R - 1 && j == C - 1)) pick[np++] = n;
  }
  chiplet *ch = hc_calloc((size_t)np, sizeof *ch);
  hc_memo *memo = hc_memo_new();
  for (int k = 0; k < np; k++) {
    hc_mesh mesh;
    hc_mesh_virtual(&mesh, R, C, pick[k] / C, pick[k] % C, in->hw.io_edges);
    hc_ledger l;
    hc_ledger_init_lite(&l, &mesh.topo, &in->hw, mesh.rank);
    hc_comm c;
    hc_comm_init(&c, &mesh, &l, HC_ALGO_RING, 1);
    c.memo = memo;
    hc_method m;
    hc_params p;
    make(in, &m, &p, &c);
    hc_model md;
    hc_model_init(&md, &m);
    int *batch = hc_calloc((size_t)in->b * (size_t)(in->s + 1), sizeof(int));
    /* One training step as the trainer runs it, with its SRAM plan. */
    int M = in->micro_batches > 0 ? in->micro_batches : in->b;
    hc_ledger_sram_plan(&l, in->schedule, M, (double)p.n_params, (double)p.n_train,
                        hc_model_saved_floats(&m));
    hc_step_opts so = {.opt = NULL}; /* costed, phantom: nothing to update */
    hc_train_step(&md, batch, &so);
    hc_ledger_sram_finish(&l, 0);
    ch[k].node = pick[k];
    ch[k].io = (hc_dram_io){(double)l.dram_read, (double)l.dram_write};
    ch[k].params = (double)p.n_params * sizeof(float);
    ch[k].state = ch[k].params + 3.0 * (double)p.n_train * sizeof(float);
    hc_counters t = hc_ledger_totals(&l);
    ch[k].sent = (double)t.sent, ch[k].byte_hops = t.byte_hops;
    ch[k].flops = hc_ledger_total_flops(&l);
    ch[k].end = l.now; /* the step ends when every engine is done */
    for (int e = 0; e < HC_NENGINES; e++) ch[k].end = fmax(ch[k].end, l.engine_free[e]);
    for (int e = 0; e < HC_NENGINES; e++) ch[k].busy[e] = l.busy[e];
    ch[k].nsram = l.nsram;
    memcpy(ch[k].sram, l.sram_rows, sizeof l.sram_rows);
    free(batch);
    hc_model_free(&md);
    unmake(&m);
    hc_comm_free(&c);
    hc_ledger_free(&l);
  }
  hc_memo_free(memo);
  /* DRAM (on each chiplet's timeline already): an unevaluated chiplet moves
   * what the evaluated one of its row does (same blocks). */
  hc_dram_io *io = hc_calloc((size_t)N, sizeof *io);
  int *rep = hc_malloc((size_t)N * sizeof(int));
  for (int n = 0; n < N; n++) rep[n] = -1;
  for (int k = 0; k < np; k++) rep[pick[k]] = k;
  for (int n = 0; n < N; n++) {
    if (rep[n] < 0) rep[n] = rep[(n / C) * C]; /* column 0 of the row is always evaluated */
    io[n] = ch[rep[n]].io;
  }
  hc_topo topo = {R, C, in->hw.io_edges};
  int critical = 0;
  for (int k = 0; k < np; k++) {
    if (ch[k].end > out->time) out->time = ch[k].end, critical = k;
    if (ch[k].sent > out->sent) out->sent = ch[k].sent;
    if (ch[k].busy[HC_ENG_NOP] > out->nop_time) out->nop_time = ch[k].busy[HC_ENG_NOP];
    if (ch[k].flops > out->flops_chiplet) out->flops_chiplet = ch[k].flops;
    if (ch[k].params > out->params_bytes) out->params_bytes = ch[k].params;
    if (ch[k].state > out->state_bytes) out->state_bytes = ch[k].state;
  }
  for (int e = 0; e < HC_NENGINES; e++) out->busy[e] = ch[critical].busy[e];
  out->exposed_comm = out->time - out->busy[HC_ENG_COMPUTE];
  /* Mesh totals: every chiplet counted through its stand-in. */
  double *alike = hc_calloc((size_t)np, sizeof(double)); /* chiplets each one stands for */
  for (int n = 0; n < N; n++) {
    const chiplet *c = &ch[rep[n]];
    out->flops += c->flops, out->link_bytes += c->byte_hops;
    out->dram_bytes += io[n].read + io[n].write;
    alike[rep[n]] += 1;
  }
  for (int k = 0; k < np; k++) hc_sram_merge(out->sram, &out->nsram, ch[k].sram, ch[k].nsram, alike[k]);
  free(alike);
  /* DRAM routes load links too: bytes x hops from each chiplet's die. */
  for (int n = 0; n < N; n++) {
    int port, edge;
    if (io[n].read + io[n].write <= 0 || hc_nearest_io(&topo, n, &port, &edge) < 0) continue;
    int hops = abs(port / C - n / C) + abs(port % C - n % C) + 1;
    out->link_bytes += (io[n].read + io[n].write) * hops;
  }
  out->energy_link = hc_energy_link(&in->hw, out->link_bytes);
  out->energy_dram = hc_energy_dram(&in->hw, out->dram_bytes);
  out->energy_compute = hc_energy_compute(&in->hw, out->flops);
  out->evaluated = np;
  free(pick), free(ch), free(io), free(rep);
  return 0;
}
