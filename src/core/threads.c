/* threads.c: the process's one thread count (threads.h). */
#include "hecaton/threads.h"

#include <cblas.h>

int hc_threads(void) {
  int n = openblas_get_num_threads();
  return n > 0 ? n : 1;
}

int hc_threads_set(int n) {
  openblas_set_num_threads(n > 0 ? n : 1);
  return hc_threads();
}
