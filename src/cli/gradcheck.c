/* gradcheck.c: `hecaton gradcheck`: one batch, the same weights, the
 * single-process reference (on rank 0) against a method on the mesh:
 * loss, logits and every parameter gradient reassembled into full tensors,
 * then the parameters after k optimizer steps. One row per tensor; exits
 * non-zero on any failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/args.h"
#include "hecaton/compare.h"
#include "hecaton/model.h"
#include "hecaton/optim.h"
#include "hecaton/parallel.h"
#include "hecaton/rng.h"
#include "hecaton/step.h"
#include "hecaton/util.h"

static void help(void) {
  printf(
      "usage: mpirun -np R*C hecaton gradcheck --method M --mesh RxC [options]\n"
      "  --method M               hecaton, megatron, megatron-sp, summa (or single)\n"
      "  --model NAME|FILE        (default tiny-64)\n"
      "  --batch B --seq S        (default: B = 2 x lcm(R, C), S = 16)\n"
      "  --steps K                optimizer steps before comparing parameters (default 2)\n"
      "  --rtol X                 tolerance relative to each tensor's largest value\n"
      "                           (default 1e-4 for gradients and logits, 1e-3 for\n"
      "                           parameters after K AdamW steps)\n"
      "  --seed N --algo ring|bidir --save-gathered --chunks K --hw FILE\n"
      "  --perturb NAME           test hook: add 0.01 to one element of one shard of\n"
      "                           that gradient (the check must then fail, naming it)\n");
}

/* One row of the table; returns 1 when within tolerance. The bound is
 * |got - want| <= rtol * max|want| (normwise), so near-zero elements of a
 * tensor are judged at the tensor's scale. */
static int row(const char *name, const float *got, const float *want, size_t n, double rtol,
               const float *allow) {
  double scale = 0;
  for (size_t k = 0; k < n; k++) scale = fmax(scale, fabs(want[k]));
  double atol = rtol * (scale > 0 ? scale : 1.0);
  hc_cmp c = hc_compare_allow(got, want, n, atol, 0.0, allow);
  int ok = c.nbad == 0;
  printf("  %-40s %9zu %11.3e %11.3e %9zu %14.7e %14.7e  %s\n", name, n, c.max_abs,
         scale > 0 ? c.max_abs / scale : c.max_abs, c.worst, c.got, c.want, ok ? "pass" : "FAIL");
  return ok;
}

/* Test hook (--perturb): after backward, add 0.01 to one element of one
 * shard of that gradient, so that the check must fail naming it. */
typedef struct {
  hc_params *p;
  const char *name;
} perturb_ctx;

static int perturb_hook(void *arg, hc_model *md, const int *batch, float loss) {
  (void)md, (void)batch, (void)loss;
  perturb_ctx *pc = arg;
  if (!pc->name) return 0;
  int rank, who, mine;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const hc_tensor *x = hc_params_find(pc->p, pc->name);
  mine = x && x->owner && x->numel ? rank : -1;
  MPI_Allreduce(&mine, &who, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == who) pc->p->grads[x->offset] += 0.01f;
  return 0;
}

static void header(const char *what, double rtol) {
  printf("%s (pass: |mesh - reference| <= %.0e x max|reference| per tensor)\n", what, rtol);
  printf("  %-40s %9s %11s %11s %9s %14s %14s  %s\n", "tensor", "elements", "max abs", "max rel",
         "worst", "mesh", "reference", "");
}

int hc_cmd_gradcheck(int argc, char **argv) {
  const char *method = "hecaton", *model = "tiny-64", *mesh = NULL, *bs = NULL, *ss = "16",
             *ks = "2", *rt = NULL, *seed_s = "1234", *algo = "ring", *save_g = NULL,
             *hw = "models/hw/standard.ini", *perturb = NULL, *helpf = NULL, *chunks_s = NULL;
  const hc_cli_opt opts[] = {
      {"--method", 1, &method}, {"--model", 1, &model},   {"--mesh", 1, &mesh},
      {"--batch", 1, &bs},      {"--seq", 1, &ss},        {"--steps", 1, &ks},
      {"--rtol", 1, &rt},       {"--seed", 1, &seed_s},   {"--algo", 1, &algo},
      {"--save-gathered", 0, &save_g}, {"--chunks", 1, &chunks_s}, {"--hw", 1, &hw},  {"--perturb", 1, &perturb},
      {"--help", 0, &helpf}};
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char err[HC_ERRLEN], pbuf[1024];
  int bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err, sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0) help();
    return 0;
  }
  hc_cli_common co = {.mesh = mesh, .hw_path = hw};
  int s = 0, K = 0, seed = 0;
  bad = bad || hc_arg_int(ss, "--seq", 1, &s, err, sizeof err) ||
        hc_arg_int(ks, "--steps", 1, &K, err, sizeof err) ||
        hc_arg_int(seed_s, "--seed", 1, &seed, err, sizeof err);
  if (!bad && hc_parse_algo(algo, &co.algo))
    bad = hc_err(err, sizeof err, "--algo '%s': expected ring or bidir", algo) != 0;
  double rtol_g = 1e-4, rtol_p = 1e-3;
  if (!bad && rt) {
    char *end;
    rtol_g = rtol_p = strtod(rt, &end);
    if (*end || !(rtol_g > 0)) bad = hc_err(err, sizeof err, "--rtol '%s': expected a positive number", rt) != 0;
  }
  hc_model_config cfg;
  if (!bad) bad = hc_model_config_load(hc_cli_model_path(model, pbuf, sizeof pbuf), &cfg, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  hc_cli_env env;
  if (hc_cli_env_init(&env, &co)) return 1;
  int R = env.mesh.topo.R, C = env.mesh.topo.C, b = 0;
  if (bs) {
    bad = hc_arg_int(bs, "--batch", 1, &b, err, sizeof err) != 0;
  } else {
    int l = R > C ? R : C;
    while (l % R || l % C) l++;
    b = 2 * l;
    while (((long)b * s) % (R * C)) b += l; /* megatron-sp splits the step's tokens over R*C */
  }
  if (!bad) bad = hc_cli_method_check(method, &env, &cfg, b, s, err, sizeof err) != 0;
  if (!bad) bad = hc_model_fits_memory(&cfg, err, sizeof err) != 0;
  if (!bad && perturb) {
    hc_params names; /* the descriptor's names, without buffers */
    hc_params_alloc_sharded(&names, &cfg, hc_shard_whole, NULL, 0);
    if (!hc_params_find(&names, perturb))
      bad = hc_err(err, sizeof err, "--perturb '%s': no such tensor (e.g. layers.0.attention.wq.weight)",
                   perturb) != 0;
    hc_params_free(&names);
  }
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) {
    hc_cli_env_free(&env);
    return 1;
  }

  hc_method_opts mo = {.save_gathered = save_g != NULL, .chunks = 1};
  bad = hc_arg_int(chunks_s, "--chunks", 1, &mo.chunks, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) {
    hc_cli_env_free(&env);
    return 1;
  }
  hc_method m;
  hc_params p;
  hc_cli_method_make(method, &env, &cfg, b, s, 0, &mo, &m, &p);
  hc_params_init(&p, (uint64_t)seed);
  hc_model md;
  hc_model_init(&md, &m);
  /* The reference, on rank 0 only. */
  hc_params ref, got;
  hc_method rm;
  hc_model rmd;
  if (rank == 0) {
    hc_params_alloc(&ref, &cfg);
    hc_params_init(&ref, (uint64_t)seed);
    hc_params_alloc(&got, &cfg);
    hc_single_method(&rm, &ref, b, s);
    hc_model_init(&rmd, &rm);
    printf("# hecaton gradcheck: method %s on a %dx%d mesh vs the single-process reference; "
           "model %s, batch %d x %d, seed %d, %d optimizer step(s)\n",
           method, R, C, cfg.name, b, s, seed, K);
  }
  size_t T = (size_t)b * s, V = (size_t)cfg.vocab_size;
  int *batch = hc_malloc((size_t)b * (size_t)(s + 1) * sizeof(int));
  hc_rng r;
  hc_rng_seed(&r, (uint64_t)seed * 7919u);
  hc_adamw opt = {0.9, 0.95, 1e-8, 0.1};
  int ok = 1;
  float *logits_full = rank == 0 ? hc_malloc(T * V * sizeof(float)) : NULL;
  float *allow = rank == 0 ? hc_calloc(hc_param_count(&cfg), sizeof(float)) : NULL;
  size_t n_noise = 0;
  const double lr = 1e-3;
  for (int step = 1; step <= K; step++) {
    for (size_t k = 0; k < (size_t)b * (size_t)(s + 1); k++)
      batch[k] = (int)(hc_rng_u64(&r) % V); /* the same tokens on every rank */
    hc_ledger_reset(&env.ledger);
    /* Both take the same clipped AdamW step; the check reads the gradients
     * after backward, before the update. */
    perturb_ctx pc = {&p, step == 1 ? perturb : NULL};
    hc_step_opts so = {.opt = &opt, .lr = lr, .clip = 1.0, .t = step,
                       .after_backward = perturb_hook, .arg = &pc};
    hc_step_result res = hc_train_step(&md, batch, &so);
    float loss = res.loss;
    double norm = res.grad_norm;
    float rloss = 0;
    double rnorm = 0;
    if (rank == 0) {
      hc_step_opts ro = {.opt = &opt, .lr = lr, .clip = 1.0, .t = step};
      hc_step_result rr = hc_train_step(&rmd, batch, &ro);
      rloss = rr.loss, rnorm = rr.grad_norm;
    }
    if (step == 1) {
      hc_params_gather_full(&p, 1, MPI_COMM_WORLD, &got);
      hc_gather_blocks(md.logits, m.t0_2, (size_t)m.T2, m.v0_2, (size_t)m.V2, V, MPI_COMM_WORLD,
                       logits_full);
      hc_ledger_report rep;
      hc_ledger_gather(&env.ledger, env.mesh.cart, &rep);
      if (rank == 0) {
        header("step 1: loss, logits and gradients", rtol_g);
        ok &= row("loss", &loss, &rloss, 1, rtol_g, NULL);
        ok &= row("logits", logits_full, rmd.logits, T * V, rtol_g, NULL);
        ok &= row("grad norm", (float[]){(float)norm}, (float[]){(float)rnorm}, 1, rtol_g, NULL);
        for (size_t t = 0; t < ref.n_tensors; t++) {
          const hc_tensor *x = &ref.tensors[t];
          ok &= row(x->spec.name, got.grads + x->offset, ref.grads + x->offset, x->numel, rtol_g, NULL);
          /* Adam moves a parameter by up to lr per step whatever the size of
           * its gradient, so gradients at the rounding-noise level (within
           * the tolerance of zero) may take the mesh and the reference up
           * to lr apart per step: those elements get that allowance. */
          float gmax = 0;
          for (size_t e = 0; e < x->numel; e++) gmax = fmaxf(gmax, fabsf(ref.grads[x->offset + e]));
          for (size_t e = 0; e < x->numel; e++) {
            int noise = fabsf(ref.grads[x->offset + e]) <= rtol_g * gmax;
            allow[x->offset + e] = noise ? (float)(2 * K * lr) : 0.0f;
            n_noise += noise;
          }
        }
        printf("ledger of the checked step (forward, backward, gradient norm):\n");
        hc_ledger_print(&rep, stdout);
        hc_ledger_report_free(&rep);
      }
    }
  }
  hc_params_gather_full(&p, 0, MPI_COMM_WORLD, &got);
  if (rank == 0) {
    char what[96];
    snprintf(what, sizeof what, "parameters after %d AdamW step(s), lr %.0e", K, lr);
    header(what, rtol_p);
    printf("  (+ %d x 2 lr on the %zu elements whose step-1 gradient is within the gradient\n"
           "   tolerance of zero, where Adam's normalised step follows rounding noise)\n", K, n_noise);
    for (size_t t = 0; t < ref.n_tensors; t++) {
      const hc_tensor *x = &ref.tensors[t];
      ok &= row(x->spec.name, got.params + x->offset, ref.params + x->offset, x->numel, rtol_p,
                allow + x->offset);
    }
    printf("gradcheck %s: method %s, mesh %dx%d, model %s\n", ok ? "PASSED" : "FAILED", method, R,
           C, cfg.name);
    hc_model_free(&rmd);
    hc_params_free(&ref);
    hc_params_free(&got);
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  free(batch);
  free(logits_full);
  free(allow);
  hc_model_free(&md);
  hc_cli_method_free(&m);
  hc_cli_env_free(&env);
  return ok ? 0 : 1;
}
