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
      "  --method M               (default hecaton) one of\n");
  hc_cli_help_methods(0);
  printf(
      "  --model NAME|FILE        (default tiny-64)\n"
      "  --batch B --seq S        (default: B = 2 x lcm(R, C), S = 16)\n"
      "  --steps K                optimizer steps before comparing parameters (default 2)\n"
      "  --rtol X                 tolerance relative to each tensor's largest value\n"
      "                           (default 1e-4 for gradients and logits, 1e-3 for\n"
      "                           parameters after K AdamW steps)\n"
      "  --seed N --algo ring|bidir --save-gathered --chunks K --hw FILE\n"
      "  --recompute MODE         none, selective (default) or full (bare: full)\n"
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
  if (rank == who && x->goff != HC_FROZEN) pc->p->grads[x->goff] += 0.01f;
  return 0;
}

static void header(const char *what, double rtol) {
  printf("%s (pass: |mesh - reference| <= %.0e x max|reference| per tensor)\n", what, rtol);
  printf("  %-40s %9s %11s %11s %9s %14s %14s  %s\n", "tensor", "elements", "max abs", "max rel",
         "worst", "mesh", "reference", "");
}

/* The command line. */
typedef struct {
  const char *method, *model, *algo, *perturb;
  int b, s, steps, seed;
  double rtol_g, rtol_p; /* gradients and logits; parameters after the steps */
  hc_cli_common common;
  hc_method_opts mo;
  hc_cli_lora lora;
} gc_args;

static int parse_options(int argc, char **argv, gc_args *a, char *err, size_t errlen) {
  *a = (gc_args){.method = "hecaton", .model = "tiny-64", .algo = "ring", .s = 16, .steps = 2,
                 .seed = 1234, .rtol_g = 1e-4, .rtol_p = 1e-3,
                 .common = {.hw_path = "models/hw/standard.ini"}, .mo = {.chunks = 1}};
  double rtol = 0;
  const hc_cli_opt opts[] = {
      HC_STRING("method", &a->method), HC_STRING("model", &a->model),
      HC_STRING("mesh", &a->common.mesh), HC_INT("batch", &a->b, 1),
      HC_INT("seq", &a->s, 1),         HC_INT("steps", &a->steps, 1),
      HC_POSITIVE("rtol", &rtol),      HC_INT("seed", &a->seed, 1),
      HC_STRING("algo", &a->algo),     HC_FLAG("save-gathered", &a->mo.save_gathered),
      HC_RECOMPUTE("recompute", &a->mo.recompute),
      HC_INT("chunks", &a->mo.chunks, 1), HC_STRING("hw", &a->common.hw_path),
      HC_STRING("perturb", &a->perturb), HC_LORA_OPTS(&a->lora)};
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, errlen);
  if (rc) return rc;
  if (rtol > 0) a->rtol_g = a->rtol_p = rtol;
  return hc_cli_algo(a->algo, &a->common.algo, err, errlen);
}

/* The default batch: 2 x lcm(R, C) sequences, grown until the step's tokens
 * split over R*C (megatron-sp splits them over every chiplet). */
static int default_batch(int R, int C, int s) {
  int l = hc_cli_default_batch(R, C) / 2, b = 2 * l;
  while (((long)b * s) % (R * C)) b += l;
  return b;
}

/* Everything set up and agreed: options, model, mesh, batch, the method's
 * check, the --perturb name. 0, HC_CLI_HELP, or -1 after one message. */
static int set_up(int argc, char **argv, gc_args *a, hc_model_config *cfg, hc_cli_env *env) {
  char err[HC_ERRLEN], pbuf[1024];
  int rc = parse_options(argc, argv, a, err, sizeof err);
  if (rc == HC_CLI_HELP) return rc;
  if (!rc) rc = hc_model_config_load(hc_cli_model_path(a->model, pbuf, sizeof pbuf), cfg, err, sizeof err);
  if (!rc) rc = hc_cli_lora_apply(&a->lora, cfg, err, sizeof err);
  if (hc_agree(MPI_COMM_WORLD, rc ? err : NULL) || hc_cli_env_init(env, &a->common)) return -1;
  if (!a->b) a->b = default_batch(env->mesh.topo.R, env->mesh.topo.C, a->s);
  rc = hc_cli_method_check(a->method, env, cfg, a->b, a->s, err, sizeof err);
  if (!rc) rc = hc_model_fits_memory(cfg, err, sizeof err);
  if (!rc && a->perturb) {
    hc_params names; /* the descriptor's names, without buffers */
    hc_params_alloc_sharded(&names, cfg, hc_shard_whole, NULL, 0);
    if (!hc_params_find(&names, a->perturb))
      rc = hc_err(err, sizeof err, "--perturb '%s': no such tensor (e.g. layers.0.attention.wq.weight)",
                  a->perturb);
    hc_params_free(&names);
  }
  if (hc_agree(MPI_COMM_WORLD, rc ? err : NULL)) {
    hc_cli_env_free(env);
    return -1;
  }
  return 0;
}

/* The method on the mesh and the single-process reference (rank 0), from
 * the same weights, with what the comparison needs. */
typedef struct {
  hc_method m;
  hc_params p;
  hc_model md;
  hc_params ref, got; /* rank 0: the reference, the mesh's reassembled */
  hc_method rm;
  hc_model rmd;
  float *logits;      /* rank 0: the mesh's, reassembled */
  float *allow;       /* rank 0: per parameter element, the extra tolerance */
  size_t n_noise;
  int ok;
} gc_pair;

static void pair_make(gc_pair *g, const gc_args *a, hc_cli_env *env, const hc_model_config *cfg) {
  memset(g, 0, sizeof *g);
  g->ok = 1;
  hc_cli_method_make(a->method, env, cfg, a->b, a->s, 0, &a->mo, &g->m, &g->p);
  /* LoRA's B starts at zero, which would leave A's gradient zero: the
   * check starts both from random adapters. */
  hc_params_init(&g->p, (uint64_t)a->seed);
  hc_params_randomize_lora_b(&g->p, (uint64_t)a->seed);
  hc_model_init(&g->md, &g->m);
  if (env->mesh.rank != 0) return;
  hc_params_alloc(&g->ref, cfg);
  hc_params_init(&g->ref, (uint64_t)a->seed);
  hc_params_randomize_lora_b(&g->ref, (uint64_t)a->seed);
  hc_params_alloc(&g->got, cfg);
  hc_single_method(&g->rm, &g->ref, a->b, a->s);
  hc_model_init(&g->rmd, &g->rm);
  g->logits = hc_malloc((size_t)a->b * a->s * (size_t)cfg->vocab_size * sizeof(float));
  g->allow = hc_calloc(hc_param_count(cfg), sizeof(float));
}

static void pair_free(gc_pair *g, int rank) {
  if (rank == 0) {
    hc_model_free(&g->rmd);
    hc_params_free(&g->ref);
    hc_params_free(&g->got);
  }
  free(g->logits);
  free(g->allow);
  hc_model_free(&g->md);
  hc_cli_method_free(&g->m);
}

/* Rank 0, after step 1: loss, logits, gradient norm and every gradient;
 * and the allowance of the parameter check for gradients at noise level. */
static void check_step1(gc_pair *g, const gc_args *a, const hc_step_result *mesh,
                        const hc_step_result *ref, double lr) {
  size_t TV = (size_t)a->b * a->s * (size_t)g->m.cfg.vocab_size;
  double rtol = a->rtol_g;
  header("step 1: loss, logits and gradients", rtol);
  g->ok &= row("loss", &mesh->loss, &ref->loss, 1, rtol, NULL);
  g->ok &= row("logits", g->logits, g->rmd.logits, TV, rtol, NULL);
  g->ok &= row("grad norm", (float[]){(float)mesh->grad_norm}, (float[]){(float)ref->grad_norm}, 1,
               rtol, NULL);
  for (size_t t = 0; t < g->ref.n_tensors; t++) {
    const hc_tensor *x = &g->ref.tensors[t];
    if (x->goff == HC_FROZEN) continue; /* LoRA's base: no gradient */
    const float *want = g->ref.grads + x->goff;
    g->ok &= row(x->spec.name, g->got.grads + x->goff, want, x->numel, rtol, NULL);
    /* Adam moves a parameter by up to lr per step whatever the size of its
     * gradient, so gradients at the rounding-noise level (within the
     * tolerance of zero) may take the mesh and the reference up to lr
     * apart per step: those elements get that allowance. */
    float gmax = 0;
    for (size_t e = 0; e < x->numel; e++) gmax = fmaxf(gmax, fabsf(want[e]));
    for (size_t e = 0; e < x->numel; e++) {
      int noise = fabsf(want[e]) <= rtol * gmax;
      g->allow[x->offset + e] = noise ? (float)(2 * a->steps * lr) : 0.0f;
      g->n_noise += noise;
    }
  }
}

/* Step 1's tensors reassembled on rank 0, checked with the ledger of the step. */
static void gather_step1(gc_pair *g, const gc_args *a, hc_cli_env *env, const hc_step_result *mesh,
                         const hc_step_result *ref, double lr) {
  const hc_method *m = &g->m;
  hc_params_gather_full(&g->p, 1, MPI_COMM_WORLD, &g->got);
  hc_gather_blocks(g->md.logits, m->t0_2, (size_t)m->T2, m->v0_2, (size_t)m->V2,
                   (size_t)m->cfg.vocab_size, MPI_COMM_WORLD, g->logits);
  hc_ledger_report rep;
  hc_ledger_gather(&env->ledger, env->mesh.cart, &rep);
  if (env->mesh.rank != 0) return;
  check_step1(g, a, mesh, ref, lr);
  printf("ledger of the checked step (forward, backward, gradient norm):\n");
  hc_ledger_print(&rep, stdout);
  hc_ledger_report_free(&rep);
}

/* K steps, the same batch on both; both take the same clipped AdamW step
 * and the check reads the gradients after backward, before the update. */
static void run_steps(gc_pair *g, const gc_args *a, hc_cli_env *env, double lr) {
  int *batch = hc_malloc((size_t)a->b * (size_t)(a->s + 1) * sizeof(int));
  hc_rng r;
  hc_rng_seed(&r, (uint64_t)a->seed * 7919u);
  hc_adamw opt = {0.9, 0.95, 1e-8, 0.1};
  for (int step = 1; step <= a->steps; step++) {
    hc_cli_random_tokens(&r, batch, a->b, a->s, g->m.cfg.vocab_size); /* the same on every rank */
    hc_ledger_reset(&env->ledger);
    perturb_ctx pc = {&g->p, step == 1 ? a->perturb : NULL};
    hc_step_opts so = {.opt = &opt, .lr = lr, .clip = 1.0, .t = step,
                       .after_backward = perturb_hook, .arg = &pc};
    hc_step_result res = hc_train_step(&g->md, batch, &so), rres = {0};
    if (env->mesh.rank == 0) {
      hc_step_opts ro = {.opt = &opt, .lr = lr, .clip = 1.0, .t = step};
      rres = hc_train_step(&g->rmd, batch, &ro);
    }
    if (step == 1) gather_step1(g, a, env, &res, &rres, lr);
  }
  free(batch);
}

/* Rank 0: the parameters after the steps. */
static void check_params(gc_pair *g, const gc_args *a, double lr) {
  char what[96];
  snprintf(what, sizeof what, "parameters after %d AdamW step(s), lr %.0e", a->steps, lr);
  header(what, a->rtol_p);
  printf("  (+ %d x 2 lr on the %zu elements whose step-1 gradient is within the gradient\n"
         "   tolerance of zero, where Adam's normalised step follows rounding noise)\n", a->steps,
         g->n_noise);
  for (size_t t = 0; t < g->ref.n_tensors; t++) {
    const hc_tensor *x = &g->ref.tensors[t];
    g->ok &= row(x->spec.name, g->got.params + x->offset, g->ref.params + x->offset, x->numel,
                 a->rtol_p, g->allow + x->offset);
  }
}

int hc_cmd_gradcheck(int argc, char **argv) {
  gc_args a;
  hc_model_config cfg;
  hc_cli_env env;
  int rc = set_up(argc, argv, &a, &cfg, &env);
  if (rc) return rc == HC_CLI_HELP ? 0 : 1;
  int rank = env.mesh.rank, R = env.mesh.topo.R, C = env.mesh.topo.C;
  const double lr = 1e-3;
  gc_pair g;
  pair_make(&g, &a, &env, &cfg);
  if (rank == 0)
    printf("# hecaton gradcheck: method %s on a %dx%d mesh vs the single-process reference; "
           "model %s, batch %d x %d, seed %d, %d optimizer step(s)\n",
           a.method, R, C, cfg.name, a.b, a.s, a.seed, a.steps);
  run_steps(&g, &a, &env, lr);
  hc_params_gather_full(&g.p, 0, MPI_COMM_WORLD, &g.got);
  if (rank == 0) {
    check_params(&g, &a, lr);
    printf("gradcheck %s: method %s, mesh %dx%d, model %s\n", g.ok ? "PASSED" : "FAILED", a.method,
           R, C, cfg.name);
  }
  MPI_Bcast(&g.ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  int ok = g.ok;
  pair_free(&g, rank);
  hc_cli_env_free(&env);
  return ok ? 0 : 1;
}
