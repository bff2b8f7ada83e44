#!/usr/bin/env bash
# expect.sh fail|ok PATTERN -- COMMAND...
# Runs COMMAND (with a time limit, so a hang fails) and checks its exit
# status, and that PATTERN (extended regex) appears in its output: exactly
# once for "fail" (one clear message from rank 0), at least once for "ok".
set -u
want=$1 pattern=$2
shift 2
[ "$1" = "--" ] && shift
out=$(timeout 120 "$@" 2>&1)
rc=$?
if [ $rc -eq 124 ]; then
  echo "FAIL: timed out (hang?): $*"; echo "$out"; exit 1
fi
count=$(printf '%s\n' "$out" | grep -Ec -- "$pattern")
if [ "$want" = fail ]; then
  if [ $rc -eq 0 ]; then echo "FAIL: exit 0, expected an error: $*"; echo "$out"; exit 1; fi
  if [ "$count" -ne 1 ]; then
    echo "FAIL: '$pattern' printed $count times, expected once: $*"; echo "$out"; exit 1
  fi
else
  if [ $rc -ne 0 ]; then echo "FAIL: exit $rc: $*"; echo "$out"; exit 1; fi
  if [ "$count" -lt 1 ]; then echo "FAIL: no '$pattern' in output: $*"; echo "$out"; exit 1; fi
fi
echo "ok: exit $rc, '$pattern' x$count"
