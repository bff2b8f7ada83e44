/* test_topo.c: directed links, XY routes, I/O ports and node orders on
 * 1xN, Nx1, square and non-square meshes. */
#include <stdlib.h>

#include "harness.h"
#include "hecaton/topo.h"
#include "hecaton/util.h"

#define WE (HC_EDGE_BIT(HC_W) | HC_EDGE_BIT(HC_E))

static int manhattan(const hc_topo *t, int a, int b) {
  return abs(a / t->C - b / t->C) + abs(a % t->C - b % t->C);
}

/* Every route is a chain of existing links from src to dst, X before Y,
 * with as many hops as the Manhattan distance. */
static void check_all_routes(int R, int C) {
  hc_topo t = {R, C, WE};
  int links[64];
  for (int s = 0; s < R * C; s++)
    for (int d = 0; d < R * C; d++) {
      int h = hc_route(&t, s, d, links);
      CU_ASSERT_EQUAL(h, manhattan(&t, s, d));
      int cur = s, turned = 0;
      for (int q = 0; q < h; q++) {
        int from, to;
        CU_ASSERT_EQUAL_FATAL(hc_link_ends(&t, links[q], &from, &to), 0);
        CU_ASSERT_EQUAL(from, cur);
        int vertical = (links[q] % HC_LINK_SLOTS) >= HC_N;
        if (vertical) turned = 1;
        CU_ASSERT(!(turned && !vertical)); /* never back to X after Y */
        cur = to;
      }
      CU_ASSERT_EQUAL(cur, d);
    }
}

static void test_routes_every_shape(void) {
  int shapes[][2] = {{1, 1}, {1, 5}, {5, 1}, {2, 2}, {2, 3}, {3, 2}, {3, 3}, {4, 4}, {3, 5}};
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
    check_all_routes(shapes[k][0], shapes[k][1]);
}

static void test_route_sequences(void) {
  hc_topo t = {2, 3, WE};
  int l[8];
  /* (0,0) -> (1,2): east, east, then south. */
  CU_ASSERT_EQUAL(hc_route(&t, 0, 5, l), 3);
  CU_ASSERT_EQUAL(l[0], hc_link_id(0, HC_E));
  CU_ASSERT_EQUAL(l[1], hc_link_id(1, HC_E));
  CU_ASSERT_EQUAL(l[2], hc_link_id(2, HC_S));
  /* (1,2) -> (0,0): west, west, then north: the reverse links. */
  CU_ASSERT_EQUAL(hc_route(&t, 5, 0, l), 3);
  CU_ASSERT_EQUAL(l[0], hc_link_id(5, HC_W));
  CU_ASSERT_EQUAL(l[1], hc_link_id(4, HC_W));
  CU_ASSERT_EQUAL(l[2], hc_link_id(3, HC_N));
  /* 1x5 line: 4 -> 0 runs over the four westward links. */
  hc_topo line = {1, 5, WE};
  CU_ASSERT_EQUAL(hc_route(&line, 4, 0, l), 4);
  for (int q = 0; q < 4; q++) CU_ASSERT_EQUAL(l[q], hc_link_id(4 - q, HC_W));
  /* 4x1 column: 0 -> 3 runs south. */
  hc_topo col = {4, 1, WE};
  CU_ASSERT_EQUAL(hc_route(&col, 0, 3, l), 3);
  for (int q = 0; q < 3; q++) CU_ASSERT_EQUAL(l[q], hc_link_id(q, HC_S));
  CU_ASSERT_EQUAL(hc_route(&col, 2, 2, l), 0);
}

static void test_link_counts(void) {
  /* mesh links 2*(R*(C-1) + C*(R-1)); ports: 2 per edge chiplet per I/O edge. */
  struct { int R, C; unsigned edges; int want; } cases[] = {
      {1, 5, WE, 2 * 4 + 2 * 2},           /* only (0,0) W and (0,4) E */
      {4, 1, WE, 2 * 3 + 4 * 2 * 2},       /* every chiplet on both edges */
      {2, 3, WE, 2 * (2 * 2 + 3 * 1) + 2 * 2 * 2},
      {3, 3, HC_EDGE_BIT(HC_N), 2 * (3 * 2 + 3 * 2) + 3 * 2},
      {4, 4, WE | HC_EDGE_BIT(HC_N) | HC_EDGE_BIT(HC_S), 2 * 24 + 16 * 2},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    hc_topo t = {cases[k].R, cases[k].C, cases[k].edges};
    CU_ASSERT_EQUAL(hc_topo_count_links(&t), cases[k].want);
  }
  hc_topo t = {2, 3, WE};
  CU_ASSERT(!hc_link_valid(&t, hc_link_id(2, HC_E)));  /* east edge: no mesh link out */
  CU_ASSERT(!hc_link_valid(&t, hc_link_id(0, HC_N)));
  CU_ASSERT(hc_link_valid(&t, hc_link_id(0, HC_SLOT_IO_OUT(HC_W))));
  CU_ASSERT(!hc_link_valid(&t, hc_link_id(1, HC_SLOT_IO_OUT(HC_W)))); /* not an edge chiplet */
  CU_ASSERT(!hc_link_valid(&t, hc_link_id(0, HC_SLOT_IO_OUT(HC_N)))); /* north has no I/O */
  char buf[64];
  CU_ASSERT_STRING_EQUAL(hc_link_name(&t, hc_link_id(4, HC_N), buf, sizeof buf), "(1,1)->(0,1)");
  CU_ASSERT_STRING_EQUAL(hc_link_name(&t, hc_link_id(5, HC_SLOT_IO_IN(HC_E)), buf, sizeof buf),
                         "io.E->(1,2)");
}

static void test_io_routes(void) {
  hc_topo t = {2, 3, WE};
  int l[8], port, edge;
  /* (1,1) -> I/O die west of (1,0): one mesh hop west, then the port. */
  CU_ASSERT_EQUAL(hc_route_to_io(&t, 4, 3, HC_W, l), 2);
  CU_ASSERT_EQUAL(l[0], hc_link_id(4, HC_W));
  CU_ASSERT_EQUAL(l[1], hc_link_id(3, HC_SLOT_IO_OUT(HC_W)));
  CU_ASSERT_EQUAL(hc_route_from_io(&t, 3, HC_W, 5, l), 3);
  CU_ASSERT_EQUAL(l[0], hc_link_id(3, HC_SLOT_IO_IN(HC_W)));
  CU_ASSERT_EQUAL(l[1], hc_link_id(3, HC_E));
  CU_ASSERT_EQUAL(l[2], hc_link_id(4, HC_E));
  CU_ASSERT_EQUAL(hc_route_to_io(&t, 4, 4, HC_W, l), -1); /* (1,1) has no port */
  CU_ASSERT_EQUAL(hc_route_to_io(&t, 4, 3, HC_N, l), -1); /* north has no dies */
  /* Nearest die: a tie between west of (0,0) and east of (0,2) for (0,1). */
  CU_ASSERT_EQUAL(hc_nearest_io(&t, 1, &port, &edge), 2);
  CU_ASSERT_EQUAL(port, 0);
  CU_ASSERT_EQUAL(edge, HC_W);
  hc_topo w = {3, 4, WE};
  CU_ASSERT_EQUAL(hc_nearest_io(&w, 6, &port, &edge), 2); /* (1,2): east of (1,3) */
  CU_ASSERT_EQUAL(port, 7);
  CU_ASSERT_EQUAL(edge, HC_E);
  hc_topo none = {2, 2, 0};
  CU_ASSERT_EQUAL(hc_nearest_io(&none, 0, &port, &edge), -1);
}

/* A permutation whose consecutive nodes are one link apart; returns the
 * hop count of the closing edge. */
static int check_order(const hc_topo *t, const int *ord) {
  int n = hc_topo_nodes(t), *seen = hc_calloc((size_t)n, sizeof(int));
  for (int k = 0; k < n; k++) {
    CU_ASSERT_FATAL(ord[k] >= 0 && ord[k] < n);
    CU_ASSERT(!seen[ord[k]]);
    seen[ord[k]] = 1;
    if (k > 0) CU_ASSERT_EQUAL(manhattan(t, ord[k - 1], ord[k]), 1);
  }
  free(seen);
  return manhattan(t, ord[n - 1], ord[0]);
}

static void test_ring_orders(void) {
  int cyc[][2] = {{2, 2}, {2, 3}, {3, 2}, {4, 4}, {4, 3}, {3, 4}, {2, 5}, {5, 2}, {6, 6}};
  int ord[64];
  for (size_t k = 0; k < sizeof cyc / sizeof cyc[0]; k++) {
    hc_topo t = {cyc[k][0], cyc[k][1], WE};
    CU_ASSERT_EQUAL(hc_ring_order(&t, ord), 1);
    CU_ASSERT_EQUAL(check_order(&t, ord), 1); /* closing edge is one link */
  }
  int odd[][2] = {{3, 3}, {1, 4}, {4, 1}, {3, 5}};
  for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
    hc_topo t = {odd[k][0], odd[k][1], WE};
    CU_ASSERT_EQUAL(hc_ring_order(&t, ord), 0);
    CU_ASSERT(check_order(&t, ord) > 1); /* snake: multi-hop closing edge */
  }
  hc_topo two = {1, 2, WE};
  CU_ASSERT_EQUAL(hc_ring_order(&two, ord), 1);
}

static void test_parse_mesh(void) {
  int R, C;
  char err[HC_ERRLEN];
  CU_ASSERT_EQUAL(hc_parse_mesh("2x3", &R, &C, err, sizeof err), 0);
  CU_ASSERT(R == 2 && C == 3);
  CU_ASSERT_EQUAL(hc_parse_mesh("16X16", &R, &C, err, sizeof err), 0);
  const char *bad[] = {"", "2", "2x", "x3", "0x2", "2x0", "2x3x4", "abc", "-1x2", "2 x3", "2x3 "};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    CU_ASSERT_EQUAL(hc_parse_mesh(bad[k], &R, &C, err, sizeof err), -1);
  unsigned m;
  CU_ASSERT_EQUAL(hc_parse_edges("west,east", &m), 0);
  CU_ASSERT_EQUAL(m, WE);
  CU_ASSERT_EQUAL(hc_parse_edges("north", &m), 0);
  CU_ASSERT_EQUAL(m, HC_EDGE_BIT(HC_N));
  CU_ASSERT_EQUAL(hc_parse_edges("west,up", &m), -1);
  CU_ASSERT_EQUAL(hc_parse_edges("", &m), -1);
}

int main(void) {
  const hc_test tests[] = {
      {"routes on every shape are XY and minimal", test_routes_every_shape},
      {"route link sequences", test_route_sequences},
      {"link counts and validity", test_link_counts},
      {"routes to and from I/O dies", test_io_routes},
      {"whole-mesh ring and snake orders", test_ring_orders},
      {"mesh and edge parsing", test_parse_mesh},
  };
  return hc_unit_main("topo", tests, sizeof tests / sizeof tests[0]);
}
