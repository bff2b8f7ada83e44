#!/usr/bin/env bash
# hecaton_checkpoint.sh BIN DATA WORKDIR RTOL
# Checkpoints move across meshes: they hold full (global) tensors, so a run
# stopped on one mesh resumes on another, or on one rank with --method
# single, and continues the same schedule. Each case: 20 steps, stopped
# after 10 with --save on mesh A, resumed on B; the resumed steps 11..20
# must match an uninterrupted single-rank run of the 20 steps within RTOL
# (relative, per step loss). Cases:
#   tiny-96, batch 6 x 32: hecaton 2x3 -> hecaton 3x3;
#   tiny-64 (batch 8 x 64): hecaton 2x2 -> single (one rank).
# Also checks the checkpoint's shapes are global (h5ls).
# HC_MPIEXEC: the MPI launcher (default mpirun).
set -u
bin=$1 data=$2 work=$3 rtol=$4
mkdir -p "$work" && cd "$work" || exit 1
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
run() {
  local n=$1
  shift
  timeout 280 "${HC_MPIEXEC:-mpirun}" --oversubscribe -np "$n" "$bin" train --data "$data" \
    --steps 20 --val-every 0 --log-every 0 "$@"
}
# compare RESUMED.csv REFERENCE.csv WHAT: steps 11..20 within rtol.
compare() {
  local got
  got=$(grep -E '^[0-9]' "$1" | cut -d, -f1 | tr '\n' ' ')
  [ "$got" = "$(seq -s ' ' 11 20) " ] || fail "$3: the resumed log holds steps '$got', expected 11..20"
  res=$(join -t, <(grep -E '^[0-9]' "$1" | sort -t, -k1,1) <(grep -E '^[0-9]' "$2" | sort -t, -k1,1) |
        awk -F, '{ d = $2 - $6; if (d < 0) d = -d; r = d / ($6 < 0 ? -$6 : $6); n++
                   if (r >= m) { m = r; s = $1 } } END { printf "%d %.3e %s\n", n, m, s }')
  read -r n m s <<< "$res"
  [ "$n" -eq 10 ] || fail "$3: $n resumed steps found in the reference"
  awk -v m="$m" -v t="$rtol" 'BEGIN { exit !(m <= t) }' ||
    fail "$3: resumed loss differs from the uninterrupted single run by $m relative at step $s, bound $rtol"
  ok "$3: steps 11..20 match the uninterrupted single run (max rel diff $m at step $s, bound $rtol)"
}

rm -f ck96.h5 ck64.h5 ./*.csv
A96="--model tiny-96 --batch 6 --seq 32"
run 6 --method hecaton --mesh 2x3 $A96 --stop-after 10 --save ck96.h5 > a.txt 2>&1 ||
  { cat a.txt; fail "tiny-96 on 2x3, steps 1..10"; }
[ -f ck96.h5 ] || fail "no checkpoint ck96.h5"
ls ck96.h5.tmp* > /dev/null 2>&1 && fail "a temporary checkpoint file was left behind"
h5ls -r ck96.h5 > ls.txt || fail "h5ls ck96.h5"
grep -Eq '^/params/output\.weight +Dataset \{256, 96\}$' ls.txt &&
  grep -Eq '^/params/layers\.0\.feed_forward\.w1\.weight +Dataset \{192, 96\}$' ls.txt &&
  grep -Eq '^/optim/m/layers\.1\.attention\.wk\.weight +Dataset \{16, 96\}$' ls.txt ||
  { cat ls.txt; fail "checkpoint of a 2x3 run lacks global shapes (output {256, 96}, w1 {192, 96}, m of wk {16, 96})"; }
ok "the 2x3 checkpoint holds global tensors (output.weight {256, 96}, w1 {192, 96}, Adam m of wk {16, 96})"
run 9 --method hecaton --mesh 3x3 $A96 --resume ck96.h5 --log-file b96.csv > b.txt 2>&1 ||
  { cat b.txt; fail "tiny-96 resumed on 3x3"; }
grep -q '^resumed from ck96.h5 at step 10$' b.txt || { cat b.txt; fail "no 'resumed from ck96.h5 at step 10'"; }
run 1 --method single $A96 --log-file ref96.csv > c.txt 2>&1 || { cat c.txt; fail "tiny-96 single"; }
compare b96.csv ref96.csv "tiny-96 2x3 -> 3x3"

run 4 --method hecaton --mesh 2x2 --stop-after 10 --save ck64.h5 > d.txt 2>&1 ||
  { cat d.txt; fail "tiny-64 on 2x2, steps 1..10"; }
run 1 --method single --resume ck64.h5 --log-file b64.csv > e.txt 2>&1 ||
  { cat e.txt; fail "tiny-64 resumed on one rank"; }
grep -q '^resumed from ck64.h5 at step 10$' e.txt || { cat e.txt; fail "no 'resumed from ck64.h5 at step 10'"; }
run 1 --method single --log-file ref64.csv > f.txt 2>&1 || { cat f.txt; fail "tiny-64 single"; }
compare b64.csv ref64.csv "tiny-64 2x2 -> single"
echo "$passed passed, 0 failed"
