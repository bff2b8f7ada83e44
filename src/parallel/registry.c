/* registry.c: the methods' table (methods.h). Each row points at its
 * method's file; the adapters below give the older entry points the
 * table's one signature. */
#include "hecaton/methods.h"

#include <stdio.h>
#include <string.h>

#include "hecaton/parallel.h"
#include "hecaton/util.h"

/* ---- single: the reference, one rank holding every tensor whole ---------- */
static int single_check(const hc_model_config *c, int R, int C, int b, int s, char *err,
                        size_t errlen) {
  (void)c, (void)b, (void)s;
  if (R * C != 1)
    return hc_err(err, errlen,
                  "--method single runs on one rank, but mpirun started %d: use mpirun -np 1", R * C);
  return 0;
}
static void single_make(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                        int b, int s, int phantom, const hc_method_opts *o) {
  hc_params_alloc(p, c);
  hc_single_method(m, p, b, s);
  hc_single_method_costed(m, comm->ledger, hc_par_charge);
  m->phantom = phantom;
  m->recompute = o ? o->recompute : HC_RECOMPUTE_SELECTIVE;
}
static void single_free(hc_method *m) {
  hc_params *p = m->p;
  hc_single_free(m);
  hc_params_free(p);
}
static double single_params(const hc_method *m) { return (double)m->p->n_params; }

/* ---- the mesh methods ------------------------------------------------------ */
static int hecaton_check(const hc_model_config *c, int R, int C, int b, int s, char *err,
                         size_t errlen) {
  (void)s;
  return hc_hecaton_check(c, R, C, b, err, errlen);
}
static void hecaton_make(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                         int b, int s, int phantom, const hc_method_opts *o) {
  hc_hecaton_opts ho = {.save_gathered = o ? o->save_gathered : 0, .algo = HC_ALGO_DEFAULT,
                        .chunks = o && o->chunks > 0 ? o->chunks : 1};
  hc_hecaton_method(m, p, comm, c, b, s, phantom, &ho);
  m->recompute = o ? o->recompute : HC_RECOMPUTE_SELECTIVE;
}
static int megatron_check(const hc_model_config *c, int R, int C, int b, int s, char *err,
                          size_t errlen) {
  return hc_megatron_check(c, R * C, b, s, 0, err, errlen);
}
static int megatron_sp_check(const hc_model_config *c, int R, int C, int b, int s, char *err,
                             size_t errlen) {
  return hc_megatron_check(c, R * C, b, s, 1, err, errlen);
}
static void megatron_make(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                          int b, int s, int phantom, const hc_method_opts *o) {
  hc_megatron_method(m, p, comm, c, b, s, 0, phantom, o ? o->save_gathered : 0);
  m->recompute = o ? o->recompute : HC_RECOMPUTE_SELECTIVE;
}
static void megatron_sp_make(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                             int b, int s, int phantom, const hc_method_opts *o) {
  hc_megatron_method(m, p, comm, c, b, s, 1, phantom, o ? o->save_gathered : 0);
  m->recompute = o ? o->recompute : HC_RECOMPUTE_SELECTIVE;
}
static void megatron_dp_make(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c,
                             int b, int s, int phantom, const hc_method_opts *o) {
  hc_megatron_dp_method(m, p, comm, c, b, s, phantom, o ? o->save_gathered : 0);
  m->recompute = o ? o->recompute : HC_RECOMPUTE_SELECTIVE;
}
static int summa_check(const hc_model_config *c, int R, int C, int b, int s, char *err,
                       size_t errlen) {
  (void)s;
  return hc_summa_check(c, R, C, b, err, errlen);
}
static void summa_make(hc_method *m, hc_params *p, hc_comm *comm, const hc_model_config *c, int b,
                       int s, int phantom, const hc_method_opts *o) {
  hc_summa_method(m, p, comm, c, b, s, phantom);
  m->recompute = o ? o->recompute : HC_RECOMPUTE_SELECTIVE;
}

const hc_method_desc hc_methods[] = {
    {"single", "the single-process reference (one rank, every tensor whole)", 0, single_check,
     single_make, single_free, single_params, NULL},
    {"hecaton", "Hecaton 2D: row/column all-gathers and reduce-scatters (DESIGN.md 3)", 1,
     hecaton_check, hecaton_make, hc_hecaton_free, hc_hecaton_param_formula,
     hc_hecaton_buffer_bytes},
    {"megatron", "Megatron-LM 1D tensor parallelism over all R*C chiplets", 1, megatron_check,
     megatron_make, hc_megatron_free, hc_megatron_param_formula, hc_megatron_buffer_bytes},
    {"megatron-sp", "Megatron-LM 1D tensor parallelism with sequence parallelism", 1,
     megatron_sp_check, megatron_sp_make, hc_megatron_free, hc_megatron_param_formula,
     hc_megatron_buffer_bytes},
    {"megatron-dp",
     "Megatron-SP in blocks of at most n_heads chiplets, data parallelism over the blocks", 1,
     hc_megatron_dp_check, megatron_dp_make, hc_megatron_free, hc_megatron_param_formula,
     hc_megatron_buffer_bytes},
    {"summa", "SUMMA / Optimus 2D on square meshes (row and column broadcasts)", 1, summa_check,
     summa_make, hc_summa_free, hc_summa_param_formula, hc_summa_buffer_bytes},
};
const int hc_n_methods = (int)(sizeof hc_methods / sizeof hc_methods[0]);

const hc_method_desc *hc_method_find(const char *name) {
  for (int k = 0; name && k < hc_n_methods; k++)
    if (!strcmp(hc_methods[k].name, name)) return &hc_methods[k];
  return NULL;
}

const hc_method_desc *hc_method_of(const hc_method *m) { return hc_method_find(m->name); }

const char *hc_method_list(int mesh_only) {
  static char buf[2][256];
  char *out = buf[mesh_only != 0];
  out[0] = '\0';
  int n = 0, total = 0;
  for (int k = 0; k < hc_n_methods; k++) total += !mesh_only || hc_methods[k].on_mesh;
  for (int k = 0; k < hc_n_methods; k++) {
    if (mesh_only && !hc_methods[k].on_mesh) continue;
    size_t len = strlen(out);
    snprintf(out + len, sizeof buf[0] - len, "%s%s", n == 0 ? "" : n == total - 1 ? " or " : ", ",
             hc_methods[k].name);
    n++;
  }
  return out;
}

int hc_method_check(const char *name, const hc_model_config *c, int R, int C, int b, int s,
                    char *err, size_t errlen) {
  const hc_method_desc *d = hc_method_find(name);
  if (!d) return hc_err(err, errlen, "--method '%s': expected %s", name, hc_method_list(0));
  if ((long long)b * s > (1LL << 30))
    return hc_err(err, errlen, "--batch %d x --seq %d = %lld tokens per step: at most 2^30", b, s,
                  (long long)b * s);
  if (s > c->max_seq_len)
    return hc_err(err, errlen, "--seq %d is longer than the model's max_seq_len %d", s,
                  c->max_seq_len);
  return d->check(c, R, C, b, s, err, errlen);
}
