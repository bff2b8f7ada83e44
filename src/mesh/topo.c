/* topo.c: directed links, XY routing and node orders of the chiplet mesh. */
#include "hecaton/topo.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/util.h"

static const char *kDirName[4] = {"E", "W", "N", "S"};

const char *hc_dir_name(int dir) {
  return (dir >= 0 && dir < 4) ? kDirName[dir] : "?";
}

/* Neighbour of node in direction dir, or -1 past the edge. */
static int neighbour(const hc_topo *t, int node, int dir) {
  int i = node / t->C, j = node % t->C;
  switch (dir) {
    case HC_E: return j + 1 < t->C ? node + 1 : -1;
    case HC_W: return j > 0 ? node - 1 : -1;
    case HC_N: return i > 0 ? node - t->C : -1;
    case HC_S: return i + 1 < t->R ? node + t->C : -1;
  }
  return -1;
}

/* Is node on the mesh edge `edge` and does that edge carry I/O dies? */
static int has_port(const hc_topo *t, int node, int edge) {
  if (!(t->io_edges & HC_EDGE_BIT(edge))) return 0;
  return neighbour(t, node, edge) < 0;
}

int hc_link_valid(const hc_topo *t, int link) {
  int from, to;
  return hc_link_ends(t, link, &from, &to) == 0;
}

int hc_link_ends(const hc_topo *t, int link, int *from, int *to) {
  if (link < 0 || link >= hc_topo_nlinks(t)) return -1;
  int node = link / HC_LINK_SLOTS, slot = link % HC_LINK_SLOTS;
  if (slot < 4) {
    int nb = neighbour(t, node, slot);
    if (nb < 0) return -1;
    *from = node, *to = nb;
    return 0;
  }
  int edge = (slot - 4) % 4;
  if (!has_port(t, node, edge)) return -1;
  if (slot < 8) *from = node, *to = HC_IO_DIE;
  else *from = HC_IO_DIE, *to = node;
  return 0;
}

const char *hc_link_name(const hc_topo *t, int link, char *buf, size_t len) {
  int from, to;
  if (hc_link_ends(t, link, &from, &to)) {
    snprintf(buf, len, "invalid(%d)", link);
    return buf;
  }
  int slot = link % HC_LINK_SLOTS;
  const char *edge = hc_dir_name((slot - 4) % 4);
  if (from == HC_IO_DIE)
    snprintf(buf, len, "io.%s->(%d,%d)", edge, to / t->C, to % t->C);
  else if (to == HC_IO_DIE)
    snprintf(buf, len, "(%d,%d)->io.%s", from / t->C, from % t->C, edge);
  else
    snprintf(buf, len, "(%d,%d)->(%d,%d)", from / t->C, from % t->C,
             to / t->C, to % t->C);
  return buf;
}

int hc_topo_count_links(const hc_topo *t) {
  int n = 0;
  for (int l = 0; l < hc_topo_nlinks(t); l++) n += hc_link_valid(t, l);
  return n;
}

int hc_route(const hc_topo *t, int src, int dst, int *links) {
  int n = 0, cur = src;
  int dj = dst % t->C, di = dst / t->C;
  while (cur % t->C != dj) { /* X first: along the row */
    int dir = (cur % t->C < dj) ? HC_E : HC_W;
    links[n++] = hc_link_id(cur, dir);
    cur = neighbour(t, cur, dir);
  }
  while (cur / t->C != di) { /* then Y: along the column */
    int dir = (cur / t->C < di) ? HC_S : HC_N;
    links[n++] = hc_link_id(cur, dir);
    cur = neighbour(t, cur, dir);
  }
  return n;
}

int hc_route_to_io(const hc_topo *t, int src, int port_node, int edge, int *links) {
  if (edge < 0 || edge > 3 || !has_port(t, port_node, edge)) return -1;
  int n = hc_route(t, src, port_node, links);
  links[n++] = hc_link_id(port_node, HC_SLOT_IO_OUT(edge));
  return n;
}

int hc_route_from_io(const hc_topo *t, int port_node, int edge, int dst, int *links) {
  if (edge < 0 || edge > 3 || !has_port(t, port_node, edge)) return -1;
  links[0] = hc_link_id(port_node, HC_SLOT_IO_IN(edge));
  return 1 + hc_route(t, port_node, dst, links + 1);
}

/* The port straight across from chiplet (i, j) on edge e: W (i, 0),
 * E (i, C-1), N (0, j), S (R-1, j); returns the hops to its die. */
static int port_on_edge(const hc_topo *t, int i, int j, int e, int *port) {
  switch (e) {
    case HC_W: *port = i * t->C; return j + 1;
    case HC_E: *port = i * t->C + t->C - 1; return t->C - j;
    case HC_N: *port = j; return i + 1;
    default: *port = (t->R - 1) * t->C + j; return t->R - i;
  }
}

static const int kEdgeOrder[4] = {HC_W, HC_E, HC_N, HC_S};

int hc_nearest_io(const hc_topo *t, int node, int *port_node, int *edge) {
  /* Ties: lowest port node, then W, E, N, S. */
  int i = node / t->C, j = node % t->C, best = -1, best_rank = 0;
  for (int k = 0; k < 4; k++) {
    int e = kEdgeOrder[k], p;
    if (!(t->io_edges & HC_EDGE_BIT(e))) continue;
    int hops = port_on_edge(t, i, j, e, &p), rank = p * 4 + k;
    if (best < 0 || hops < best || (hops == best && rank < best_rank)) {
      best = hops, best_rank = rank, *port_node = p, *edge = e;
    }
  }
  return best;
}

int hc_nearest_ios(const hc_topo *t, int node, int port_node[4], int edge[4]) {
  int p0, e0, hops = hc_nearest_io(t, node, &p0, &e0), n = 0;
  for (int k = 0; k < 4 && hops >= 0; k++) {
    int e = kEdgeOrder[k], p;
    if ((t->io_edges & HC_EDGE_BIT(e)) && port_on_edge(t, node / t->C, node % t->C, e, &p) == hops)
      port_node[n] = p, edge[n++] = e;
  }
  return n;
}

void hc_snake_order(const hc_topo *t, int *order) {
  int k = 0;
  for (int i = 0; i < t->R; i++)
    for (int jj = 0; jj < t->C; jj++)
      order[k++] = i * t->C + ((i % 2 == 0) ? jj : t->C - 1 - jj);
}

/* Hamiltonian cycle on an R x C mesh with R even and C >= 2: along row 0
 * eastward, snake rows 1..R-1 over columns 1..C-1 (ending in column 1 of the
 * last row because R-1 is odd), then back north up column 0. */
static void cycle_even_rows(int R, int C, int transpose, int *order) {
  int k = 0;
#define PUT(i, j) order[k++] = transpose ? (j) * R + (i) : (i) * C + (j)
  for (int j = 0; j < C; j++) PUT(0, j);
  for (int i = 1; i < R; i++)
    for (int jj = 0; jj < C - 1; jj++) PUT(i, (i % 2 == 1) ? C - 1 - jj : 1 + jj);
  for (int i = R - 1; i >= 1; i--) PUT(i, 0);
#undef PUT
}

int hc_ring_order(const hc_topo *t, int *order) {
  int R = t->R, C = t->C;
  if (R >= 2 && C >= 2 && R % 2 == 0) {
    cycle_even_rows(R, C, 0, order);
    return 1;
  }
  if (R >= 2 && C >= 2 && C % 2 == 0) {
    /* Build on the transposed mesh (C rows of R), then map back. */
    cycle_even_rows(C, R, 1, order);
    return 1;
  }
  hc_snake_order(t, order);
  return R * C <= 2; /* a 2-node line is a cycle of single hops */
}

int hc_parse_mesh(const char *s, int *R, int *C, char *err, size_t errlen) {
  const char *p = s;
  long v[2];
  for (int k = 0; k < 2; k++) {
    if (!p || !isdigit((unsigned char)*p))
      return hc_err(err, errlen, "malformed --mesh '%s': expected RxC, e.g. 2x2 or 2x3", s ? s : "");
    errno = 0;
    char *end;
    v[k] = strtol(p, &end, 10);
    if (errno || v[k] > 4096)
      return hc_err(err, errlen, "--mesh '%s': dimension too large (max 4096)", s);
    p = end;
    if (k == 0) {
      if (*p != 'x' && *p != 'X')
        return hc_err(err, errlen, "malformed --mesh '%s': expected RxC, e.g. 2x2 or 2x3", s);
      p++;
    }
  }
  if (*p != '\0')
    return hc_err(err, errlen, "malformed --mesh '%s': expected RxC, e.g. 2x2 or 2x3", s);
  if (v[0] < 1 || v[1] < 1)
    return hc_err(err, errlen, "--mesh '%s': rows and columns must be at least 1", s);
  *R = (int)v[0], *C = (int)v[1];
  return 0;
}

int hc_parse_edges(const char *s, unsigned *mask) {
  static const struct { const char *name; int dir; } kEdges[] = {
      {"west", HC_W}, {"east", HC_E}, {"north", HC_N}, {"south", HC_S}};
  *mask = 0;
  char buf[128];
  if (strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  for (char *tok = strtok(buf, ", \t"); tok; tok = strtok(NULL, ", \t")) {
    int found = 0;
    for (size_t k = 0; k < 4; k++)
      if (strcmp(tok, kEdges[k].name) == 0) *mask |= HC_EDGE_BIT(kEdges[k].dir), found = 1;
    if (!found) return -1;
  }
  return *mask ? 0 : -1;
}
