#!/usr/bin/env bash
# baselines_ledger.sh BIN DATA WORKDIR NP MESH METHOD CONTROL [TRAIN OPTIONS...]
# hecaton_ledger.sh for any --method: a numeric run of `hecaton train
# --method METHOD` (2 steps) and a --dry-run of the same schedule (phantom
# tensors, no data) must leave identical ledgers: h5diff finds no difference
# in the reports' /metrics/links, /metrics/chiplets and
# /metrics/collectives/{bytes,calls,sim_time} (wall time and /metrics/memory
# legitimately differ and are not compared), and the printed cost-per-step
# and ledger tables are identical.
# Control: a dry run of --method CONTROL (another schedule) on the same mesh
# must give a different /metrics/links, so the comparison is shown able to
# fail.
# HC_MPIEXEC: the MPI launcher (default mpirun).
set -u
bin=$1 data=$2 work=$3 np=$4 mesh=$5 method=$6 control=$7
shift 7
mkdir -p "$work" && cd "$work" || exit 1
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
run() {
  local m=$1; shift
  timeout 280 "${HC_MPIEXEC:-mpirun}" --oversubscribe -np "$np" "$bin" train --method "$m" \
    --mesh "$mesh" --steps 2 --val-every 0 --log-every 0 "$@"
}
paths="/metrics/links /metrics/chiplets /metrics/collectives/bytes /metrics/collectives/calls /metrics/collectives/sim_time"
rm -f num.h5 dry.h5 other.h5
run "$method" "$@" --data "$data" --report num.h5 > num.txt 2>&1 || { cat num.txt; fail "numeric run"; }
run "$method" "$@" --dry-run --report dry.h5 > dry.txt 2>&1 || { cat dry.txt; fail "dry run"; }
grep -q "^# hecaton train: method $method on a $mesh mesh" num.txt ||
  { cat num.txt; fail "the numeric run does not say 'method $method on a $mesh mesh'"; }
for p in $paths; do
  out=$(h5diff -r num.h5 dry.h5 "$p" 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | head -40
    fail "h5diff exit $rc on $p: numeric and dry-run ledgers differ ($method, $mesh, $*)"
  fi
done
echo "ok: $method $mesh: h5diff finds no difference in $paths"
passed=$((passed + 1))
# The printed cost and ledger tables, from "bytes sent per chiplet" to
# "link bytes:", must match too.
table() { sed -n '/^  bytes sent per chiplet/,/^  link bytes:/p' "$1"; }
nl=$(table num.txt | wc -l)
[ "$nl" -ge 5 ] || { cat num.txt; fail "no cost/ledger table in the numeric run's output"; }
diff <(table num.txt) <(table dry.txt) || fail "printed ledgers differ"
echo "ok: $method $mesh: printed cost and ledger tables identical ($nl lines)"
passed=$((passed + 1))
run "$control" "$@" --dry-run --report other.h5 > other.txt 2>&1 || { cat other.txt; fail "control run ($control)"; }
h5diff -q num.h5 other.h5 /metrics/links > /dev/null 2>&1
rc=$?
[ $rc -eq 1 ] ||
  fail "control: h5diff exit $rc on /metrics/links of --method $control, expected 1 (differences)"
echo "ok: control: another schedule (--method $control) gives a different /metrics/links"
passed=$((passed + 1))
echo "$passed passed, 0 failed"
