/* train.c: the training loop over any method. */
#include "hecaton/train.h"
#include "hecaton/step.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hecaton/flops.h"
#include "hecaton/hf.h"
#include "hecaton/mesh.h"
#include "hecaton/optim.h"
#include "hecaton/report.h"
#include "hecaton/util.h"

void hc_train_defaults(hc_train_opts *o) {
  *o = (hc_train_opts){.steps = 200, .lr = 3e-3, .min_lr = 3e-4, .warmup = 20,
                       .weight_decay = 0.1, .clip = 1.0, .beta1 = 0.9, .beta2 = 0.95,
                       .eps = 1e-8, .seed = 1337, .val_every = 50, .val_batches = 8,
                       .log_every = 1, .save_every = 0};
}

float hc_train_validate(hc_trainer *tr, hc_model *md, int n) {
  hc_method *m = tr->m;
  int *batch = hc_malloc((size_t)m->b * (size_t)(m->s + 1) * sizeof(int));
  double sum = 0;
  m->forward_only = 1;
  for (int k = 0; k < n; k++) {
    hc_loader_val(tr->data, (size_t)k, batch, m->b);
    sum += hc_model_forward(md, batch);
  }
  m->forward_only = 0;
  free(batch);
  return (float)(sum / n);
}

static int save(hc_trainer *tr, const hc_train_opts *o, long step, int rank) {
  char err[HC_ERRLEN];
  hc_ckpt_meta meta = {step, tr->data->seed, tr->data->epoch, tr->data->pos, o->seed,
                       tr->m->b, tr->m->s};
  HC_ASSERT(tr->data); /* no checkpoints in a dry-run */
  if (hc_checkpoint_save(o->save, tr->comm, tr->m->p, &meta, err,
                         sizeof err))
    return hc_agree(tr->comm, err);
  if (rank == 0) printf("checkpoint step %ld written to %s\n", step, o->save);
  return 0;
}

/* A dry-run at paper scale takes seconds to minutes a step: a line per
 * layer of forward and backward on rank 0, with the elapsed time. */
typedef struct {
  double t0;
} progress_ctx;

static void dry_run_progress(void *arg, int backward, int layer, int L) {
  progress_ctx *p = arg;
  printf("  dry-run: %s layer %d/%d done, %.1f s elapsed\n", backward ? "backward" : "forward ",
         backward ? L - layer : layer + 1, L, hc_wtime() - p->t0);
  fflush(stdout);
}

/* After the first step's backward: the gradient dump and the check. */
typedef struct {
  hc_trainer *tr;
  const hc_train_opts *o;
  int first;  /* the run's first step: hooks apply */
  long step;
} hook_ctx;

static int first_step_hook(void *arg, hc_model *md, const int *batch, float loss) {
  hook_ctx *h = arg;
  hc_trainer *tr = h->tr;
  if (!h->first) return 0;
  hc_method *m = tr->m;
  int rank;
  MPI_Comm_rank(tr->comm, &rank);
  if (h->o->dump_grads) {
    char err[HC_ERRLEN];
    int bad = hc_grad_dump(h->o->dump_grads, tr->comm, m->p, batch, m->b, m->s, loss, err,
                           sizeof err) != 0;
    if (hc_agree(tr->comm, bad ? err : NULL)) return -1;
    if (rank == 0) printf("gradients of step %ld written to %s\n", h->step, h->o->dump_grads);
  }
  if (tr->check && !m->phantom && tr->check(tr, md, batch, loss)) return -1;
  return 0;
}

int hc_train_run(hc_trainer *tr, const hc_train_opts *o) {
  hc_method *m = tr->m;
  hc_params *p = m->p;
  int rank;
  MPI_Comm_rank(tr->comm, &rank);
  char err[HC_ERRLEN];
  long step0 = 0;
  hc_params_init(p, o->seed);
  if (o->init && !m->phantom) { /* base weights from a Hugging Face folder or a checkpoint */
    int bad = hc_init_load(o->init, tr->comm, p, err, sizeof err) != 0;
    if (hc_agree(tr->comm, bad ? err : NULL)) return -1;
    if (rank == 0) printf("weights from %s\n", o->init);
  }
  if (o->resume) {
    hc_ckpt_meta meta;
    int bad = hc_checkpoint_load(o->resume, tr->comm, p, &meta, err,
                                 sizeof err) != 0;
    if (!bad && meta.data_seed != tr->data->seed)
      bad = hc_err(err, sizeof err, "%s: written with data seed %llu, this run uses %llu",
                   o->resume, (unsigned long long)meta.data_seed,
                   (unsigned long long)tr->data->seed) != 0;
    if (!bad && (meta.batch != m->b || meta.seq != m->s))
      bad = hc_err(err, sizeof err,
                   "%s: written with batch %d x seq %d, this run uses %d x %d (the data "
                   "position would not continue)",
                   o->resume, meta.batch, meta.seq, m->b, m->s) != 0;
    if (!bad && meta.step >= o->steps)
      bad = hc_err(err, sizeof err, "%s: the checkpoint is at step %ld, --steps %d: nothing to do",
                   o->resume, meta.step, o->steps) != 0;
    if (hc_agree(tr->comm, bad ? err : NULL)) return -1;
    step0 = meta.step;
    hc_loader_seek(tr->data, meta.data_epoch, meta.data_pos);
    if (rank == 0) printf("resumed from %s at step %ld\n", o->resume, step0);
  }
  hc_model md;
  hc_model_init(&md, m);
  tr->activation_bytes = md.bytes;
  progress_ctx pg = {hc_wtime()};
  if (m->phantom && rank == 0) md.progress = dry_run_progress, md.progress_arg = &pg;
  tr->steps_run = 0;
  hc_adamw opt = {o->beta1, o->beta2, o->eps, o->weight_decay};
  hc_lr_schedule sched = {o->lr, o->min_lr, o->warmup, o->steps};
  size_t T = (size_t)m->b * (size_t)m->s;
  int *batch = hc_calloc(T / (size_t)m->s * (size_t)(m->s + 1), sizeof(int));
  double t_start = hc_wtime();
  int rc = 0;
  FILE *csv = NULL;
  if (rank == 0 && o->log_file) {
    csv = fopen(o->log_file, o->resume ? "a" : "w");
    if (csv && ftell(csv) == 0) fprintf(csv, "step,loss,lr,grad_norm,val_loss\n");
  }
  if (hc_agree(tr->comm, rank == 0 && o->log_file && !csv ? "cannot open the --log-file" : NULL)) {
    hc_model_free(&md);
    free(batch);
    return -1;
  }
  long stop = o->stop_after > 0 && step0 + o->stop_after < o->steps ? step0 + o->stop_after : o->steps;
  tr->first_loss = tr->last_loss = tr->last_val = NAN;
  for (long step = step0; step < stop; step++) {
    double t0 = hc_wtime(), sim0 = tr->ledger ? tr->ledger->now : 0;
    if (tr->ledger) tr->ledger->nevents = 0; /* the trace keeps the last step */
    if (tr->data) hc_loader_next(tr->data, batch, m->b); /* dry-run: zeros, never read */
    double lr = hc_lr_at(&sched, step);
    hook_ctx hk = {tr, o, step == step0, step};
    hc_step_opts so = {.opt = &opt, .lr = lr, .clip = o->clip, .t = step + 1,
                       .after_backward = first_step_hook, .arg = &hk};
    if (tr->ledger) /* what each operation keeps on the die, what goes to DRAM */
      hc_ledger_sram_plan(tr->ledger, (hc_schedule)o->schedule,
                          o->micro_batches > 0 ? o->micro_batches : m->b, (double)p->n_params,
                          (double)p->n_train, hc_model_saved_floats(m));
    hc_step_result res = hc_train_step(&md, batch, &so);
    if (res.stopped) {
      rc = -1;
      break;
    }
    float loss = res.loss;
    double norm = res.grad_norm;
    if (tr->ledger) { /* saved activations that spill, streaming alongside the whole step */
      hc_ledger_sram_finish(tr->ledger, sim0);
      double end = tr->ledger->now; /* the next step starts when every engine is done */
      for (int e = 0; e < HC_NENGINES; e++) end = fmax(end, tr->ledger->engine_free[e]);
      tr->ledger->now = end;
    }
    double dt = hc_wtime() - t0;
    if (step == step0) tr->first_loss = loss;
    tr->last_loss = loss;
    tr->steps_run++;
    if (!m->phantom && !isfinite(loss)) {
      rc = hc_agree(tr->comm, "the loss is not finite: lower --lr or check the data");
      break;
    }
    if (rank == 0 && m->phantom)
      printf("step %5ld/%d | dry-run: schedule costed, no data moved | %.1f ms\n", step + 1,
             o->steps, dt * 1e3);
    else if (rank == 0 && (o->log_every > 0 && ((step + 1) % o->log_every == 0 || step == step0)))
      printf("step %5ld/%d | loss %.4f | lr %.2e | grad norm %.3f | %.0f tok/s | %.1f ms\n",
             step + 1, o->steps, loss, lr, norm, (double)T / dt, dt * 1e3);
    int last = step + 1 == stop;
    float val = NAN;
    if (tr->data && o->val_every > 0 && o->val_batches > 0 && tr->data->n_val > 0 &&
        ((step + 1) % o->val_every == 0 || last)) {
      if (tr->ledger) tr->ledger->muted = 1;
      tr->last_val = val = hc_train_validate(tr, &md, o->val_batches);
      if (tr->ledger) tr->ledger->muted = 0;
      if (rank == 0) printf("step %5ld/%d | validation loss %.4f\n", step + 1, o->steps, tr->last_val);
    }
    if (csv) fprintf(csv, "%ld,%.9g,%.9g,%.9g,%.9g\n", step + 1, loss, lr, norm, val);
    if (o->save && ((o->save_every > 0 && (step + 1) % o->save_every == 0) || last)) {
      if (save(tr, o, step + 1, rank)) { rc = -1; break; }
    }
    if (rank == 0) fflush(stdout);
  }
  tr->seconds = hc_wtime() - t_start;
  if (csv) fclose(csv);
  free(batch);
  hc_model_free(&md);
  return rc;
}
