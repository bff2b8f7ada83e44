/* threads.h: one thread count for the whole process: OpenBLAS's threads
 * for the GEMMs and the OpenMP threads of the other kernels follow the same
 * number, so that a rank told to use one BLAS thread (OPENBLAS_NUM_THREADS=1,
 * as every oversubscribed mesh run is) uses one thread everywhere. */
#ifndef HECATON_THREADS_H
#define HECATON_THREADS_H

/* Threads the kernels use now: OpenBLAS's count (OPENBLAS_NUM_THREADS at
 * start-up, or the last hc_threads_set). */
int hc_threads(void);
/* Ask for n threads; returns what OpenBLAS grants (it cannot grow past the
 * pool it started with). */
int hc_threads_set(int n);

#endif
