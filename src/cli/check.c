/* check.c: `train --check`: the first step of a training run checked
 * against the single-process reference on the same weights and batch. The
 * mesh's parameters and gradients are reassembled into full tensors on
 * rank 0 (host-side checking traffic, not counted on the mesh), the
 * reference runs the step there, and one line says how far apart they are. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/compare.h"
#include "hecaton/parallel.h"
#include "hecaton/util.h"

/* Normwise comparison of one tensor: |got - want| <= rtol * max |want|;
 * the error is reported relative to that largest value. */
static hc_cmp compare_tensor(const float *got, const float *want, size_t n, double rtol, double *rel) {
  double scale = 0;
  for (size_t k = 0; k < n; k++) scale = fmax(scale, fabs(want[k]));
  scale = scale > 0 ? scale : 1.0;
  hc_cmp c = hc_compare(got, want, n, rtol * scale, 0.0);
  *rel = c.max_abs / scale;
  return c;
}

int hc_cli_check_step(hc_trainer *tr, hc_model *md, const int *batch, float loss) {
  const hc_cli_check *ck = tr->check_arg;
  hc_method *m = tr->m;
  int rank;
  MPI_Comm_rank(tr->comm, &rank);
  hc_params full;
  float *got = NULL;
  if (rank == 0) hc_params_alloc(&full, &m->cfg);
  hc_params_gather_full(m->p, 0, tr->comm, &full);
  hc_params_gather_full(m->p, 1, tr->comm, &full);
  (void)md;
  char err[HC_ERRLEN] = "";
  int bad = 0;
  if (rank == 0) {
    got = hc_malloc((full.n_train ? full.n_train : 1) * sizeof(float));
    memcpy(got, full.grads, full.n_train * sizeof(float));
    hc_params_zero_grads(&full);
    hc_method rm;
    hc_model rmd;
    hc_single_method(&rm, &full, m->b, m->s);
    hc_model_init(&rmd, &rm);
    float rloss = hc_model_forward(&rmd, batch);
    hc_model_backward(&rmd);
    double worst = -1;
    const char *worst_name = "";
    hc_cmp wc = {0};
    size_t nbad = 0;
    for (size_t t = 0; t < full.n_tensors; t++) {
      const hc_tensor *x = &full.tensors[t];
      if (x->goff == HC_FROZEN) continue; /* LoRA's base: no gradient */
      double e;
      hc_cmp c = compare_tensor(got + x->goff, full.grads + x->goff, x->numel, ck->rtol, &e);
      nbad += c.nbad > 0;
      if (!(e <= worst)) worst = e, worst_name = x->spec.name, wc = c;
    }
    int ok = nbad == 0 && fabs((double)loss - rloss) <= ck->rtol * fabs(rloss);
    printf("gradient check of step 1 against the single-process reference: loss %.6f vs %.6f; "
           "%zu gradient tensors, worst %s[%zu] %.7g vs %.7g, %.1e of the tensor's largest value "
           "(bound %.0e): %s\n",
           loss, rloss, full.n_tensors, worst_name, wc.worst, wc.got, wc.want, worst, ck->rtol,
           ok ? "PASSED" : "FAILED");
    if (!ok)
      bad = hc_err(err, sizeof err, "the gradient check of step 1 FAILED (%zu tensor(s) over %.0e): "
                   "run 'hecaton gradcheck' on this mesh for the table", nbad, ck->rtol) != 0;
    fflush(stdout);
    hc_model_free(&rmd);
    hc_params_free(&full);
    free(got);
  }
  return hc_agree(tr->comm, bad ? err : NULL);
}
