#!/usr/bin/env bash
# The speed benchmarks, each measuring its ratio side by side in one run:
#  - bench-train: a single-process training step of the small model against
#    the machine's cblas_sgemm peak, one BLAS thread (aim: >= 0.5);
#  - bench-step: a Hecaton step on 1x2 (one BLAS thread per rank) against
#    the single-process reference with two BLAS threads (aim: <= 1.3).
# Ranks are not bound to cores, so the reference's two BLAS threads get
# two cores.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
OPENBLAS_NUM_THREADS=1 mpirun --bind-to none -np 1 "$HC_BUILD/hecaton" bench-train "$@"
OPENBLAS_NUM_THREADS=2 mpirun --bind-to none -x OPENBLAS_NUM_THREADS=2 -np 2 "$HC_BUILD/hecaton" bench-step
