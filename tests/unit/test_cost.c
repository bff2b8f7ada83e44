/* test_cost.c: the cost model (DESIGN.md section 5) on hand-computed cases:
 * compute time and the engines' busy-until clocks, DRAM bytes under both
 * schedules, DRAM time through the I/O ports, the ledger's DRAM bookkeeping,
 * and a step's energy and critical chiplet from a hand-built report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "hecaton/cost.h"
#include "hecaton/report.h"
#include "hecaton/ledger.h"
#include "hecaton/util.h"

#define NS 1e-9

/* got == want within 1e-12 relative (exactly, when want is 0). */
static void near_(double got, double want, const char *what, const char *file, int line) {
  int ok = fabs(got - want) <= 1e-12 * fabs(want);
  if (!ok) fprintf(stderr, "\n%s:%d: %s = %.17g, expected %.17g\n", file, line, what, got, want);
  CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, what, file, "", CU_FALSE);
}
#define NEAR(got, want) near_((got), (want), #got, __FILE__, __LINE__)

/* Round numbers: 2e-12 s per FLOP; o = 100 ns, alpha = 10 ns, mesh link
 * 1 ns/B and port 2 ns/B after eta = 0.5; DRAM fast enough not to matter. */
static hc_hw hw_round(void) {
  hc_hw hw = {0};
  hw.peak_flops = 1e12, hw.compute_eff = 0.5, hw.sram_bytes = 1000;
  hw.link_bw = 2e9, hw.link_eff = 0.5, hw.link_latency = 10 * NS, hw.msg_overhead = 100 * NS;
  hw.elem_bytes = 2, hw.io_edges = HC_EDGE_BIT(HC_W), hw.io_port_bw = 1e9, hw.dram_bw = 1e12;
  hw.pj_per_flop = 0.5, hw.link_pj_per_bit = 2, hw.dram_pj_per_bit = 10;
  return hw;
}

static void test_compute_time(void) {
  hc_hw hw = hw_round();
  hc_topo t = {1, 1, 0};
  NEAR(hc_hw_compute_time(&hw, 1e9), 2e-3);
  hc_ledger l;
  hc_ledger_init(&l, &t, &hw, 0);
  hc_ledger_set_tag(&l, HC_PHASE_FWD, HC_OPK_LINEAR);
  hc_ledger_compute(&l, 1e9, "a");
  NEAR(l.now, 2e-3);
  NEAR(l.busy[HC_ENG_COMPUTE], 2e-3);
  NEAR(l.flops[HC_PHASE_FWD][HC_OPK_LINEAR], 1e9);
  hc_ledger_set_tag(&l, HC_PHASE_BWD, HC_OPK_ATTN);
  hc_ledger_compute(&l, 5e8, "b"); /* right after the first: 2 + 1 ms */
  NEAR(l.now, 3e-3);
  NEAR(l.busy[HC_ENG_COMPUTE], 3e-3);
  NEAR(l.flops[HC_PHASE_BWD][HC_OPK_ATTN], 5e8);
  NEAR(l.flops[HC_PHASE_FWD][HC_OPK_LINEAR], 1e9);
  NEAR(hc_ledger_total_flops(&l), 1.5e9);
  /* Input ready later than the engine: starts then (a 7 ms gap); now stays. */
  NEAR(hc_ledger_compute_at(&l, 1e9, 10e-3, "c"), 12e-3);
  NEAR(l.now, 3e-3);
  NEAR(l.engine_free[HC_ENG_COMPUTE], 12e-3);
  NEAR(l.busy[HC_ENG_COMPUTE], 5e-3);
  /* Input ready earlier: waits for the engine. */
  NEAR(hc_ledger_compute_at(&l, 1e9, 1e-3, "d"), 14e-3);
  hc_ledger_compute(&l, 5e8, "e"); /* now (3 ms) is before busy-until (14 ms) */
  NEAR(l.now, 15e-3);
  NEAR(l.busy[HC_ENG_COMPUTE], 8e-3);
  NEAR(l.busy[HC_ENG_NOP], 0);
  NEAR(hc_ledger_total_flops(&l), 4e9);
  hc_ledger_free(&l);
}

static void test_engine_clocks(void) {
  hc_hw hw = hw_round();
  hc_topo t = {1, 1, 0};
  hc_ledger l;
  hc_ledger_init(&l, &t, &hw, 0);
  NEAR(hc_ledger_run(&l, HC_ENG_NOP, 3, 0, "nop"), 3);
  NEAR(hc_ledger_run(&l, HC_ENG_COMPUTE, 2, 0, "mm"), 2); /* overlaps the NoP op */
  NEAR(hc_ledger_run(&l, HC_ENG_NOP, 1.5, 1, "nop2"), 4.5); /* waits for the NoP engine */
  NEAR(hc_ledger_run(&l, HC_ENG_DRAM, 1, 0.25, "dram"), 1.25);
  NEAR(l.busy[HC_ENG_NOP], 4.5), NEAR(l.busy[HC_ENG_COMPUTE], 2), NEAR(l.busy[HC_ENG_DRAM], 1);
  /* Muted: timed, not recorded. */
  l.muted = 1;
  hc_ledger_set_tag(&l, HC_PHASE_FWD, HC_OPK_LINEAR);
  NEAR(hc_ledger_run(&l, HC_ENG_NOP, 1, 10, "muted"), 11);
  NEAR(hc_ledger_run(&l, HC_ENG_NOP, 1, 0, "muted"), 5.5);
  hc_ledger_compute(&l, 1e9, "muted");
  NEAR(l.engine_free[HC_ENG_NOP], 4.5);
  NEAR(l.busy[HC_ENG_NOP], 4.5);
  NEAR(l.busy[HC_ENG_COMPUTE], 2);
  NEAR(l.now, 0);
  NEAR(hc_ledger_total_flops(&l), 0);
  l.muted = 0;
  NEAR(hc_ledger_run(&l, HC_ENG_NOP, 1, 0, "after"), 5.5);
  hc_ledger_free(&l);
}

/* read and write of one hc_dram_bytes call */
#define BYTES(params, saved, s, M, r, w)                                  \
  do {                                                                    \
    hc_dram_io io_ = hc_dram_bytes(&hw, (params), (saved), 2, (s), (M)); \
    NEAR(io_.read, (r));                                                  \
    NEAR(io_.write, (w));                                                 \
  } while (0)

static void test_dram_bytes(void) {
  hc_hw hw = hw_round(); /* SRAM 1000 B, 2 B per element */
  /* 10 params, 10 saved: W 20 + G 40 + state 120 + A 20 = 200 fits. */
  BYTES(10, 10, HC_SCHED_MICRO, 4, 0, 0);
  BYTES(10, 10, HC_SCHED_LAYER, 4, 0, 0);
  /* Exactly full still fits: 50 params (900 B) + 50 saved (100 B). */
  BYTES(50, 50, HC_SCHED_MICRO, 1, 0, 0);
  /* 100 params: W 200, G 400, state 1200; saved 100: A 200 <= 500, kept.
   * Optimizer: read 16 P = 1600, write 12 P + W = 1400.
   * Layer-major: + 2 W read, + G written: 2000 / 1800, whatever M. */
  BYTES(100, 100, HC_SCHED_LAYER, 1, 2000, 1800);
  BYTES(100, 100, HC_SCHED_LAYER, 4, 2000, 1800);
  /* Micro-batch-major, M = 1: the same. */
  BYTES(100, 100, HC_SCHED_MICRO, 1, 2000, 1800);
  BYTES(100, 100, HC_SCHED_MICRO, 0, 2000, 1800); /* M < 1 counts as 1 */
  /* M = 4: read 4400 = 2(M-1) W + (M-1) G more; write 3000 = (M-1) G more. */
  BYTES(100, 100, HC_SCHED_MICRO, 4, 2000 + 2 * 3 * 200 + 3 * 400, 1800 + 3 * 400);
  /* Activations: 300 saved, A = 600 > 500 = SRAM/2: + A read and written. */
  BYTES(100, 300, HC_SCHED_LAYER, 4, 2600, 2400);
  BYTES(100, 300, HC_SCHED_MICRO, 1, 2600, 2400);
  /* Micro-batch-major keeps one micro-batch's: 600/2 = 300 fits half. */
  BYTES(100, 300, HC_SCHED_MICRO, 2, 1600 + 4 * 200 + 400, 1400 + 400 + 400);
  /* A = 500 is exactly half: kept. */
  BYTES(100, 250, HC_SCHED_LAYER, 1, 2000, 1800);
  BYTES(100, 500, HC_SCHED_MICRO, 2, 2800, 2200); /* A/M = 500: kept */
}

/* 1x2 mesh, I/O on the west edge: chiplet 0 reaches the die over its port
 * (1 hop), chiplet 1 over the mesh link 1<->0 and the same port (2 hops). */
static void test_dram_time(void) {
  hc_topo t = {1, 2, HC_EDGE_BIT(HC_W)};
  hc_hw hw = hw_round(), h2;
  hc_dram_io io[2] = {{1000, 0}, {1000, 500}};
  /* Port in: 2000 B at 2 ns/B = 4000 ns; mesh 0->1: 1000 B at 1 ns/B.
   * Reads: chiplet 0 100 + 10 + 4000, chiplet 1 100 + 20 + 4000 (slowest);
   * writes of chiplet 1: port out 500 B = 1000 ns: 1120 ns. DRAM 2.5 ns. */
  double base = hc_dram_time(&t, &hw, io);
  NEAR(base, 4120 * NS);
  h2 = hw, h2.io_port_bw *= 2; /* port 1 ns/B: 2000 ns */
  NEAR(hc_dram_time(&t, &h2, io), 2120 * NS);
  h2 = hw, h2.link_latency *= 2; /* chiplet 1: 2 hops */
  NEAR(hc_dram_time(&t, &h2, io) - base, 20 * NS);
  h2 = hw, h2.dram_bw *= 2; /* not the bottleneck */
  NEAR(hc_dram_time(&t, &h2, io), base);
  h2 = hw, h2.link_bw *= 4; /* mesh link not the bottleneck either */
  NEAR(hc_dram_time(&t, &h2, io), base);
  /* Fast port: the mesh link 0->1 (1000 B at 1 ns/B) limits chiplet 1. */
  h2 = hw, h2.io_port_bw = 1e15;
  NEAR(hc_dram_time(&t, &h2, io), (120 + 1000) * NS);
  h2.link_bw *= 2;
  NEAR(hc_dram_time(&t, &h2, io), (120 + 500) * NS);
  /* Slow DRAM: 2500 B at 1e8 B/s = 25 us, the die is the bottleneck. */
  hw.dram_bw = 1e8;
  NEAR(hc_dram_time(&t, &hw, io), 25e-6);
  h2 = hw, h2.dram_bw *= 2;
  NEAR(hc_dram_time(&t, &h2, io), 12.5e-6);
  h2 = hw, h2.io_port_bw *= 2;
  NEAR(hc_dram_time(&t, &h2, io), 25e-6);
  h2 = hw, h2.link_latency *= 2;
  NEAR(hc_dram_time(&t, &h2, io), 25e-6);
  /* No traffic: no time. */
  hc_dram_io none[2] = {{0, 0}, {0, 0}};
  NEAR(hc_dram_time(&t, &hw, none), 0);
  /* Only chiplet 0 writing 1000 B: port out 2000 ns + o + alpha. */
  hc_dram_io w0[2] = {{0, 1000}, {0, 0}};
  hw.dram_bw = 1e12;
  NEAR(hc_dram_time(&t, &hw, w0), (110 + 2000) * NS);
}

static void test_dram_record(void) {
  hc_topo t = {2, 3, HC_EDGE_BIT(HC_W)};
  hc_hw hw = hw_round();
  hc_ledger l;
  hc_ledger_init(&l, &t, &hw, 5); /* (1,2): nearest die west of (1,0) = node 3 */
  hc_ledger_set_tag(&l, HC_PHASE_FWD, HC_OPK_LINEAR); /* DRAM ignores the tag */
  hc_dram_io mine = {1000, 300};
  hc_ledger_dram_record(&l, mine, 2e-6, 1e-6);
  int rin[8], rout[8];
  int hin = hc_route_from_io(&t, 3, HC_W, 5, rin), hout = hc_route_to_io(&t, 5, 3, HC_W, rout);
  CU_ASSERT(hin == 3 && hout == 3);
  CU_ASSERT_EQUAL(rin[0], hc_link_id(3, HC_SLOT_IO_IN(HC_W)));
  CU_ASSERT_EQUAL(rout[2], hc_link_id(3, HC_SLOT_IO_OUT(HC_W)));
  uint64_t want[6 * HC_LINK_SLOTS] = {0};
  for (int q = 0; q < hin; q++) want[rin[q]] += 1000;
  for (int q = 0; q < hout; q++) want[rout[q]] += 300;
  const uint64_t *dram = l.link_bytes + ((size_t)HC_PHASE_OTHER * HC_NOPKINDS + HC_OPK_DRAM) * l.nlinks;
  uint64_t all = 0;
  for (int k = 0; k < l.nlinks; k++) {
    if (dram[k] != want[k]) fprintf(stderr, "\nlink %d: %llu B, expected %llu\n", k,
                                    (unsigned long long)dram[k], (unsigned long long)want[k]);
    CU_ASSERT_EQUAL(dram[k], want[k]);
    all += hc_ledger_link_bytes(&l, k);
  }
  CU_ASSERT_EQUAL(all, 3 * 1000 + 3 * 300); /* nothing under any other tag */
  CU_ASSERT_EQUAL(l.dram_read, 1000);
  CU_ASSERT_EQUAL(l.dram_write, 300);
  CU_ASSERT_EQUAL(hc_ledger_totals(&l).sent, 0); /* not chiplet traffic */
  NEAR(l.engine_free[HC_ENG_DRAM], 3e-6);
  NEAR(l.busy[HC_ENG_DRAM], 2e-6);
  NEAR(l.busy[HC_ENG_COMPUTE] + l.busy[HC_ENG_NOP], 0);
  NEAR(l.now, 0);
  /* The next step's DRAM traffic waits for the engine. */
  hc_ledger_dram_record(&l, mine, 2e-6, 0);
  NEAR(l.engine_free[HC_ENG_DRAM], 5e-6);
  NEAR(l.busy[HC_ENG_DRAM], 4e-6);
  CU_ASSERT_EQUAL(l.dram_read, 2000);
  CU_ASSERT_EQUAL(dram[rin[1]], 2000);
  /* Muted: nothing recorded. */
  l.muted = 1;
  hc_ledger_dram_record(&l, mine, 2e-6, 0);
  CU_ASSERT_EQUAL(l.dram_read, 2000);
  CU_ASSERT_EQUAL(l.dram_write, 600);
  CU_ASSERT_EQUAL(dram[rin[1]], 2000);
  NEAR(l.busy[HC_ENG_DRAM], 4e-6);
  hc_ledger_free(&l);
}

/* A 1x2 report: link bytes under three tags, FLOPs under three, DRAM bytes,
 * and chiplet 1 ending last (7 ms, 4 ms of it computing). */
static hc_ledger_report report(const hc_hw *hw) {
  hc_ledger_report r = {0};
  r.topo = (hc_topo){1, 2, HC_EDGE_BIT(HC_W)};
  r.hw = *hw, r.nodes = 2, r.nlinks = hc_topo_nlinks(&r.topo);
  r.link_bytes = hc_calloc((size_t)HC_NPHASES * HC_NOPKINDS * r.nlinks, sizeof(uint64_t));
#define LB(p, o, k) r.link_bytes[((size_t)(p) * HC_NOPKINDS + (o)) * r.nlinks + (k)]
  LB(HC_PHASE_FWD, HC_OPK_LINEAR, hc_link_id(0, HC_E)) = 1000;
  LB(HC_PHASE_BWD, HC_OPK_ATTN, hc_link_id(1, HC_W)) = 3000;
  LB(HC_PHASE_OTHER, HC_OPK_DRAM, hc_link_id(0, HC_SLOT_IO_IN(HC_W))) = 500;
  r.chiplet = hc_calloc(2, sizeof *r.chiplet), r.dram_bytes = hc_calloc(2, sizeof(double));
  r.step_time = hc_calloc(2, sizeof(double)), r.flops = hc_calloc(2, sizeof(double));
  r.busy = hc_calloc(2 * HC_NENGINES, sizeof(double));
  r.step_time[0] = 5e-3, r.step_time[1] = 7e-3;
  r.flops[0] = 2e9, r.flops[1] = 1.5e9, r.dram_bytes[0] = 4000, r.dram_bytes[1] = 6000;
  r.busy[0 * HC_NENGINES + HC_ENG_COMPUTE] = 4.5e-3; /* more than chiplet 1: not picked */
  r.busy[1 * HC_NENGINES + HC_ENG_COMPUTE] = 4e-3;
  r.busy[1 * HC_NENGINES + HC_ENG_NOP] = 2e-3;
  r.busy[1 * HC_NENGINES + HC_ENG_DRAM] = 1e-3;
  r.flops_tag[HC_PHASE_FWD][HC_OPK_LINEAR] = 1e9;
  r.flops_tag[HC_PHASE_BWD][HC_OPK_LINEAR] = 2e9;
  r.flops_tag[HC_PHASE_OPT][HC_OPK_OTHER] = 5e8;
  return r;
}

static void test_energy_and_step(void) {
  hc_hw hw = hw_round(); /* links 2 pJ/bit, DRAM 10 pJ/bit, 0.5 pJ/FLOP */
  hc_ledger_report r = report(&hw);
  hc_cost c, d;
  hc_cost_from_report(&r, &c);
  CU_ASSERT_EQUAL(c.critical, 1);
  NEAR(c.time, 7e-3);
  NEAR(c.busy[HC_ENG_COMPUTE], 4e-3), NEAR(c.busy[HC_ENG_NOP], 2e-3), NEAR(c.busy[HC_ENG_DRAM], 1e-3);
  NEAR(c.exposed_comm, 3e-3);
  NEAR(c.flops, 3.5e9);
  NEAR(c.dram_bytes, 10000);
  NEAR(c.link_bytes, 4500);
  NEAR(c.energy_link, 4500 * 8 * 2e-12);
  NEAR(c.energy_dram, 10000 * 8 * 10e-12);
  NEAR(c.energy_compute, 3.5e9 * 0.5e-12);
  NEAR(c.energy_phase[HC_PHASE_FWD], 1000 * 16e-12 + 1e9 * 0.5e-12);
  NEAR(c.energy_phase[HC_PHASE_BWD], 3000 * 16e-12 + 2e9 * 0.5e-12);
  NEAR(c.energy_phase[HC_PHASE_OPT], 5e8 * 0.5e-12);
  NEAR(c.energy_phase[HC_PHASE_OTHER], 500 * 16e-12 + 10000 * 80e-12);
  double sum = 0;
  for (int p = 0; p < HC_NPHASES; p++) sum += c.energy_phase[p];
  NEAR(sum, c.energy_link + c.energy_dram + c.energy_compute);
  /* Doubling each pJ figure doubles its component only. */
  double *pj[3] = {&r.hw.link_pj_per_bit, &r.hw.dram_pj_per_bit, &r.hw.pj_per_flop};
  for (int k = 0; k < 3; k++) {
    *pj[k] *= 2;
    hc_cost_from_report(&r, &d);
    *pj[k] /= 2;
    NEAR(d.energy_link, c.energy_link * (k == 0 ? 2 : 1));
    NEAR(d.energy_dram, c.energy_dram * (k == 1 ? 2 : 1));
    NEAR(d.energy_compute, c.energy_compute * (k == 2 ? 2 : 1));
    NEAR(d.time, c.time);
  }
  /* Chiplet 0 ending last makes it critical, its compute busy the base. */
  r.step_time[0] = 9e-3;
  hc_cost_from_report(&r, &c);
  CU_ASSERT_EQUAL(c.critical, 0);
  NEAR(c.exposed_comm, 9e-3 - 4.5e-3);
  NEAR(c.busy[HC_ENG_NOP], 0);
  hc_ledger_report_free(&r);
}

int main(void) {
  const hc_test tests[] = {
      {"compute time, FLOPs per tag, compute engine clock", test_compute_time},
      {"independent engine clocks; muted ledger", test_engine_clocks},
      {"DRAM bytes: micro-batch-major vs layer-major", test_dram_bytes},
      {"DRAM time: ports, mesh links, DRAM bandwidth", test_dram_time},
      {"ledger DRAM record: routes, counters, engine", test_dram_record},
      {"energy by component and phase, critical chiplet", test_energy_and_step},
  };
  return hc_unit_main("cost", tests, sizeof tests / sizeof tests[0]);
}
