/* hw.c: the hardware file's keys, checked through the INI table. */
#include "hecaton/hw.h"

#include <stddef.h>
#include <string.h>

#include "hecaton/ini.h"
#include "hecaton/util.h"

#define R HC_KEY_REQUIRED
#define F (HC_KEY_REQUIRED | HC_KEY_FRACTION)
static const hc_ini_key kHwKeys[] = {
    {"package", "name", HC_KEY_STRING, offsetof(hc_hw, name), R},
    {"die", "peak_flops", HC_KEY_DOUBLE, offsetof(hc_hw, peak_flops), R},
    {"die", "efficiency", HC_KEY_DOUBLE, offsetof(hc_hw, compute_eff), F},
    {"die", "sram_bytes", HC_KEY_DOUBLE, offsetof(hc_hw, sram_bytes), R},
    {"die", "pj_per_flop", HC_KEY_DOUBLE, offsetof(hc_hw, pj_per_flop), R},
    {"link", "bandwidth", HC_KEY_DOUBLE, offsetof(hc_hw, link_bw), R},
    {"link", "latency", HC_KEY_DOUBLE, offsetof(hc_hw, link_latency), R},
    {"link", "overhead", HC_KEY_DOUBLE, offsetof(hc_hw, msg_overhead), R},
    {"link", "efficiency", HC_KEY_DOUBLE, offsetof(hc_hw, link_eff), F},
    {"link", "pj_per_bit", HC_KEY_DOUBLE, offsetof(hc_hw, link_pj_per_bit), R},
    {"link", "element_bytes", HC_KEY_INT, offsetof(hc_hw, elem_bytes), R},
    {"io", "edges", HC_KEY_EDGES, offsetof(hc_hw, io_edges), R},
    {"io", "port_bandwidth", HC_KEY_DOUBLE, offsetof(hc_hw, io_port_bw), R},
    {"dram", "bandwidth", HC_KEY_DOUBLE, offsetof(hc_hw, dram_bw), R},
    {"dram", "pj_per_bit", HC_KEY_DOUBLE, offsetof(hc_hw, dram_pj_per_bit), R},
};
#undef R
#undef F

int hc_hw_load(const char *path, hc_hw *hw, char *err, size_t errlen) {
  memset(hw, 0, sizeof *hw);
  if (hc_ini_load(path, kHwKeys, sizeof kHwKeys / sizeof kHwKeys[0], hw, err, errlen))
    return -1;
  /* A wire format: 8-bit to 64-bit elements (FP8 .. FP64). */
  int e = hw->elem_bytes;
  if (e != 1 && e != 2 && e != 4 && e != 8)
    return hc_err(err, errlen, "%s: [link] element_bytes: '%d' must be 1, 2, 4 or 8", path, e);
  return 0;
}
