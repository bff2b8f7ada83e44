/* harness.h: CUnit runners for the project's tests.
 *
 * Unit tests run in one process. MPI tests run CUnit in every rank; their
 * checks are collective (HC_CHECK_ALL), so a failure on any rank is recorded
 * on every rank, the failing rank prints why, and rank 0's CUnit summary and
 * every rank's exit code tell the truth. */
#ifndef HECATON_TEST_HARNESS_H
#define HECATON_TEST_HARNESS_H

#include <CUnit/CUnit.h>
#include <stddef.h>

typedef struct {
  const char *name;
  void (*fn)(void);
} hc_test;

int hc_unit_main(const char *suite, const hc_test *tests, size_t n);
/* Calls MPI_Init/MPI_Finalize itself; argv after MPI_Init is left in
 * hc_test_argc/hc_test_argv, then setup() (if any) runs on every rank; a
 * non-zero return on any rank ends the run with exit code 1. */
int hc_mpi_main(int argc, char **argv, const char *suite, const hc_test *tests, size_t n,
                int (*setup)(void));
extern int hc_test_argc;
extern char **hc_test_argv;
extern int hc_test_rank;

/* Collective check: every rank calls it; if `ok` is false on any rank, that
 * rank prints its message (printf-style) and every rank records a failure. */
int hc_check_all(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define HC_CHECK_ALL(ok, ...) hc_check_all((ok), __FILE__, __LINE__, __VA_ARGS__)

/* Tensor check (one process): CUnit failure naming the tensor, the worst
 * element and both values. Returns 1 when close. */
int hc_expect_close(const char *tensor, const float *got, const float *want, size_t n,
                    double atol, double rtol, const char *file, int line);
#define HC_EXPECT_CLOSE(name, got, want, n, atol, rtol) \
  hc_expect_close((name), (got), (want), (n), (atol), (rtol), __FILE__, __LINE__)

/* A scratch directory for the test's files, created once. */
const char *hc_test_tmpdir(void);

#endif
