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
#include "hecaton/args.h"
#include "hecaton/optim.h"
#include "hecaton/rng.h"
#include "hecaton/step.h"
#include "hecaton/util.h"

/* Best and mean seconds of `steps` training steps after one warm-up. */
static void time_steps(hc_model *md, const int *batch, int steps, MPI_Comm comm,
                       double *best, double *mean) {
  hc_adamw opt = {0.9, 0.95, 1e-8, 0.1};
  *best = 1e30, *mean = 0;
  for (int st = 0; st <= steps; st++) {
    if (comm != MPI_COMM_NULL) MPI_Barrier(comm);
    double t0 = hc_wtime();
    hc_step_opts so = {.opt = &opt, .lr = 1e-4, .clip = 1.0, .t = st + 1};
    hc_train_step(md, batch, &so);
    double dt = hc_wtime() - t0, slowest = dt;
    if (comm != MPI_COMM_NULL) MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
    if (st == 0) continue;
    *mean += slowest / steps;
    if (slowest < *best) *best = slowest;
  }
}

int hc_cmd_bench_step(int argc, char **argv) {
  const char *model = "small", *mesh = NULL, *bs = "4", *ss = "256", *steps_s = "3", *helpf = NULL;
  const hc_cli_opt opts[] = {{"--model", 1, &model}, {"--mesh", 1, &mesh}, {"--batch", 1, &bs},
                             {"--seq", 1, &ss},     {"--steps", 1, &steps_s}, {"--help", 0, &helpf}};
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char err[HC_ERRLEN], buf[1024];
  int bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err, sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0)
      printf("usage: OPENBLAS_NUM_THREADS=2 mpirun --bind-to none -np 2 hecaton bench-step [--mesh 1x2] [--model small] [--batch 4] [--seq 256] [--steps 3]\n"
             "  a Hecaton training step on the mesh, one BLAS thread per rank, then the\n"
             "  single-process reference on rank 0 with one BLAS thread per rank of the run.\n");
    return 0;
  }
  int b = 0, s = 0, steps = 0;
  bad = bad || hc_arg_int(bs, "--batch", 1, &b, err, sizeof err) ||
        hc_arg_int(ss, "--seq", 1, &s, err, sizeof err) ||
        hc_arg_int(steps_s, "--steps", 1, &steps, err, sizeof err);
  hc_model_config cfg;
  if (!bad) bad = hc_model_config_load(hc_cli_model_path(model, buf, sizeof buf), &cfg, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  hc_cli_common co = {.mesh = mesh ? mesh : (size == 2 ? "1x2" : NULL),
                      .hw_path = "models/hw/standard.ini"};
  hc_cli_env env;
  if (hc_cli_env_init(&env, &co)) return 1;
  bad = hc_cli_method_check("hecaton", &env, &cfg, b, s, err, sizeof err) != 0;
  if (!bad) bad = hc_model_fits_memory(&cfg, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) {
    hc_cli_env_free(&env);
    return 1;
  }
  int *batch = hc_malloc((size_t)b * (size_t)(s + 1) * sizeof(int));
  hc_rng r;
  hc_rng_seed(&r, 5);
  for (int k = 0; k < b * (s + 1); k++) batch[k] = (int)(hc_rng_u64(&r) % (uint64_t)cfg.vocab_size);

  /* The mesh: one BLAS thread per rank. */
  openblas_set_num_threads(1);
  hc_method m;
  hc_params p;
  hc_cli_method_make("hecaton", &env, &cfg, b, s, 0, NULL, &m, &p);
  hc_params_init(&p, 1);
  hc_model md;
  hc_model_init(&md, &m);
  double mesh_best, mesh_mean;
  time_steps(&md, batch, steps, env.mesh.cart, &mesh_best, &mesh_mean);
  hc_model_free(&md);
  hc_cli_method_free(&m);

  /* The reference on rank 0 with size BLAS threads; the others sleep. */
  double ref_best = 0, ref_mean = 0;
  int ref_threads = 0;
  if (rank == 0) {
    /* OpenBLAS cannot grow past the pool it started with
     * (OPENBLAS_NUM_THREADS): the line below says what it got. */
    openblas_set_num_threads(size);
    ref_threads = openblas_get_num_threads();
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < size)
      printf("warning: rank 0 may run on %d CPU(s) only (mpirun binds ranks to cores): "
             "start with mpirun --bind-to none\n", CPU_COUNT(&set));
    hc_params rp;
    hc_method rm;
    hc_params_alloc(&rp, &cfg);
    hc_params_init(&rp, 1);
    hc_single_method(&rm, &rp, b, s);
    hc_model rmd;
    hc_model_init(&rmd, &rm);
    time_steps(&rmd, batch, steps, MPI_COMM_NULL, &ref_best, &ref_mean);
    hc_model_free(&rmd);
    hc_params_free(&rp);
  }
  MPI_Request req;
  MPI_Ibarrier(MPI_COMM_WORLD, &req);
  for (int done = 0; !done;) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (!done) nanosleep(&(struct timespec){0, 1000000}, NULL);
  }
  if (rank == 0) {
    printf("# hecaton bench-step: model %s (%zu parameters), batch %d x %d tokens, %d timed steps\n",
           cfg.name, hc_param_count(&cfg), b, s, steps);
    printf("hecaton on %dx%d, 1 BLAS thread per rank: %9.1f ms best, %9.1f ms mean\n",
           env.mesh.topo.R, env.mesh.topo.C, mesh_best * 1e3, mesh_mean * 1e3);
    printf("single process, %d BLAS thread(s):        %9.1f ms best, %9.1f ms mean\n",
           ref_threads, ref_best * 1e3, ref_mean * 1e3);
    if (ref_threads < size)
      printf("warning: the reference got %d BLAS thread(s), not %d: start with "
             "OPENBLAS_NUM_THREADS=%d\n", ref_threads, size, size);
    printf("ratio mesh / single (best):                %9.2f  (aim: <= 1.3)\n", mesh_best / ref_best);
  }
  free(batch);
  hc_cli_env_free(&env);
  return 0;
}
