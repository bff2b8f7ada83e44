/* cli.h: shared pieces of the `hecaton` command-line front-end. */
#ifndef HECATON_CLI_H
#define HECATON_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "hecaton/comm.h"
#include "hecaton/hw.h"
#include "hecaton/ledger.h"
#include "hecaton/report.h"
#include "hecaton/mesh.h"
#include "hecaton/methods.h"
#include "hecaton/model.h"
#include "hecaton/train.h"

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
  char config[2048]; /* the run's configuration, stamped into its report */
} hc_cli_env;
int hc_cli_env_init(hc_cli_env *env, const hc_cli_common *o);
void hc_cli_env_free(hc_cli_env *env);
/* Gather the ledger, print its summary on rank 0 and write the report if
 * asked. Returns 0, or -1 after one message (collective). */
int hc_cli_finish_ledger(hc_cli_env *env, const char *report_path, int print);

/* A parallel method by name (methods.h) on env's mesh: checks that it can
 * run the configuration (0, or -1 with the reason in err, the same on every
 * rank) and builds it with p as its parameter shards. */
int hc_cli_method_check(const char *name, const hc_cli_env *env, const hc_model_config *cfg,
                        int b, int s, char *err, size_t errlen);
void hc_cli_method_make(const char *name, hc_cli_env *env, const hc_model_config *cfg, int b,
                        int s, int phantom, const hc_method_opts *o, hc_method *m, hc_params *p);
void hc_cli_method_free(hc_method *m);
/* models/NAME.ini found from anywhere, or a path as given. */
const char *hc_cli_model_path(const char *arg, char *buf, size_t len);

/* Memory a chiplet holds under method m (bytes): measured from the
 * allocations, and in closed form where marked. */
enum { HC_MEM_PARAMS, HC_MEM_GRADS, HC_MEM_OPTIM, HC_MEM_ACT, HC_MEM_ACT_FORMULA, HC_MEM_BUFFERS,
       HC_MEM_PARAMS_FORMULA, HC_MEM_RSS, HC_NMEM };
void hc_cli_memory(const hc_cli_env *env, const hc_method *m, size_t activation_bytes,
                   double out[HC_NMEM]);

/* After a training run: the ledger per step, memory per chiplet measured
 * and in closed form, wall time and peak memory; HDF5 report if asked. */
/* The cost summary of a gathered report (per-step ledger, time, energy,
 * memory per chiplet), as a run prints it and `hecaton report` reprints it. */
void hc_cli_print_summary(const hc_ledger_report *rep, FILE *f);
int hc_cli_cost_report(hc_cli_env *env, const hc_method *m, const hc_trainer *tr,
                       const char *report_path, double wall, const char *trace_path,
                       const char *heatmap_path);

/* train --check: step 1 against the single-process reference (check.c);
 * tr->check_arg points to an hc_cli_check. */
typedef struct {
  double rtol; /* per tensor, of its largest value */
} hc_cli_check;
int hc_cli_check_step(hc_trainer *tr, hc_model *md, const int *batch, float loss);

int hc_cmd_bench_collectives(int argc, char **argv);
int hc_cmd_gradcheck(int argc, char **argv);
int hc_cmd_bench_step(int argc, char **argv);
int hc_cmd_compare(int argc, char **argv);
int hc_cmd_estimate(int argc, char **argv);
int hc_cmd_plot(int argc, char **argv);
int hc_cmd_prepare(int argc, char **argv);
int hc_cmd_report(int argc, char **argv);
int hc_cmd_train(int argc, char **argv);
int hc_cmd_bench_train(int argc, char **argv);

#endif
