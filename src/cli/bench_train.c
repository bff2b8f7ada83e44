/* bench_train.c: `hecaton bench-train`: achieved GFLOP/s of a single-process
 * training step next to the peak cblas_sgemm GFLOP/s measured in the same
 * run on this machine, and their ratio. A benchmark, not a test. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hecaton/args.h"
#include "hecaton/model.h"
#include "hecaton/optim.h"
#include "hecaton/rng.h"
#include "hecaton/step.h"
#include "hecaton/util.h"

/* Best of reps: n x n x n sgemm. */
static double sgemm_peak(int n, int reps) {
  size_t nn = (size_t)n * n;
  float *a = hc_malloc(nn * sizeof(float)), *b = hc_malloc(nn * sizeof(float));
  float *c = hc_calloc(nn, sizeof(float));
  for (size_t k = 0; k < nn; k++) a[k] = (float)(k % 7) * 0.1f, b[k] = (float)(k % 5) * 0.1f;
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = hc_wtime();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double dt = hc_wtime() - t0;
    if (dt < best) best = dt;
  }
  free(a), free(b), free(c);
  return 2.0 * n * (double)n * n / best / 1e9;
}

int hc_cmd_bench_train(int argc, char **argv) {
  const char *model = "models/small.ini", *bs = "4", *ss = "256", *steps_s = "5", *helpf = NULL;
  const hc_cli_opt opts[] = {{"--model", 1, &model}, {"--batch", 1, &bs}, {"--seq", 1, &ss},
                             {"--steps", 1, &steps_s}, {"--help", 0, &helpf}};
  char err[HC_ERRLEN], buf[1024];
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int bad = hc_cli_parse(argc, argv, 2, opts, sizeof opts / sizeof opts[0], err, sizeof err) != 0;
  if (!bad && helpf) {
    if (rank == 0)
      printf("usage: mpirun -np 1 hecaton bench-train [--model FILE] [--batch B] [--seq S] [--steps N]\n"
             "  times N training steps (forward, backward, AdamW) of the single-process\n"
             "  reference and compares its GFLOP/s with a 2048^3 cblas_sgemm in the same run.\n");
    return 0;
  }
  int b = 0, s = 0, steps = 0;
  bad = bad || hc_arg_int(bs, "--batch", 1, &b, err, sizeof err) ||
        hc_arg_int(ss, "--seq", 1, &s, err, sizeof err) ||
        hc_arg_int(steps_s, "--steps", 1, &steps, err, sizeof err);
  if (!bad && size != 1) bad = hc_err(err, sizeof err, "bench-train runs on one rank (mpirun -np 1)") != 0;
  hc_model_config cfg;
  if (!bad) bad = hc_model_config_load(hc_cli_find_file(model, buf, sizeof buf), &cfg, err, sizeof err) != 0;
  if (!bad) bad = hc_model_fits_memory(&cfg, err, sizeof err) != 0;
  if (!bad && s > cfg.max_seq_len)
    bad = hc_err(err, sizeof err, "--seq %d exceeds max_seq_len %d", s, cfg.max_seq_len) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;

  const char *threads = getenv("OPENBLAS_NUM_THREADS");
  printf("# hecaton bench-train: model %s (%zu parameters), batch %d x %d tokens, "
         "OPENBLAS_NUM_THREADS=%s\n",
         cfg.name, hc_param_count(&cfg), b, s, threads ? threads : "(unset)");
  double peak = sgemm_peak(2048, 5);
  printf("cblas_sgemm 2048^3 peak:   %8.2f GFLOP/s (best of 5)\n", peak);

  hc_params p;
  hc_params_alloc(&p, &cfg);
  hc_params_init(&p, 1);
  hc_method m;
  hc_single_method(&m, &p, b, s);
  hc_model md;
  hc_model_init(&md, &m);
  int *batch = hc_malloc((size_t)b * (size_t)(s + 1) * sizeof(int));
  hc_rng r;
  hc_rng_seed(&r, 5);
  for (int k = 0; k < b * (s + 1); k++) batch[k] = (int)(hc_rng_u64(&r) % (uint64_t)cfg.vocab_size);
  hc_adamw opt = {0.9, 0.95, 1e-8, 0.1};
  double flops = hc_model_step_flops(&cfg, b, s), best = 1e30, total = 0;
  for (int st = 0; st <= steps; st++) { /* step 0 warms up */
    double t0 = hc_wtime();
    hc_step_opts so = {.opt = &opt, .lr = 1e-4, .clip = 1.0, .t = st + 1};
    hc_train_step(&md, batch, &so);
    double dt = hc_wtime() - t0;
    if (st > 0) {
      total += dt;
      if (dt < best) best = dt;
    }
  }
  double achieved = flops / best / 1e9;
  printf("training step:             %8.2f GFLOP/s (best of %d; %.1f ms best, %.1f ms mean; "
         "%.3g GFLOP per step)\n",
         achieved, steps, best * 1e3, total / steps * 1e3, flops / 1e9);
  printf("ratio step / sgemm peak:   %8.2f  (aim: >= 0.50 with one thread)\n", achieved / peak);
  printf("activation memory: %.1f MiB; parameters+grads+Adam: %.1f MiB\n",
         (double)md.bytes / (1 << 20), 4.0 * (double)p.n_params * sizeof(float) / (1 << 20));
  free(batch);
  hc_model_free(&md);
  hc_params_free(&p);
  return 0;
}
