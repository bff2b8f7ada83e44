#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every test
# (unit tests, MPI tests at 1, 4, 6 and 9 ranks, command-line tests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hc_deps
hc_build
hc_log "running the test suite (ctest)"
ctest --test-dir "$HC_BUILD" --output-on-failure "$@"
