#!/usr/bin/env bash
# hecaton_ledger.sh BIN DATA WORKDIR NP MESH [TRAIN OPTIONS...]
# A numeric run of `hecaton train --method hecaton` and a --dry-run of the
# same schedule (phantom tensors, no data) must leave identical ledgers:
# h5diff finds no difference in the reports' /metrics/links,
# /metrics/chiplets and /metrics/collectives/{bytes,calls,sim_time} (wall
# time and /metrics/memory legitimately differ and are not compared), and
# the printed cost-per-step and ledger tables are identical.
# Control: a dry run of another schedule (--save-gathered) must differ, so
# the comparison is shown able to fail.
# HC_MPIEXEC: the MPI launcher (default mpirun).
set -u
bin=$1 data=$2 work=$3 np=$4 mesh=$5
shift 5
mkdir -p "$work" && cd "$work" || exit 1
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
run() {
  timeout 280 "${HC_MPIEXEC:-mpirun}" --oversubscribe -np "$np" "$bin" train --method hecaton \
    --mesh "$mesh" --steps 2 --val-every 0 --log-every 0 "$@"
}
paths="/metrics/links /metrics/chiplets /metrics/collectives/bytes /metrics/collectives/calls /metrics/collectives/sim_time"
rm -f num.h5 dry.h5 other.h5
run "$@" --data "$data" --report num.h5 > num.txt 2>&1 || { cat num.txt; fail "numeric run"; }
run "$@" --dry-run --report dry.h5 > dry.txt 2>&1 || { cat dry.txt; fail "dry run"; }
for p in $paths; do
  out=$(h5diff -r num.h5 dry.h5 "$p" 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | head -40
    fail "h5diff exit $rc on $p: numeric and dry-run ledgers differ ($mesh, $*)"
  fi
done
echo "ok: $mesh: h5diff finds no difference in $paths"
passed=$((passed + 1))
# The printed cost and ledger tables, from "bytes sent per chiplet" to
# "link bytes:", must match too.
table() { sed -n '/^  bytes sent per chiplet/,/^  link bytes:/p' "$1"; }
nl=$(table num.txt | wc -l)
[ "$nl" -ge 5 ] || { cat num.txt; fail "no cost/ledger table in the numeric run's output"; }
diff <(table num.txt) <(table dry.txt) || fail "printed ledgers differ"
echo "ok: $mesh: printed cost and ledger tables identical ($nl lines)"
passed=$((passed + 1))
run "$@" --dry-run --save-gathered --report other.h5 > other.txt 2>&1 || { cat other.txt; fail "control run"; }
h5diff -q num.h5 other.h5 /metrics/links > /dev/null 2>&1
rc=$?
[ $rc -eq 1 ] || fail "control: h5diff exit $rc on /metrics/links of another schedule (--save-gathered), expected 1 (differences)"
echo "ok: control: another schedule (--save-gathered) gives a different /metrics/links"
passed=$((passed + 1))
echo "$passed passed, 0 failed"
