#!/usr/bin/env bash
# The collective benchmark on a 2x2 mesh (standard package), with the
# ledger written to build/bench-2x2.h5. Extra arguments go to the command,
# e.g. --hw models/hw/advanced.ini or --algo bidir.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
hc_mpirun 4 bench-collectives --mesh 2x2 --report "$HC_BUILD/bench-2x2.h5" "$@"
