/* prepare.c: `hecaton prepare INPUT... -o OUTPUT.h5`: text (byte-level
 * tokens) or llm.c token shards into one HDF5 token file. Runs on rank 0;
 * the other ranks wait for its verdict. */
#include <stdio.h>

#include "cli.h"
#include "hecaton/data.h"
#include "hecaton/util.h"

static void help(void) {
  printf("usage: hecaton prepare INPUT... -o OUTPUT.h5\n"
         "  text inputs are tokenized byte by byte (vocabulary 256); llm.c token\n"
         "  shards (.bin, magic %d, uint16 GPT-2 tokens) are imported as they are.\n"
         "  Example: hecaton prepare /usr/share/common-licenses/* -o data/licenses.h5\n",
         HC_LLMC_MAGIC);
}

int hc_cmd_prepare(int argc, char **argv) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const char *out = NULL, *inputs[256];
  const hc_cli_opt opts[] = {{"output", HC_OPT_STRING, &out, 0, 'o'}};
  hc_cli_args in = {.args = inputs, .max = 256, .too_many = "at most 256 input files"};
  char err[HC_ERRLEN] = "";
  int rc = hc_cli_options(argc, argv, opts, HC_NOPTS(opts), &in, help, err, sizeof err);
  if (rc == HC_CLI_HELP) return 0;
  int bad = rc != 0;
  if (!bad && !out) bad = hc_err(err, sizeof err, "prepare: give an output file with -o FILE.h5") != 0;
  if (!bad && in.n == 0) bad = hc_err(err, sizeof err, "prepare: give at least one input file") != 0;
  size_t ntok = 0;
  if (!bad && rank == 0) bad = hc_prepare(inputs, in.n, out, &ntok, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  if (rank == 0) printf("prepared %zu tokens from %d file(s) into %s\n", ntok, in.n, out);
  return 0;
}
