/* bench_train.c: `hecaton bench-train`: achieved GFLOP/s of a single-process
 * training step next to the peak cblas_sgemm GFLOP/s measured in the same
 * run on this machine with the same threads, and their ratio; with
 * --profile, where a step's time goes, kernel by kernel (profile.h).
 * A benchmark, not a test. jobs/bench.sh reads its last line. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/model.h"
#include "hecaton/profile.h"
#include "hecaton/rng.h"
#include "hecaton/step.h"
#include "hecaton/threads.h"
#include "hecaton/util.h"

/* Best of reps: n x n x n sgemm on hc_threads() threads, as the step's
 * GEMMs run (hc_sgemm). */
static double sgemm_peak(int n, int reps) {
  size_t nn = (size_t)n * n;
  float *a = hc_malloc(nn * sizeof(float)), *b = hc_malloc(nn * sizeof(float));
  float *c = hc_calloc(nn, sizeof(float));
  for (size_t k = 0; k < nn; k++) a[k] = (float)(k % 7) * 0.1f, b[k] = (float)(k % 5) * 0.1f;
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = hc_wtime();
    hc_sgemm(CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double dt = hc_wtime() - t0;
    if (dt < best) best = dt;
  }
  free(a), free(b), free(c);
  return 2.0 * n * (double)n * n / best / 1e9;
}

static void help(void) {
  printf("usage: mpirun -np 1 hecaton bench-train [--model FILE] [--batch B] [--seq S] [--steps N]\n"
         "                                        [--threads N] [--profile]\n"
         "  times N training steps (forward, backward, AdamW) of the single-process\n"
         "  reference after one warm-up step and compares its GFLOP/s with a 2048^3\n"
         "  cblas_sgemm in the same run, both on the same threads (--threads: default\n"
         "  OPENBLAS_NUM_THREADS, else the cores). --profile then runs N\n"
         "  more steps with per-kernel timers and prints where the time went.\n");
}

/* Options and model, agreed: 0, HC_CLI_HELP, or -1 after one message. */
static int set_up(int argc, char **argv, hc_model_config *cfg, int *b, int *s, int *steps,
                  int *threads, int *profile) {
  const char *model = "models/small.ini";
  *b = 4, *s = 256, *steps = 5, *threads = hc_threads(), *profile = 0;
  const hc_cli_opt opts[] = {HC_STRING("model", &model),     HC_INT("batch", b, 1),
                             HC_INT("seq", s, 1),            HC_INT("steps", steps, 1),
                             HC_INT("threads", threads, 1),  HC_FLAG("profile", profile)};
  char err[HC_ERRLEN], buf[1024];
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), NULL, help, err, sizeof err);
  if (rc == HC_CLI_HELP) return rc;
  int bad = rc != 0;
  if (!bad && size != 1) bad = hc_err(err, sizeof err, "bench-train runs on one rank (mpirun -np 1)") != 0;
  if (!bad) bad = hc_model_config_load(hc_cli_find_file(model, buf, sizeof buf), cfg, err, sizeof err) != 0;
  if (!bad) bad = hc_model_fits_memory(cfg, err, sizeof err) != 0;
  if (!bad && *s > cfg->max_seq_len)
    bad = hc_err(err, sizeof err, "--seq %d exceeds max_seq_len %d", *s, cfg->max_seq_len) != 0;
  return hc_agree(MPI_COMM_WORLD, bad ? err : NULL) ? -1 : 0;
}

/* --profile: `steps` more steps with the kernel timers on, one table per
 * step (mean over the steps); the rest of the step is what no timer covers. */
static void profile_steps(hc_model *md, const int *batch, int steps) {
  hc_adamw opt = {0.9, 0.95, 1e-8, 0.1}; /* as hc_cli_time_steps */
  hc_prof_reset();
  hc_prof_enabled = 1;
  double t0 = hc_wtime();
  for (int st = 0; st < steps; st++) {
    hc_step_opts so = {.opt = &opt, .lr = 1e-4, .clip = 1.0, .t = st + 1};
    hc_train_step(md, batch, &so);
  }
  double step = (hc_wtime() - t0) / steps, covered = 0;
  hc_prof_enabled = 0;
  printf("profile: mean of %d step(s), %.1f ms a step with the timers on\n", steps, step * 1e3);
  printf("  %-24s %10s %7s %9s\n", "kernel", "ms/step", "share", "calls");
  for (int k = 0; k < HC_PROF_N; k++) {
    long calls;
    double sec = hc_prof_seconds((hc_prof_kind)k, &calls) / steps;
    covered += sec;
    printf("  %-24s %10.2f %6.1f%% %9ld\n", hc_prof_name((hc_prof_kind)k), sec * 1e3,
           100 * sec / step, calls / steps);
  }
  printf("  %-24s %10.2f %6.1f%%\n", "other (untimed)", (step - covered) * 1e3,
         100 * (step - covered) / step);
}

int hc_cmd_bench_train(int argc, char **argv) {
  hc_model_config cfg;
  int b, s, steps, threads, profile;
  int rc = set_up(argc, argv, &cfg, &b, &s, &steps, &threads, &profile);
  if (rc) return rc == HC_CLI_HELP ? 0 : 1;
  int got = hc_threads_set(threads);
  printf("# hecaton bench-train: model %s (%zu parameters), batch %d x %d tokens, "
         "%d thread(s)\n",
         cfg.name, hc_param_count(&cfg), b, s, got);
  double peak = sgemm_peak(2048, 5);
  printf("cblas_sgemm 2048^3 peak:   %8.2f GFLOP/s (best of 5, %d thread(s))\n", peak, got);

  hc_params p;
  hc_params_alloc(&p, &cfg);
  hc_params_init(&p, 1);
  hc_method m;
  hc_single_method(&m, &p, b, s);
  hc_model md;
  hc_model_init(&md, &m);
  int *batch = hc_cli_random_batch(b, s, cfg.vocab_size, 5);
  double flops = hc_model_step_flops(&cfg, b, s), best, mean;
  hc_cli_time_steps(&md, batch, steps, MPI_COMM_NULL, &best, &mean);
  double achieved = flops / best / 1e9;
  printf("training step:             %8.2f GFLOP/s (best of %d after 1 warm-up; %.1f ms best, "
         "%.1f ms mean; %.3g GFLOP per step)\n",
         achieved, steps, best * 1e3, mean * 1e3, flops / 1e9);
  printf("ratio step / sgemm peak:   %8.2f  (both on %d thread(s); aim: >= 0.50)\n",
         achieved / peak, got);
  printf("activation memory: %.1f MiB; parameters+grads+Adam: %.1f MiB\n",
         (double)md.bytes / (1 << 20), 4.0 * (double)p.n_params * sizeof(float) / (1 << 20));
  if (profile) profile_steps(&md, batch, steps);
  printf("bench-train: model %s threads %d batch %dx%d steps %d best_ms %.3f mean_ms %.3f "
         "flops %.6e gflops %.2f peak_gflops %.2f\n",
         cfg.name, got, b, s, steps, best * 1e3, mean * 1e3, flops, achieved, peak);
  free(batch);
  hc_model_free(&md);
  hc_params_free(&p);
  return 0;
}
