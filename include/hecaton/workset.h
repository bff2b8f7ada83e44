/* workset.h: what one operation needs on the die at once, as the model
 * states it next to the operation (no MPI, no cost internals): the SRAM
 * model (cost.h) decides from it what fits, what is tiled and what goes to
 * DRAM. Counts are elements over all the rows this chiplet runs in one step:
 * weights and activations in the training precision, gradients and
 * optimizer state in fp32. */
#ifndef HECATON_WORKSET_H
#define HECATON_WORKSET_H

typedef struct {
  const char *name; /* the row of the report: "wq,wk,wv", "attention", ... */
  double weights;   /* the parameter block every row reads (a linear's W) */
  double grads;     /* the fp32 gradient block every row adds to (backward) */
  double reused;    /* activations every row of a unit reads (attention: K, V) */
  double in, out;   /* activations read and written, per unit */
  double units;     /* independent pieces run one after another (attention:
                       sequences x heads); 0 counts as 1 */
  double updated;   /* parameters the optimizer steps (AdamW's slice) */
} hc_workset;

#endif
