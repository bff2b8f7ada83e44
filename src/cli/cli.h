/* cli.h: shared pieces of the `hecaton` command-line front-end. */
#ifndef HECATON_CLI_H
#define HECATON_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "hecaton/comm.h"
#include "hecaton/cost.h"
#include "hecaton/hw.h"
#include "hecaton/ledger.h"
#include "hecaton/report.h"
#include "hecaton/mesh.h"
#include "hecaton/methods.h"
#include "hecaton/model.h"
#include "hecaton/rng.h"
#include "hecaton/train.h"

/* Options every mesh command understands. */
typedef struct {
  const char *mesh;    /* "RxC"; NULL: the squarest mesh of the world size */
  const char *hw_path; /* hardware file */
  hc_algo algo;
  int phantom;         /* --dry-run */
  const char *report;  /* HDF5 report path or NULL */
} hc_cli_common;

/* ---- options (options.c): the one parser, on getopt_long ----------------
 * Long options only ("--name value", "--name=value", "--flag"), plus a
 * short letter where a row gives one; names must be given whole. Every
 * command also understands --help. */
typedef enum {
  HC_OPT_FLAG,     /* *(int *)out = 1 */
  HC_OPT_STRING,   /* *(const char **)out = the value */
  HC_OPT_INT,      /* an integer >= min into *(int *)out (hc_arg_int) */
  HC_OPT_DOUBLE,   /* a finite number >= min into *(double *)out (hc_arg_double) */
  HC_OPT_POSITIVE, /* a finite number > 0 into *(double *)out (hc_arg_positive) */
  HC_OPT_RECOMPUTE, /* "--name MODE", "--name=MODE" (none, selective, full) or a bare
                       "--name" (full) into *(hc_recompute *)out */
} hc_opt_kind;

typedef struct {
  const char *name; /* without the leading "--" */
  hc_opt_kind kind;
  void *out;        /* left as it is when the option is not given: the default */
  double min;       /* HC_OPT_INT, HC_OPT_DOUBLE: the smallest value accepted */
  char short_name;  /* 'o' for -o; 0: none */
} hc_cli_opt;

/* Positional arguments a command takes (up to max, into args); one more is
 * refused with too_many, or as an unknown option when that is NULL. */
typedef struct {
  const char **args;
  int max, n;
  const char *too_many;
} hc_cli_args;

/* Table rows; the conditional makes the compiler check out's type. */
#define HC_FLAG(name, out) {name, HC_OPT_FLAG, 1 ? (out) : (int *)0, 0, 0}
#define HC_STRING(name, out) {name, HC_OPT_STRING, 1 ? (out) : (const char **)0, 0, 0}
#define HC_INT(name, out, min) {name, HC_OPT_INT, 1 ? (out) : (int *)0, min, 0}
#define HC_DOUBLE(name, out, min) {name, HC_OPT_DOUBLE, 1 ? (out) : (double *)0, min, 0}
#define HC_POSITIVE(name, out) {name, HC_OPT_POSITIVE, 1 ? (out) : (double *)0, 0, 0}
#define HC_RECOMPUTE(name, out) {name, HC_OPT_RECOMPUTE, 1 ? (out) : (hc_recompute *)0, 0, 0}

#define HC_CLI_HELP 1
#define HC_NOPTS(table) (sizeof(table) / sizeof(table)[0])

/* Parse argv[2..] (argv[1] is the command) against opts; pos may be NULL
 * (no positional arguments). Returns 0 with every value stored and every
 * number converted (in table order, after the whole line is read);
 * HC_CLI_HELP when --help was given (numbers not converted); or -1 with one
 * message in err: "unknown option '--x' (see --help)", "option --x needs a
 * value", or the conversion's "--x 'value': expected ...". */
int hc_cli_parse(int argc, char **argv, const hc_cli_opt *opts, size_t nopts, hc_cli_args *pos,
                 char *err, size_t errlen);
/* hc_cli_parse, and for --help rank 0 calls help(): a command returns 0 on
 * HC_CLI_HELP and shares the verdict of -1 (hc_agree). */
int hc_cli_options(int argc, char **argv, const hc_cli_opt *opts, size_t nopts, hc_cli_args *pos,
                   void (*help)(void), char *err, size_t errlen);

/* LoRA finetuning options (model_config.h), shared by the commands that
 * build a model: --lora R, --lora-alpha A (default R: scale 1),
 * --lora-targets LIST (default wq,wv, as Hu et al. adapt). */
typedef struct {
  int rank;            /* 0: no LoRA */
  double alpha;        /* 0: the rank */
  const char *targets; /* NULL: the default */
} hc_cli_lora;
#define HC_LORA_OPTS(l)                                                                     \
  HC_INT("lora", &(l)->rank, 1), HC_DOUBLE("lora-alpha", &(l)->alpha, 0),                  \
      HC_STRING("lora-targets", &(l)->targets)
#define HC_LORA_HELP                                                                         \
  "  --lora R               LoRA finetuning: freeze the model, train rank-R adapters\n"     \
  "  --lora-alpha A         adapter scale A/R (default A = R)\n"                           \
  "  --lora-targets LIST    linears to adapt: wq,wk,wv,wo,w1,w2,w3 or all (default wq,wv)\n"
/* Put the options into cfg (nothing without --lora; --lora-alpha or
 * --lora-targets alone are refused): 0, or -1 with the message. */
int hc_cli_lora_apply(const hc_cli_lora *l, hc_model_config *cfg, char *err, size_t errlen);

/* Shared checks of option values: 0, or -1 with the option's message. */
int hc_cli_algo(const char *s, hc_algo *out, char *err, size_t errlen);
int hc_cli_schedule(const char *s, hc_schedule *out, char *err, size_t errlen);
/* The default batch on an R x C mesh: 2 x lcm(R, C) sequences. */
int hc_cli_default_batch(int R, int C);

/* b x (s + 1) token ids below vocab drawn from r (the same on every rank
 * that seeds r alike). */
void hc_cli_random_tokens(hc_rng *r, int *batch, int b, int s, int vocab);
/* A batch of those, from a generator seeded with seed (free() it). */
int *hc_cli_random_batch(int b, int s, int vocab, uint64_t seed);
/* Best and mean seconds of `steps` training steps (AdamW, lr 1e-4, clip 1)
 * after one warm-up step; with a comm, the slowest rank's each step. */
void hc_cli_time_steps(hc_model *md, const int *batch, int steps, MPI_Comm comm, double *best,
                       double *mean);

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
/* The registry's methods (mesh_only: without the reference), one help line
 * each: name and summary. */
void hc_cli_help_methods(int mesh_only);
/* Methods named on the command line (compare --methods, estimate --method). */
#define HC_CLI_MAX_METHODS 16
typedef struct {
  const char *names[HC_CLI_MAX_METHODS]; /* into buf, or the registry's */
  int n;
  char buf[256];
} hc_cli_method_set;
/* A comma-separated list of method names (NULL: the registry's mesh
 * methods, in its order) into set: its count, or -1 with
 * "<what>'<name>': expected <the registry's names>" for a name it does not
 * know (mesh_only: or the reference). */
int hc_cli_method_names(const char *list, const char *what, int mesh_only, hc_cli_method_set *set,
                        char *err, size_t errlen);
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
int hc_cmd_import(int argc, char **argv);
int hc_cmd_export(int argc, char **argv);
int hc_cmd_report(int argc, char **argv);
int hc_cmd_sweep(int argc, char **argv);
int hc_cmd_train(int argc, char **argv);
int hc_cmd_bench_train(int argc, char **argv);

#endif
