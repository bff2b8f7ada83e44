/* prepare.c: `hecaton prepare INPUT... -o OUTPUT.h5`: text (byte-level
 * tokens) or llm.c token shards into one HDF5 token file. Runs on rank 0;
 * the other ranks wait for its verdict. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hecaton/data.h"
#include "hecaton/util.h"

int hc_cmd_prepare(int argc, char **argv) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const char *out = NULL, *inputs[256];
  int n = 0, help = 0;
  char err[HC_ERRLEN] = "";
  int bad = 0;
  for (int a = 2; a < argc && !bad; a++) {
    if (!strcmp(argv[a], "-o") || !strcmp(argv[a], "--output")) {
      if (a + 1 >= argc) bad = hc_err(err, sizeof err, "%s needs a file name", argv[a]) != 0;
      else out = argv[++a];
    } else if (!strcmp(argv[a], "--help")) {
      help = 1;
    } else if (argv[a][0] == '-' && argv[a][1] == '-') {
      bad = hc_err(err, sizeof err, "unknown option '%s' (see --help)", argv[a]) != 0;
    } else if (n < 256) {
      inputs[n++] = argv[a];
    } else {
      bad = hc_err(err, sizeof err, "at most 256 input files") != 0;
    }
  }
  if (help) {
    if (rank == 0)
      printf("usage: hecaton prepare INPUT... -o OUTPUT.h5\n"
             "  text inputs are tokenized byte by byte (vocabulary 256); llm.c token\n"
             "  shards (.bin, magic %d, uint16 GPT-2 tokens) are imported as they are.\n"
             "  Example: hecaton prepare /usr/share/common-licenses/* -o data/licenses.h5\n",
             HC_LLMC_MAGIC);
    return 0;
  }
  if (!bad && !out) bad = hc_err(err, sizeof err, "prepare: give an output file with -o FILE.h5") != 0;
  if (!bad && n == 0) bad = hc_err(err, sizeof err, "prepare: give at least one input file") != 0;
  size_t ntok = 0;
  if (!bad && rank == 0) bad = hc_prepare(inputs, n, out, &ntok, err, sizeof err) != 0;
  if (hc_agree(MPI_COMM_WORLD, bad ? err : NULL)) return 1;
  if (rank == 0) printf("prepared %zu tokens from %d file(s) into %s\n", ntok, n, out);
  return 0;
}
