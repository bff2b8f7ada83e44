/* test_timing.c: rule A (DESIGN.md section 5) on hand-computed steps, and
 * the ledger's sender-side counting. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "hecaton/ledger.h"
#include "hecaton/util.h"

/* Round numbers: o = 100 ns, alpha = 10 ns, B*eta = 1e9 B/s (1 ns/byte). */
static hc_hw hw_round(void) {
  hc_hw hw = {0};
  hw.link_bw = 2e9, hw.link_eff = 0.5;
  hw.link_latency = 10e-9, hw.msg_overhead = 100e-9, hw.elem_bytes = 2;
  return hw;
}

static double step(const hc_topo *t, const hc_hw *hw, const hc_xfer *x, int n) {
  double *load = hc_calloc((size_t)hc_topo_nlinks(t), sizeof(double));
  int *route = hc_calloc((size_t)hc_route_max(t), sizeof(int));
  double s = hc_step_time(t, hw, x, n, load, route);
  for (int k = 0; k < hc_topo_nlinks(t); k++) CU_ASSERT_EQUAL(load[k], 0); /* left clean */
  free(load), free(route);
  return s;
}

#define NS 1e-9
#define EQ(a, b) CU_ASSERT(fabs((a) - (b)) < 1e-15)

static void test_single_transfers(void) {
  hc_topo t = {2, 3, 0};
  hc_hw hw = hw_round();
  hc_xfer one = {0, 5, 1000}; /* (0,0) -> (1,2): 3 hops */
  EQ(step(&t, &hw, &one, 1), 100 * NS + 3 * 10 * NS + 1000 * NS);
  hc_xfer near = {4, 3, 500}; /* 1 hop */
  EQ(step(&t, &hw, &near, 1), 100 * NS + 10 * NS + 500 * NS);
  EQ(step(&t, &hw, NULL, 0), 0);
}

static void test_contention(void) {
  hc_topo t = {1, 3, 0};
  hc_hw hw = hw_round();
  /* 0->2 and 1->2 share link 1->2, which carries 2000 bytes: both wait on
   * it; the step is the 2-hop transfer: o + 2 alpha + 2000 ns. */
  hc_xfer share[2] = {{0, 2, 1000}, {1, 2, 1000}};
  EQ(step(&t, &hw, share, 2), 100 * NS + 20 * NS + 2000 * NS);
  /* Opposite directions use different directed links: no contention. */
  hc_xfer cross[2] = {{0, 1, 1000}, {1, 0, 1000}};
  EQ(step(&t, &hw, cross, 2), 100 * NS + 10 * NS + 1000 * NS);
  /* A short transfer on a busy link is as slow as the link: 0->1 (1 hop)
   * shares link 0->1 with 0->2 carrying 3000 more bytes. */
  hc_xfer busy[2] = {{0, 1, 10}, {0, 2, 3000}};
  EQ(step(&t, &hw, busy, 2), 100 * NS + 20 * NS + 3010 * NS);
  /* Two transfers between the same neighbours share their one link. */
  hc_xfer twice[2] = {{0, 1, 100}, {0, 1, 100}};
  EQ(step(&t, &hw, twice, 2), 100 * NS + 10 * NS + 200 * NS);
  /* Neighbours on distinct links do not wait for each other. */
  hc_xfer apart[3] = {{0, 1, 100}, {1, 2, 300}, {2, 1, 50}};
  EQ(step(&t, &hw, apart, 3), 100 * NS + 10 * NS + 300 * NS);
}

static void test_parameters_move_time(void) {
  hc_topo t = {2, 2, 0};
  hc_hw hw = hw_round(), hw2 = hw;
  hc_xfer x = {0, 3, 4000}; /* 2 hops */
  double base = step(&t, &hw, &x, 1);
  hw2.link_bw *= 4;
  EQ(base - step(&t, &hw2, &x, 1), 4000 * NS * 0.75);
  hw2 = hw, hw2.link_latency *= 2;
  EQ(step(&t, &hw2, &x, 1) - base, 2 * 10 * NS);
  hw2 = hw, hw2.msg_overhead = 0;
  EQ(base - step(&t, &hw2, &x, 1), 100 * NS);
  hw2 = hw, hw2.link_eff = 1.0;
  EQ(base - step(&t, &hw2, &x, 1), 2000 * NS);
  /* Mesh shape: the same corner-to-corner transfer on 3x3 has 4 hops. */
  hc_topo t3 = {3, 3, 0};
  hc_xfer x3 = {0, 8, 4000};
  EQ(step(&t3, &hw, &x3, 1) - base, 2 * 10 * NS);
}

static void test_ledger_counts_sender_side(void) {
  hc_topo t = {2, 3, HC_EDGE_BIT(HC_W)};
  hc_hw hw = hw_round();
  hc_ledger a, b;
  hc_ledger_init(&a, &t, &hw, 0); /* sender */
  hc_ledger_init(&b, &t, &hw, 5); /* receiver */
  hc_xfer x = {0, 5, 600};
  hc_ledger_set_tag(&a, HC_PHASE_BWD, HC_OPK_NORM);
  double ta = hc_ledger_step(&a, &x, 1), tb = hc_ledger_step(&b, &x, 1);
  EQ(ta, tb); /* both members time the same step */
  hc_counters ca = a.tag[HC_PHASE_BWD][HC_OPK_NORM], cb = hc_ledger_totals(&b);
  CU_ASSERT_EQUAL(ca.sent, 600);
  CU_ASSERT_EQUAL(ca.msgs, 1);
  CU_ASSERT_EQUAL(ca.hops, 3);
  CU_ASSERT_EQUAL(ca.recv, 0);
  CU_ASSERT_EQUAL(cb.sent, 0);
  CU_ASSERT_EQUAL(cb.recv, 600);
  CU_ASSERT_EQUAL(hc_ledger_totals(&a).sent, 600);
  /* The route's three links carry the bytes in the sender's ledger only. */
  CU_ASSERT_EQUAL(hc_ledger_link_bytes(&a, hc_link_id(0, HC_E)), 600);
  CU_ASSERT_EQUAL(hc_ledger_link_bytes(&a, hc_link_id(1, HC_E)), 600);
  CU_ASSERT_EQUAL(hc_ledger_link_bytes(&a, hc_link_id(2, HC_S)), 600);
  CU_ASSERT_EQUAL(hc_ledger_link_bytes(&a, hc_link_id(0, HC_S)), 0);
  CU_ASSERT_EQUAL(hc_ledger_link_bytes(&b, hc_link_id(2, HC_S)), 0);
  hc_ledger_reset(&a);
  CU_ASSERT_EQUAL(hc_ledger_totals(&a).sent, 0);
  CU_ASSERT_EQUAL(hc_ledger_link_bytes(&a, hc_link_id(0, HC_E)), 0);
  hc_ledger_free(&a);
  hc_ledger_free(&b);
}

int main(void) {
  const hc_test tests[] = {
      {"single transfers: o + H alpha + S/(B eta)", test_single_transfers},
      {"contention on a shared link", test_contention},
      {"bandwidth, latency, overhead, efficiency, shape move the time", test_parameters_move_time},
      {"ledger counts on the sender's side", test_ledger_counts_sender_side},
  };
  return hc_unit_main("timing", tests, sizeof tests / sizeof tests[0]);
}
