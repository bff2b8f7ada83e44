/* options.c: the commands' one option parser (cli.h: hc_cli_parse), on
 * getopt_long. getopt_long alone would permute argv, accept abbreviations
 * (--step for --steps) and print its own messages on every rank; here it
 * returns arguments in order ("-" at the head of optstring), stays quiet
 * (opterr = 0), and only exact names count, so a command's errors remain
 * one message in err that the caller has rank 0 print. */
#define _GNU_SOURCE /* getopt_long */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hecaton/args.h"
#include "hecaton/util.h"

#define MAX_OPTS 64
#define LONG_VAL 256

/* The element argv[at] names option `name` exactly ("--name" or "--name=..."). */
static int exact(const char *arg, const char *name) {
  size_t n = strlen(name);
  return arg[0] == '-' && arg[1] == '-' && !strncmp(arg + 2, name, n) &&
         (arg[2 + n] == '\0' || arg[2 + n] == '=');
}

/* getopt_long's table from ours: val is LONG_VAL + the row's index (clear of
 * the characters getopt_long returns), --help the row after the last. */
static void long_table(const hc_cli_opt *opts, size_t n, struct option *lo, char *shorts,
                       size_t shorts_len) {
  size_t ns = 0;
  shorts[ns++] = '-'; /* non-options come back in order, as 1 */
  shorts[ns++] = ':'; /* a missing value comes back as ':', not '?' */
  for (size_t k = 0; k < n; k++) {
    int has_arg = opts[k].kind == HC_OPT_FLAG        ? no_argument
                  : opts[k].kind == HC_OPT_RECOMPUTE ? optional_argument
                                                     : required_argument;
    lo[k] = (struct option){opts[k].name, has_arg, NULL, LONG_VAL + (int)k};
    if (opts[k].short_name && ns + 3 < shorts_len) {
      shorts[ns++] = opts[k].short_name;
      if (has_arg == required_argument) shorts[ns++] = ':';
    }
  }
  lo[n] = (struct option){"help", no_argument, NULL, LONG_VAL + (int)n};
  lo[n + 1] = (struct option){NULL, 0, NULL, 0};
  shorts[ns] = '\0';
}

/* The value of row k, converted where it is a number. */
static int convert(const hc_cli_opt *o, const char *v, char *err, size_t errlen) {
  char name[64];
  snprintf(name, sizeof name, "--%s", o->name);
  switch (o->kind) {
    case HC_OPT_INT: return hc_arg_int(v, name, (int)o->min, o->out, err, errlen);
    case HC_OPT_DOUBLE: return hc_arg_double(v, name, o->min, o->out, err, errlen);
    case HC_OPT_POSITIVE: return hc_arg_positive(v, name, o->out, err, errlen);
    case HC_OPT_RECOMPUTE:
      if (v && hc_parse_recompute(v, o->out))
        return hc_err(err, errlen, "%s '%s': expected none, selective or full", name, v);
      return 0;
    default: return 0;
  }
}

/* A positional argument: kept if the command takes one more, else refused
 * the way an unknown option is. */
static int positional(hc_cli_args *pos, const char *arg, char *err, size_t errlen) {
  if (pos && pos->n < pos->max) {
    pos->args[pos->n++] = arg;
    return 0;
  }
  if (pos && pos->too_many) return hc_err(err, errlen, "%s", pos->too_many);
  return hc_err(err, errlen, "unknown option '%s' (see --help)", arg);
}

int hc_cli_parse(int argc, char **argv, const hc_cli_opt *opts, size_t n, hc_cli_args *pos,
                 char *err, size_t errlen) {
  HC_ASSERT(n < MAX_OPTS);
  struct option lo[MAX_OPTS + 2];
  char shorts[2 * MAX_OPTS + 3];
  const char *raw[MAX_OPTS] = {0};
  long_table(opts, n, lo, shorts, sizeof shorts);
  if (pos) pos->n = 0;
  /* argv[1], the command, stands in for the program name. */
  int ac = argc - 1, help = 0, c;
  char **av = argv + 1;
  opterr = 0;
  optind = 0; /* 0, not 1: a full reset (glibc, musl), whatever ran before */
  for (int at = 1; (c = getopt_long(ac, av, shorts, lo, NULL)) != -1; at = optind) {
    const char *arg = av[at];
    if (c == 1) {
      if (positional(pos, optarg, err, errlen)) return -1;
      continue;
    }
    if (c == ':') return hc_err(err, errlen, "option %s needs a value", arg);
    int k = c - LONG_VAL; /* a long option's row; a short one's is looked up */
    if (c < LONG_VAL && c != '?')
      for (k = 0; k < (int)n && opts[k].short_name != c; k++) continue;
    if (c == '?' || (c >= LONG_VAL && !exact(arg, lo[k].name)))
      return hc_err(err, errlen, "unknown option '%s' (see --help)", arg);
    if (k == (int)n) help = 1;
    else if (opts[k].kind == HC_OPT_FLAG) *(int *)opts[k].out = 1;
    else if (opts[k].kind == HC_OPT_STRING) *(const char **)opts[k].out = optarg;
    else if (opts[k].kind == HC_OPT_RECOMPUTE) { /* its value may follow as the next word */
      raw[k] = optarg ? optarg : optind < ac && av[optind][0] != '-' ? av[optind++] : "full";
    } else raw[k] = optarg;
  }
  for (int a = optind; a < ac; a++) /* after "--": all positional */
    if (positional(pos, av[a], err, errlen)) return -1;
  if (help) return HC_CLI_HELP;
  for (size_t k = 0; k < n; k++)
    if (convert(&opts[k], raw[k], err, errlen)) return -1;
  return 0;
}

int hc_cli_options(int argc, char **argv, const hc_cli_opt *opts, size_t nopts, hc_cli_args *pos,
                   void (*help)(void), char *err, size_t errlen) {
  int rc = hc_cli_parse(argc, argv, opts, nopts, pos, err, errlen);
  if (rc == HC_CLI_HELP) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) help();
  }
  return rc;
}
