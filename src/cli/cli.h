/* cli.h: shared pieces of the `hecaton` command-line front-end. */
#ifndef HECATON_CLI_H
#define HECATON_CLI_H

#include <stddef.h>

#include "hecaton/comm.h"
#include "hecaton/hw.h"
#include "hecaton/ledger.h"
#include "hecaton/mesh.h"

/* Options every mesh command understands. */
typedef struct {
  const char *mesh;    /* "RxC"; NULL: the squarest mesh of the world size */
  const char *hw_path; /* hardware file */
  hc_algo algo;
  int phantom;         /* --dry-run */
  const char *report;  /* HDF5 report path or NULL */
} hc_cli_common;

/* Option table for a simple "--name value" / "--flag" parser. */
typedef struct {
  const char *name;
  int takes_value;
  const char **value; /* where the value (or "1" for a flag) goes */
} hc_cli_opt;

/* Parse argv[first..] against opts; 0 ok, -1 with a message in err. */
int hc_cli_parse(int argc, char **argv, int first, const hc_cli_opt *opts, size_t nopts,
                 char *err, size_t errlen);
/* Resolve a path shipped with the project: as given if it exists, else
 * relative to the source tree the binary was built from. */
const char *hc_cli_find_file(const char *path, char *buf, size_t len);

/* Everything a mesh command needs, set up collectively; on failure rank 0
 * has printed one message and every rank gets -1. */
typedef struct {
  hc_mesh mesh;
  hc_hw hw;
  hc_ledger ledger;
  hc_comm comm;
} hc_cli_env;
int hc_cli_env_init(hc_cli_env *env, const hc_cli_common *o);
void hc_cli_env_free(hc_cli_env *env);
/* Gather the ledger, print its summary on rank 0 and write the report if
 * asked. Returns 0, or -1 after one message (collective). */
int hc_cli_finish_ledger(hc_cli_env *env, const char *report_path, int print);

int hc_cmd_bench_collectives(int argc, char **argv);
int hc_cmd_prepare(int argc, char **argv);
int hc_cmd_train(int argc, char **argv);
int hc_cmd_bench_train(int argc, char **argv);

#endif
