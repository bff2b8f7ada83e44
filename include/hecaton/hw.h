/* hw.h: the hardware description of a chiplet package, read from
 * models/hw/<name>.ini. Units are SI (bytes, seconds, FLOP/s, pJ). */
#ifndef HECATON_HW_H
#define HECATON_HW_H

#include <stddef.h>

typedef struct {
  /* [die] one compute chiplet */
  double peak_flops;   /* FLOP/s */
  double compute_eff;  /* achieved fraction of peak, (0,1] */
  double sram_bytes;   /* on-die SRAM */
  double pj_per_flop;
  /* [link] one direction of one die-to-die mesh link */
  double link_bw;      /* bytes/s */
  double link_latency; /* seconds per hop (alpha) */
  double msg_overhead; /* seconds per message (o) */
  double link_eff;     /* achieved fraction of bandwidth (eta), (0,1] */
  double link_pj_per_bit;
  int elem_bytes;      /* bytes per tensor element on the wire */
  /* [io] I/O dies on the mesh edge */
  unsigned io_edges;   /* which edges carry I/O dies (topo.h edge bits) */
  double io_port_bw;   /* bytes/s, chiplet <-> I/O die, each direction */
  /* [dram] memory behind each I/O die */
  double dram_bw;      /* bytes/s per I/O die */
  double dram_pj_per_bit;
  char name[64];       /* [package] name */
} hc_hw;

/* Load and validate; 0 ok, -1 with "file:line: [section] key: reason". */
int hc_hw_load(const char *path, hc_hw *hw, char *err, size_t errlen);

/* Rule A (DESIGN.md section 5): one transfer of a step that crosses `hops`
 * links and whose busiest link carries `busiest_bytes` in that step. */
static inline double hc_hw_transfer_time(const hc_hw *hw, int hops,
                                         double busiest_bytes) {
  return hw->msg_overhead + hops * hw->link_latency +
         busiest_bytes / (hw->link_bw * hw->link_eff);
}

#endif
