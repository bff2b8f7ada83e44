/* bench_step.c: `hecaton bench-step`: the wall time of a training step of a
 * model on the mesh (one thread per rank) next to the single-process
 * reference on the same batch with as many threads as the ranks have cores
 * (--ref-threads), measured in the same run, and their ratio: what the
 * emulation's communication and sharding cost on this machine. Then each
 * rank's peak memory (VmHWM) next to what it holds (parameters, gradients,
 * Adam state, activations, communication buffers) plus the footprint the
 * process had before (MPI, libraries). A benchmark, not a test. */
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
  printf("usage: mpirun --bind-to none --oversubscribe -np 4 hecaton bench-step [--mesh 2x2] [--model small]\n"
         "                  [--batch 4] [--seq 256] [--steps 3] [--ref-threads N]\n"
         "  a Hecaton training step on the mesh, one thread per rank, then the\n"
         "  single-process reference on rank 0 with N threads (default: the ranks, at\n"
         "  most the CPUs rank 0 may run on); each rank's peak memory against its tensors.\n");
}

/* A "Key:  N kB" line of /proc/self/status, in bytes (0 if absent). */
static double proc_status_bytes(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  double v = 0;
  size_t n = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, n) && line[n] == ':') {
      v = 1024.0 * strtod(line + n + 1, NULL);
      break;
    }
  if (f) fclose(f);
  return v;
}

/* The options, the model, the mesh and the method's check, agreed by every
 * rank: 0, HC_CLI_HELP, or -1 after one message. */
static int set_up(int argc, char **argv, hc_model_config *cfg, int *b, int *s, int *steps,
                  int *ref_threads, hc_cli_env *env) {
  const char *model = "small", *mesh = NULL;
  *b = 4, *s = 256, *steps = 3, *ref_threads = 0;
  const hc_cli_opt opts[] = {HC_STRING("model", &model), HC_STRING("mesh", &mesh),
                             HC_INT("batch", b, 1),      HC_INT("seq", s, 1),
                             HC_INT("steps", steps, 1),  HC_INT("ref-threads", ref_threads, 1)};
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
  fflush(stdout);
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
  int b, s, steps, size, ref_threads;
  int rc = set_up(argc, argv, &cfg, &b, &s, &steps, &ref_threads, &env);
  if (rc) return rc == HC_CLI_HELP ? 0 : 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (!ref_threads) { /* the ranks' cores: as many threads as ranks, at most the CPUs */
    cpu_set_t set;
    int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : size;
    ref_threads = size < cpus ? size : cpus;
  }
  double before = proc_status_bytes("VmHWM"); /* MPI, libraries, the options */
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
  /* this rank's peak, its tensors and what it had before, gathered on rank 0 */
  double held[HC_NMEM], mem[3], *mems = hc_malloc((size_t)size * sizeof mem);
  hc_cli_memory(&env, &m, md.bytes, held);
  mem[0] = proc_status_bytes("VmHWM");
  mem[1] = held[HC_MEM_PARAMS] + held[HC_MEM_GRADS] + held[HC_MEM_OPTIM] + held[HC_MEM_ACT] +
           held[HC_MEM_BUFFERS];
  mem[2] = before;
  MPI_Gather(mem, 3, MPI_DOUBLE, mems, 3, MPI_DOUBLE, 0, env.mesh.cart);
  hc_model_free(&md);
  hc_cli_method_free(&m);
  int got = 0;
  if (env.mesh.rank == 0)
    got = time_reference(&cfg, batch, b, s, steps, ref_threads, &ref_best, &ref_mean);
  wait_quietly();
  if (env.mesh.rank == 0) {
    printf("# hecaton bench-step: model %s (%zu parameters), batch %d x %d tokens, %d timed steps\n",
           cfg.name, hc_param_count(&cfg), b, s, steps);
    printf("hecaton on %dx%d, 1 thread per rank:    %9.1f ms best, %9.1f ms mean\n",
           env.mesh.topo.R, env.mesh.topo.C, mesh_best * 1e3, mesh_mean * 1e3);
    printf("single process, %d thread(s):          %9.1f ms best, %9.1f ms mean\n", got,
           ref_best * 1e3, ref_mean * 1e3);
    printf("ratio mesh / single (best):            %9.2f  (aim: <= 1.3)\n", mesh_best / ref_best);
    printf("peak memory per rank (VmHWM after the mesh steps) against its tensors (parameters,\n"
           "gradients, Adam state, activations, communication buffers) plus its footprint before\n"
           "allocating them (MPI, libraries):\n");
    printf("  %4s %12s %12s %12s %8s\n", "rank", "VmHWM", "tensors", "before", "ratio");
    double worst = 0;
    for (int r = 0; r < size; r++) {
      const double *x = mems + 3 * r;
      char b1[32], b2[32], b3[32];
      double ratio = x[0] / (x[1] + x[2]);
      worst = ratio > worst ? ratio : worst;
      printf("  %4d %12s %12s %12s %8.2f\n", r, hc_fmt_bytes(x[0], b1, sizeof b1),
             hc_fmt_bytes(x[1], b2, sizeof b2), hc_fmt_bytes(x[2], b3, sizeof b3), ratio);
    }
    printf("bench-step: mesh %dx%d model %s batch %dx%d mesh_best_ms %.3f ref_threads %d "
           "ref_best_ms %.3f ratio %.3f worst_memory_ratio %.3f\n",
           env.mesh.topo.R, env.mesh.topo.C, cfg.name, b, s, mesh_best * 1e3, got,
           ref_best * 1e3, mesh_best / ref_best, worst);
  }
  free(mems);
  free(batch);
  hc_cli_env_free(&env);
  return 0;
}
