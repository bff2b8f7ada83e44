/* test_cost.c: the cost model (DESIGN.md section 5) on hand-computed cases:
 * compute time and the engines' busy-until clocks, the SRAM working-set
 * model (plan, per-operation DRAM bytes, tiles, the timeline, and what SRAM
 * size, I/O placement and DRAM bandwidth change), and a step's energy and critical chiplet from a hand-built report. */
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

/* The SRAM plan (hw_round: SRAM 1000 B, 2 B per element): what fits, what
 * is pinned, what saved activations spill. */
static void test_sram_plan(void) {
  hc_hw hw = hw_round();
  hc_topo t = {1, 2, HC_EDGE_BIT(HC_W)};
  hc_ledger l;
  hc_ledger_init(&l, &t, &hw, 1);
  /* 10 params, 10 saved: W 20 + G 40 + state 120 + A 20 = 200 fits. */
  hc_ledger_sram_plan(&l, HC_SCHED_LAYER, 4, 10, 10, 10);
  CU_ASSERT(l.sram.on && l.sram.all_fit);
  /* Exactly full still fits: 50 params (900 B) + 50 saved (100 B). */
  hc_ledger_sram_plan(&l, HC_SCHED_MICRO, 1, 50, 50, 50);
  CU_ASSERT(l.sram.all_fit);
  /* 100 params (1800 B of state) do not: a quarter (250 B) for the
   * operation in flight; layer-major keeps A = 200 <= 500 of saved. */
  hc_ledger_sram_plan(&l, HC_SCHED_LAYER, 4, 100, 100, 100);
  CU_ASSERT(!l.sram.all_fit);
  NEAR(l.sram.op_buffer, 250), NEAR(l.sram.pinned, 0), NEAR(l.sram.saved_spill, 0);
  hc_ledger_sram_plan(&l, HC_SCHED_LAYER, 4, 100, 100, 300); /* A = 600: 100 spill */
  NEAR(l.sram.saved_spill, 100);
  /* Micro-batch-major pins the weights (200 B) in the half kept across
   * operations; one micro-batch's saved (150 B) fits the other 300 B. */
  hc_ledger_sram_plan(&l, HC_SCHED_MICRO, 4, 100, 100, 300);
  NEAR(l.sram.pinned, 1), NEAR(l.sram.saved_spill, 0);
  /* 400 params: W 800, 500 pinned; no room left for 200 B per micro-batch. */
  hc_ledger_sram_plan(&l, HC_SCHED_MICRO, 4, 400, 400, 400);
  NEAR(l.sram.pinned, 0.625), NEAR(l.sram.saved_spill, 800);
  /* Chiplet 1 reaches the west die over the mesh link and the port, which
   * both chiplets share: 2 x 2 ns/B in and out, DRAM 2 x 1 ps/B. */
  NEAR(l.sram.s_in, 4 * NS), NEAR(l.sram.s_out, 4 * NS), NEAR(l.sram.s_die, 2e-12);
  NEAR(l.sram.latency, 120 * NS);
  hc_ledger_free(&l);
}

#define ROW_IS(r, nm, ph, wh, rd, wr)                                               \
  do {                                                                              \
    CU_ASSERT_STRING_EQUAL((r)->name, nm);                                          \
    CU_ASSERT_EQUAL((r)->phase, ph);                                                \
    CU_ASSERT_EQUAL((r)->where, wh);                                                \
    NEAR((r)->read, rd), NEAR((r)->write, wr);                                      \
  } while (0)

/* Operations on chiplet 1's timeline (layer-major, M = 4, 100 params): the
 * DRAM bytes each one's working set brings, the compute waiting for them. */
static void test_sram_operations(void) {
  hc_hw hw = hw_round();
  hc_topo t = {1, 2, HC_EDGE_BIT(HC_W)};
  hc_ledger l;
  hc_ledger_init(&l, &t, &hw, 1);
  hc_ledger_sram_plan(&l, HC_SCHED_LAYER, 4, 100, 100, 100);
  hc_ledger_set_tag(&l, HC_PHASE_FWD, HC_OPK_LINEAR);
  /* Fits: W 100 B + a micro-batch's tiles (160 / 4) = 140 <= 250; the
   * weights read once: 120 ns + 100 B x 4 ns; the GEMM (2 us) waits. */
  hc_workset fits = {"fits", 50, 0, 0, 40, 40, 1, 0};
  hc_ledger_workset(&l, &fits);
  hc_ledger_compute(&l, 1e6, "gemm");
  NEAR(l.engine_free[HC_ENG_DRAM], 520 * NS), NEAR(l.now, 2520 * NS);
  /* Tiled: W 400 B + 40 > 250. Weight blocks of 125 B: 4, the input
   * (80 B) read 3 more times (240 B) rather than W three more (1200 B).
   * Prefetched from the previous GEMM's start (520 ns): 120 + 640 x 4 ns. */
  hc_workset tiled = {"tiled", 200, 0, 0, 40, 40, 1, 0};
  hc_ledger_workset(&l, &tiled);
  hc_ledger_compute(&l, 1e6, "gemm");
  NEAR(l.engine_free[HC_ENG_DRAM], 3200 * NS), NEAR(l.now, 5200 * NS);
  /* Backward: W 100 + fp32 dW 200 = 300 B kept: 3 blocks, the input
   * (160 B) twice more; dW written once. In 420 B x 4 ns, out 200 x 4 ns:
   * 1800 ns from 3200, done before the engine frees at 5200. */
  hc_ledger_set_tag(&l, HC_PHASE_BWD, HC_OPK_LINEAR);
  hc_workset bwd = {"tiled", 50, 50, 0, 80, 40, 1, 0};
  hc_ledger_workset(&l, &bwd);
  hc_ledger_compute(&l, 1e6, "gemm");
  NEAR(l.engine_free[HC_ENG_DRAM], 5000 * NS), NEAR(l.now, 7200 * NS);
  /* Streamed (still under backward): a micro-batch's tiles (400 B) exceed
   * half the buffer: the input read (800 B) and the output written (800 B),
   * besides W. */
  hc_workset big = {"streamed", 50, 0, 0, 400, 400, 1, 0};
  hc_ledger_workset(&l, &big);
  /* The optimizer streams its slice: 16 B read, 12 + 2 B written per param. */
  hc_ledger_set_tag(&l, HC_PHASE_OPT, HC_OPK_OTHER);
  hc_workset adamw = {.name = "adamw", .updated = 100};
  hc_ledger_workset(&l, &adamw);
  CU_ASSERT_EQUAL(l.nsram, 5);
  ROW_IS(&l.sram_rows[0], "fits", HC_PHASE_FWD, HC_SRAM_FITS, 100, 0);
  ROW_IS(&l.sram_rows[1], "tiled", HC_PHASE_FWD, HC_SRAM_TILED, 640, 0);
  NEAR(l.sram_rows[1].tiles, 4), NEAR(l.sram_rows[1].set, 440);
  ROW_IS(&l.sram_rows[2], "tiled", HC_PHASE_BWD, HC_SRAM_TILED, 420, 200);
  ROW_IS(&l.sram_rows[3], "streamed", HC_PHASE_BWD, HC_SRAM_STREAMED, 900, 800);
  ROW_IS(&l.sram_rows[4], "adamw", HC_PHASE_OPT, HC_SRAM_STREAMED, 1600, 1400);
  uint64_t rd = 100 + 640 + 420 + 900 + 1600, wr = 200 + 800 + 1400;
  CU_ASSERT_EQUAL(l.dram_read, rd);
  CU_ASSERT_EQUAL(l.dram_write, wr);
  /* On the links, tag DRAM: reads over the west port in and the mesh link
   * 0 -> 1; writes over 1 -> 0 and the port out. */
  const uint64_t *dram = l.link_bytes + ((size_t)HC_PHASE_OTHER * HC_NOPKINDS + HC_OPK_DRAM) * l.nlinks;
  CU_ASSERT_EQUAL(dram[hc_link_id(0, HC_SLOT_IO_IN(HC_W))], rd);
  CU_ASSERT_EQUAL(dram[hc_link_id(0, HC_E)], rd);
  CU_ASSERT_EQUAL(dram[hc_link_id(1, HC_W)], wr);
  CU_ASSERT_EQUAL(dram[hc_link_id(0, HC_SLOT_IO_OUT(HC_W))], wr);
  /* A muted ledger (validation) moves nothing; a reset clears the rows. */
  l.muted = 1;
  hc_ledger_workset(&l, &adamw);
  CU_ASSERT_EQUAL(l.dram_read, rd);
  l.muted = 0;
  hc_ledger_reset(&l);
  CU_ASSERT_EQUAL(l.nsram, 0);
  /* Everything fits: no DRAM, every row fits. */
  hc_ledger_sram_plan(&l, HC_SCHED_LAYER, 4, 10, 10, 10);
  hc_ledger_workset(&l, &big);
  hc_ledger_workset(&l, &adamw);
  CU_ASSERT_EQUAL(l.dram_read + l.dram_write, 0);
  CU_ASSERT_EQUAL(l.sram_rows[0].where, HC_SRAM_FITS);
  CU_ASSERT_EQUAL(l.sram_rows[1].where, HC_SRAM_FITS);
  hc_ledger_free(&l);
}

/* The tiled GEMM above, alone on chiplet 1 of a 1x2 mesh: its DRAM bytes and
 * the end of its compute. */
static void one_gemm(const hc_hw *hw, double *bytes, double *end) {
  hc_topo t = {1, 2, hw->io_edges};
  hc_ledger l;
  hc_ledger_init(&l, &t, hw, 1);
  hc_ledger_sram_plan(&l, HC_SCHED_LAYER, 4, 100, 100, 100);
  hc_workset tiled = {"tiled", 200, 0, 0, 40, 40, 1, 0};
  hc_ledger_workset(&l, &tiled);
  hc_ledger_compute(&l, 1e6, "gemm");
  *bytes = (double)(l.dram_read + l.dram_write), *end = l.now;
  hc_ledger_free(&l);
}

/* SRAM size, I/O placement and DRAM bandwidth each change the figures. */
static void test_sram_sensitivity(void) {
  hc_hw hw = hw_round(), h2;
  double b0, t0, b, t;
  one_gemm(&hw, &b0, &t0);
  NEAR(b0, 640), NEAR(t0, (120 + 640 * 4 + 2000) * NS);
  /* SRAM 1800 B: the state still does not fit, but the GEMM's 440 B fit
   * its 450 B buffer: no re-fetch. */
  h2 = hw, h2.sram_bytes = 1800;
  one_gemm(&h2, &b, &t);
  NEAR(b, 400), NEAR(t, (120 + 400 * 4 + 2000) * NS);
  /* SRAM 2000 B: everything fits, nothing moves. */
  h2 = hw, h2.sram_bytes = 2000;
  one_gemm(&h2, &b, &t);
  NEAR(b, 0), NEAR(t, 2000 * NS);
  /* I/O dies on the east edge too: chiplet 1 reads from its own port,
   * shared with nobody (2 ns/B, one hop). */
  h2 = hw, h2.io_edges = HC_EDGE_BIT(HC_W) | HC_EDGE_BIT(HC_E);
  one_gemm(&h2, &b, &t);
  NEAR(b, 640), NEAR(t, (110 + 640 * 2 + 2000) * NS);
  /* DRAM at 1e8 B/s, shared by both chiplets: 20 ns/B; twice as fast, 10. */
  h2 = hw, h2.dram_bw = 1e8;
  one_gemm(&h2, &b, &t);
  NEAR(b, 640), NEAR(t, (120 + 640 * 20 + 2000) * NS);
  h2.dram_bw = 2e8;
  one_gemm(&h2, &b, &t);
  NEAR(t, (120 + 640 * 10 + 2000) * NS);
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
      {"SRAM plan: all fit, pinned weights, saved activations", test_sram_plan},
      {"SRAM working sets: fit, tiled, streamed, optimizer; timeline", test_sram_operations},
      {"SRAM size, I/O placement and DRAM bandwidth change the figures", test_sram_sensitivity},
      {"energy by component and phase, critical chiplet", test_energy_and_step},
  };
  return hc_unit_main("cost", tests, sizeof tests / sizeof tests[0]);
}
