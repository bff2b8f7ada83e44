/* bench_step.c: `hecaton bench-step`: the wall time of a training step of a
 * model on the mesh (one BLAS thread per rank) next to the single-process
 * reference using as many BLAS threads as there are ranks, measured in the
 * same run, and their ratio: what the emulation's communication and
 * sharding cost on this machine. A benchmark, not a test. */
#define _GNU_SOURCE /* sched_getaffinity */
#include <sched.h>
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "hecaton/rng.h"
#include "hecaton/threads.h"
#include "hecaton/util.h"

static void help(void) {
  printf("usage: OPENBLAS_NUM_THREADS=2 mpirun --bind-to none -np 2 hecaton bench-step [--mesh 1x2] [--model small] [--batch 4] [--seq 256] [--steps 3]\n"
         "  a Hecaton training step on the mesh, one BLAS thread per rank, then the\n"
         "  single-process reference on rank 0 with one BLAS thread per rank of the run.\n");
}

/* The options, the model, the mesh and the method's check, agreed by every
 * rank: 0, HC_CLI_HELP, or -1 after one message. */
static int set_up(int argc, char **argv, hc_model_config *cfg, int *b, int *s, int *steps,
                  hc_cli_env *env) {
  const char *model = "small", *mesh = NULL;
  *b = 4, *s = 256, *steps = 3;
  const hc_cli_opt opts[] = {HC_STRING("model", &model), HC_STRING("mesh", &mesh),
                             HC_INT("batch", b, 1),      HC_INT("seq", s, 1),
                             HC_INT("steps", steps, 1)};
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char err[HC_ERRLEN], buf[1024];
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, sizeof err);
  if (rc == HC_CLI_HELP) return rc;
  int bad = rc != 0;
  if (!bad) bad = hc_model_config_load(hc_cli_model_path(model, buf, sizeof buf), cfg, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return -1;
  hc_cli_common co = {.mesh = mesh ? mesh : (size == 2 ? "1x2" : NULL),
                      .hw_path = "models/hw/standard.ini"};
  if (hc_cli_env_init(env, &co)) return -1;
  bad = hc_cli_method_check("hecaton", env, cfg, *b, *s, err, sizeof err) != 0;
  if (!bad) bad = hc_model_fits_memory(cfg, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) {
    hc_cli_env_free(env);
    return -1;
  }
  return 0;
}

/* The reference on rank 0 with `threads` BLAS threads; returns how many it got. */
static int time_reference(const hc_model_config *cfg, const int *batch, int b, int s, int steps,
                          int threads, double *best, double *mean) {
  int got = hc_threads_set(threads);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < threads)
    printf("warning: rank 0 may run on %d CPU(s) only (mpirun binds ranks to cores): "
           "start with mpirun --bind-to none\n", CPU_COUNT(&set));
  hc_params rp;
  hc_method rm;
  hc_params_alloc(&rp, cfg);
  hc_params_init(&rp, 1);
  hc_single_method(&rm, &rp, b, s);
  hc_model rmd;
  hc_model_init(&rmd, &rm);
  hc_cli_time_steps(&rmd, batch, steps, MPI_COMM_NULL, best, mean);
  hc_model_free(&rmd);
  hc_params_free(&rp);
  return got;
}

/* The other ranks sleep (not spin) while rank 0 times the reference. */
static void wait_quietly(void) {
  MPI_Request req;
  MPI_Ibarrier(MPI_COMM_WORLD, &req);
  for (int done = 0; !done;) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (!done) nanosleep(&(struct timespec){0, 1000000}, NULL);
  }
}

int hc_cmd_bench_step(int argc, char **argv) {
  hc_model_config cfg;
  hc_cli_env env;
  int b, s, steps, size, rc = set_up(argc, argv, &cfg, &b, &s, &steps, &env);
  if (rc) return rc == HC_CLI_HELP ? 0 : 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int *batch = hc_cli_random_batch(b, s, cfg.vocab_size, 5);

  /* The mesh: one BLAS thread per rank. */
  hc_threads_set(1);
  hc_method m;
  hc_params p;
  hc_cli_method_make("hecaton", &env, &cfg, b, s, 0, NULL, &m, &p);
  hc_params_init(&p, 1);
  hc_model md;
  hc_model_init(&md, &m);
  double mesh_best, mesh_mean, ref_best = 0, ref_mean = 0;
  hc_cli_time_steps(&md, batch, steps, env.mesh.cart, &mesh_best, &mesh_mean);
  hc_model_free(&md);
  hc_cli_method_free(&m);
  int ref_threads = 0;
  if (env.mesh.rank == 0)
    ref_threads = time_reference(&cfg, batch, b, s, steps, size, &ref_best, &ref_mean);
  wait_quietly();
  if (env.mesh.rank == 0) {
    printf("# hecaton bench-step: model %s (%zu parameters), batch %d x %d tokens, %d timed steps\n",
           cfg.name, hc_param_count(&cfg), b, s, steps);
    printf("hecaton on %dx%d, 1 BLAS thread per rank: %9.1f ms best, %9.1f ms mean\n",
           env.mesh.topo.R, env.mesh.topo.C, mesh_best * 1e3, mesh_mean * 1e3);
    printf("single process, %d BLAS thread(s):        %9.1f ms best, %9.1f ms mean\n",
           ref_threads, ref_best * 1e3, ref_mean * 1e3);
    printf("ratio mesh / single (best):                %9.2f  (aim: <= 1.3)\n", mesh_best / ref_best);
  }
  free(batch);
  hc_cli_env_free(&env);
  return 0;
}
