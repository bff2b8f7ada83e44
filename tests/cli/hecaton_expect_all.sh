#!/usr/bin/env bash
# hecaton_expect_all.sh PATTERN... -- COMMAND...
# Runs COMMAND (with a time limit, so a hang fails) and checks that it exits
# 0 and that every PATTERN (extended regex) appears in its output at least
# once. For runs whose success needs more than one line to show.
set -u
pats=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do pats+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && [ ${#pats[@]} -gt 0 ] || { echo "usage: $0 PATTERN... -- COMMAND..."; exit 2; }
out=$(timeout 280 "$@" 2>&1)
rc=$?
if [ $rc -eq 124 ]; then echo "FAIL: timed out (hang?): $*"; echo "$out"; exit 1; fi
if [ $rc -ne 0 ]; then echo "FAIL: exit $rc: $*"; echo "$out"; exit 1; fi
for p in "${pats[@]}"; do
  if ! printf '%s\n' "$out" | grep -Eq -- "$p"; then
    echo "FAIL: no '$p' in the output of: $*"; echo "$out"; exit 1
  fi
  echo "ok: '$p'"
done
echo "${#pats[@]} passed, 0 failed"
