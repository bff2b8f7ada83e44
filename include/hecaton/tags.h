/* tags.h: what the cost model files work under: the phase of a training
 * step, the kind of operation, and the engines of a chiplet. No MPI, so the
 * model code can name them. */
#ifndef HECATON_TAGS_H
#define HECATON_TAGS_H

enum hc_phase { HC_PHASE_FWD, HC_PHASE_BWD, HC_PHASE_OPT, HC_PHASE_OTHER, HC_NPHASES };
enum hc_opkind {
  HC_OPK_LINEAR, HC_OPK_NORM, HC_OPK_ATTN, HC_OPK_EMBED, HC_OPK_LOSS,
  HC_OPK_OTHER, HC_OPK_DRAM, HC_NOPKINDS
};
/* A chiplet's engines, each with a busy-until clock. */
enum hc_engine { HC_ENG_COMPUTE, HC_ENG_NOP, HC_ENG_DRAM, HC_NENGINES };

#endif
