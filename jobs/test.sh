#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every test
# (unit tests, MPI tests at 1, 4, 6 and 9 ranks, command-line tests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hc_deps
hc_build
hc_log "running the test suite (ctest)"
# Two tests at a time per two cores: most of a test's time is MPI start-up
# and yielding ranks, so the suite takes about half as long (extra
# arguments go to ctest, e.g. -R cli\. or -j 1).
ctest --test-dir "$HC_BUILD" --output-on-failure -j "$(nproc)" "$@"
