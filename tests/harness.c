/* harness.c: CUnit runners (unit and MPI) and collective checks. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <CUnit/Basic.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hecaton/compare.h"
#include "hecaton/mesh.h"
#include "hecaton/util.h"

int hc_test_argc;
char **hc_test_argv;
int hc_test_rank;

static int register_suite(const char *suite, const hc_test *tests, size_t n) {
  if (CU_initialize_registry() != CUE_SUCCESS) return -1;
  CU_pSuite s = CU_add_suite(suite, NULL, NULL);
  if (!s) return -1;
  for (size_t k = 0; k < n; k++)
    if (!CU_add_test(s, tests[k].name, tests[k].fn)) return -1;
  return 0;
}

int hc_unit_main(const char *suite, const hc_test *tests, size_t n) {
  if (register_suite(suite, tests, n)) {
    fprintf(stderr, "CUnit set-up failed: %s\n", CU_get_error_msg());
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned ran = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  return (failed || ran == 0) ? 1 : 0;
}

int hc_mpi_main(int argc, char **argv, const char *suite, const hc_test *tests, size_t n,
                int (*setup)(void)) {
  MPI_Init(&argc, &argv);
  hc_set_abort_hook(hc_mpi_abort_all);
  hc_test_argc = argc, hc_test_argv = argv;
  MPI_Comm_rank(MPI_COMM_WORLD, &hc_test_rank);
  int bad = setup ? setup() != 0 : 0, anybad;
  MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (anybad) {
    if (hc_test_rank == 0) fprintf(stderr, "%s: test set-up failed\n", suite);
    MPI_Finalize();
    return 1;
  }
  if (register_suite(suite, tests, n)) {
    fprintf(stderr, "CUnit set-up failed: %s\n", CU_get_error_msg());
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  /* Rank 0 reports; the others run quietly (checks are collective). */
  if (hc_test_rank == 0) {
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
  } else {
    CU_run_all_tests();
  }
  int failed = (int)(CU_get_number_of_failures() + CU_get_number_of_tests_failed());
  int ran = (int)CU_get_number_of_tests_run(), any;
  CU_cleanup_registry();
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return (any || ran == 0) ? 1 : 0;
}

int hc_check_all(int ok, const char *file, int line, const char *fmt, ...) {
  int all;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  if (!ok) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n[rank %d] %s:%d: %s\n", hc_test_rank, file, line, msg);
    fflush(stderr);
  }
  CU_assertImplementation(all ? CU_TRUE : CU_FALSE, (unsigned)line, "check on every rank",
                          file, "", CU_FALSE);
  return all;
}

int hc_expect_close(const char *tensor, const float *got, const float *want, size_t n,
                    double atol, double rtol, const char *file, int line) {
  hc_cmp c = hc_compare(got, want, n, atol, rtol);
  if (c.nbad) {
    char msg[512];
    hc_cmp_describe(&c, tensor, atol, rtol, msg, sizeof msg);
    fprintf(stderr, "\n%s:%d: %s\n", file, line, msg);
  }
  CU_assertImplementation(c.nbad == 0 ? CU_TRUE : CU_FALSE, (unsigned)line, tensor, file, "",
                          CU_FALSE);
  return c.nbad == 0;
}

const char *hc_test_tmpdir(void) {
  static char dir[256];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/hecaton-test-XXXXXX");
    if (!mkdtemp(dir)) {
      perror("mkdtemp");
      exit(2);
    }
  }
  return dir;
}
