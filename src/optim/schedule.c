/* schedule.c: learning rate by step, linear warm-up then cosine decay. */
#include <math.h>

#include "hecaton/optim.h"

double hc_lr_at(const hc_lr_schedule *s, long step) {
  if (step < s->warmup_steps) return s->max_lr * (double)(step + 1) / (double)s->warmup_steps;
  if (step >= s->total_steps) return s->min_lr;
  double r = (double)(step - s->warmup_steps) / (double)(s->total_steps - s->warmup_steps);
  return s->min_lr + (s->max_lr - s->min_lr) * 0.5 * (1.0 + cos(3.14159265358979323846 * r));
}
