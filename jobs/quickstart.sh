#!/usr/bin/env bash
# The default job: install what is missing, build, turn text every Debian
# machine has (/usr/share/common-licenses) into a byte-level token file, and
# train the tiny-64 model on it with the single-process reference, showing
# the loss fall. Extra arguments go to `hecaton train`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
if [ ! -f data/licenses.h5 ]; then
  hc_log "preparing the default corpus: /usr/share/common-licenses -> data/licenses.h5"
  hc_mpirun 1 prepare /usr/share/common-licenses/* -o data/licenses.h5
fi
hc_log "running: mpirun -np 1 hecaton train --method single --model tiny-64 --steps 300"
hc_mpirun 1 train --method single --model tiny-64 --data data/licenses.h5 --steps 300 \
  --log-every 10 --val-every 100 "$@"
