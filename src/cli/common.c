/* common.c: option parsing and mesh/ledger set-up shared by the commands. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hecaton/util.h"

int hc_cli_parse(int argc, char **argv, int first, const hc_cli_opt *opts, size_t nopts,
                 char *err, size_t errlen) {
  for (int a = first; a < argc; a++) {
    size_t k;
    for (k = 0; k < nopts; k++)
      if (!strcmp(argv[a], opts[k].name)) break;
    if (k == nopts) return hc_err(err, errlen, "unknown option '%s' (see --help)", argv[a]);
    if (opts[k].takes_value) {
      if (a + 1 >= argc) return hc_err(err, errlen, "option %s needs a value", argv[a]);
      *opts[k].value = argv[++a];
    } else {
      *opts[k].value = "1";
    }
  }
  return 0;
}

const char *hc_cli_find_file(const char *path, char *buf, size_t len) {
  if (access(path, R_OK) == 0 || path[0] == '/') return path;
  snprintf(buf, len, "%s/%s", HECATON_SOURCE_DIR, path);
  return access(buf, R_OK) == 0 ? buf : path;
}

/* The squarest R x C with R*C == n and R <= C. */
static void squarest(int n, int *R, int *C) {
  int r = 1;
  for (int k = 1; k * k <= n; k++)
    if (n % k == 0) r = k;
  *R = r, *C = n / r;
}

int hc_cli_env_init(hc_cli_env *env, const hc_cli_common *o) {
  memset(env, 0, sizeof *env);
  char err[HC_ERRLEN], pathbuf[1024], meshbuf[32];
  const char *hw_path = hc_cli_find_file(o->hw_path, pathbuf, sizeof pathbuf);
  int bad = hc_hw_load(hw_path, &env->hw, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return -1;
  const char *spec = o->mesh;
  if (!spec) {
    int size, R, C;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    squarest(size, &R, &C);
    snprintf(meshbuf, sizeof meshbuf, "%dx%d", R, C);
    spec = meshbuf;
  }
  if (hc_mesh_create(&env->mesh, spec, env->hw.io_edges)) return -1;
  hc_ledger_init(&env->ledger, &env->mesh.topo, &env->hw, env->mesh.rank);
  hc_comm_init(&env->comm, &env->mesh, &env->ledger, o->algo, o->phantom);
  return 0;
}

void hc_cli_env_free(hc_cli_env *env) {
  hc_comm_free(&env->comm);
  hc_ledger_free(&env->ledger);
  hc_mesh_free(&env->mesh);
}

int hc_cli_finish_ledger(hc_cli_env *env, const char *report_path, int print) {
  hc_ledger_report rep;
  hc_ledger_gather(&env->ledger, env->mesh.cart, &rep);
  char err[HC_ERRLEN];
  int bad = 0;
  if (env->mesh.rank == 0) {
    if (print) hc_ledger_print(&rep, stdout);
    if (report_path) {
      bad = hc_ledger_write_h5(&rep, report_path, err, sizeof err) != 0;
      if (!bad) printf("report written to %s\n", report_path);
    }
    fflush(stdout);
    hc_ledger_report_free(&rep);
  }
  return hc_agree(env->mesh.cart, bad ? err : NULL);
}
