/* topo.h: the chiplet mesh as a graph, with no MPI in sight.
 *
 * Chiplet (i, j) of an R x C mesh is node i*C + j (and MPI rank i*C + j).
 * Every directed link has an id: node * HC_LINK_SLOTS + slot, where the slot
 * says which way it leaves or enters the node:
 *   0..3   mesh link leaving the node towards E, W, N, S
 *          (E = column j+1, W = column j-1, N = row i-1, S = row i+1);
 *   4..7   port from the node to the I/O die on its W, E, N, S edge;
 *   8..11  port from that I/O die into the node.
 * Only some ids exist (edges have no mesh link outward; only edge chiplets
 * on the configured I/O edges have ports): hc_link_valid() tells.
 * Routing is XY dimension order (DESIGN.md section 2). */
#ifndef HECATON_TOPO_H
#define HECATON_TOPO_H

#include <stddef.h>

enum hc_dir { HC_E = 0, HC_W = 1, HC_N = 2, HC_S = 3 };

#define HC_EDGE_BIT(d) (1u << (d))
#define HC_LINK_SLOTS 12
#define HC_SLOT_IO_OUT(edge) (4 + (edge))
#define HC_SLOT_IO_IN(edge) (8 + (edge))
#define HC_IO_DIE (-1) /* endpoint that is an I/O die, not a chiplet */

typedef struct {
  int R, C;
  unsigned io_edges; /* OR of HC_EDGE_BIT(HC_W), ... */
} hc_topo;

static inline int hc_topo_nodes(const hc_topo *t) { return t->R * t->C; }
static inline int hc_topo_nlinks(const hc_topo *t) {
  return t->R * t->C * HC_LINK_SLOTS;
}
static inline int hc_link_id(int node, int slot) {
  return node * HC_LINK_SLOTS + slot;
}

const char *hc_dir_name(int dir); /* "E", "W", "N", "S" */
int hc_link_valid(const hc_topo *t, int link);
/* from / to: chiplet node or HC_IO_DIE. Returns 0, or -1 if invalid. */
int hc_link_ends(const hc_topo *t, int link, int *from, int *to);
/* "(0,1)->(0,2)", "(0,0)->io.W", "io.W->(0,0)" */
const char *hc_link_name(const hc_topo *t, int link, char *buf, size_t len);
int hc_topo_count_links(const hc_topo *t); /* number of valid ids */

/* Longest route in hops, bounding the buffers given to the route calls. */
static inline int hc_route_max(const hc_topo *t) { return t->R + t->C + 1; }

/* XY route from chiplet src to chiplet dst: fills links[] in order and
 * returns the hop count (0 when src == dst). */
int hc_route(const hc_topo *t, int src, int dst, int *links);
/* Route from chiplet src to the I/O die on `edge` of chiplet port_node
 * (mesh hops to port_node, then its port), and the reverse. -1 if that
 * port does not exist. */
int hc_route_to_io(const hc_topo *t, int src, int port_node, int edge, int *links);
int hc_route_from_io(const hc_topo *t, int port_node, int edge, int dst, int *links);
/* The I/O port nearest to a chiplet (fewest hops; ties: lowest node, then
 * edge order W, E, N, S). Returns the hop count to the die, -1 if no edge
 * has I/O dies. */
int hc_nearest_io(const hc_topo *t, int node, int *port_node, int *edge);
/* Every I/O port at that least hop count (up to 4: a chiplet as near to two
 * edges interleaves its DRAM pages over both); returns how many. */
int hc_nearest_ios(const hc_topo *t, int node, int port_node[4], int edge[4]);

/* Orders of all nodes for whole-mesh collectives.
 * Snake: boustrophedon rows, every consecutive pair one link apart.
 * Ring: a Hamiltonian cycle (every hop, closing one included, one link)
 * when R*C is even and the mesh is at least 2x2 (or exactly 2 nodes);
 * otherwise the snake, whose closing edge takes several hops.
 * hc_ring_order returns 1 when the ring is a Hamiltonian cycle. */
void hc_snake_order(const hc_topo *t, int *order);
int hc_ring_order(const hc_topo *t, int *order);

/* Parse "RxC" (R, C >= 1). 0 ok, -1 with a message in err. */
int hc_parse_mesh(const char *s, int *R, int *C, char *err, size_t errlen);
/* Parse "west,east" etc. into an edge mask. */
int hc_parse_edges(const char *s, unsigned *mask);

#endif
