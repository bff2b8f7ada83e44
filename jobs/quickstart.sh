#!/usr/bin/env bash
# The default job: install what is missing, build, and run the collective
# benchmark on a 2x2 chiplet mesh with the standard-package hardware file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
hc_log "running: mpirun -np 4 hecaton bench-collectives --mesh 2x2 --report build/bench-2x2.h5"
hc_mpirun 4 bench-collectives --mesh 2x2 --hw models/hw/standard.ini \
  --report "$HC_BUILD/bench-2x2.h5" "$@"
