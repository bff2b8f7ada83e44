/* methods.h: the registry of parallel methods, the one table that the
 * commands (train, gradcheck, compare, bench-step), the estimator and the
 * help texts read. A method is a row: its name and summary, whether it can
 * run a configuration on an R x C mesh, how to build it on a mesh, how to
 * free it, and its closed forms (parameters and communication buffers per
 * chiplet). Adding a method is one new file under src/parallel/ and one
 * row in registry.c. */
#ifndef HECATON_METHODS_H
#define HECATON_METHODS_H

#include <stddef.h>

#include "hecaton/comm.h"
#include "hecaton/model.h"

/* Options a method may honour (others ignore them). */
typedef struct {
  int save_gathered; /* keep gathered linear inputs for backward */
  int chunks;        /* hecaton: forward linears in this many token chunks */
  hc_recompute recompute; /* activation recomputation (model.h); 0: selective */
} hc_method_opts;

typedef struct {
  const char *name;
  const char *summary; /* one line for the help texts */
  int on_mesh;         /* 0: the single-process reference (one rank, full tensors) */
  /* 0 if it can run model c with b sequences of s tokens on an R x C mesh,
   * else -1 with the reason (naming the dimension and the valid sizes). */
  int (*check)(const hc_model_config *c, int R, int C, int b, int s, char *err, size_t errlen);
  /* Build it on comm's mesh with p as its parameter shards (allocated here;
   * only the table when phantom); its cost model is comm's ledger. */
  void (*make)(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c, int b, int s,
               int phantom, const hc_method_opts *o);
  void (*free)(hc_method *m); /* frees the method's state and p */
  /* Closed forms per chiplet: parameter floats, communication buffer bytes
   * (NULL: none beyond the comm's). */
  double (*param_floats)(const hc_method *m);
  size_t (*buffer_bytes)(const hc_method *m);
} hc_method_desc;

extern const hc_method_desc hc_methods[];
extern const int hc_n_methods;

/* The row of that name, or NULL. */
const hc_method_desc *hc_method_find(const char *name);
/* The row of a built method (m->name). */
const hc_method_desc *hc_method_of(const hc_method *m);
/* "single, hecaton, megatron, megatron-sp or summa" (mesh_only: without
 * single), for messages. */
const char *hc_method_list(int mesh_only);
/* The check every method shares (tokens per step, sequence length), then
 * the method's own; an unknown name is refused with the list. */
int hc_method_check(const char *name, const hc_model_config *c, int R, int C, int b, int s,
                    char *err, size_t errlen);

#endif
