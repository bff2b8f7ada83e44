#!/usr/bin/env bash
# hecaton_equiv.sh BIN DATA WORKDIR NP MESH STEPS RTOL [TRAIN OPTIONS...]
# Training equivalence: `hecaton train --method hecaton --mesh MESH` on NP
# ranks and `--method single` on one rank, same seeds, data and options,
# for STEPS steps. Every step of the two --log-file CSVs (step, loss, lr,
# grad_norm, val_loss) must be present, with the same learning rate, and
# the losses must agree within RTOL relative (the gradient norms, more
# sensitive to summation order, within 250 x RTOL). Prints the measured
# largest differences.
# HC_MPIEXEC: the MPI launcher (default mpirun).
set -u
bin=$1 data=$2 work=$3 np=$4 mesh=$5 steps=$6 rtol=$7
shift 7
mkdir -p "$work" && cd "$work" || exit 1
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
run() {
  local n=$1
  shift
  timeout 280 "${HC_MPIEXEC:-mpirun}" --oversubscribe -np "$n" "$bin" train --data "$data" \
    --steps "$steps" --val-every 0 --log-every 0 "$@"
}
rm -f mesh.csv single.csv
run "$np" --method hecaton --mesh "$mesh" "$@" --log-file mesh.csv > mesh.txt 2>&1 ||
  { cat mesh.txt; fail "hecaton run on $mesh"; }
run 1 --method single "$@" --log-file single.csv > single.txt 2>&1 ||
  { cat single.txt; fail "single run"; }
for f in mesh.csv single.csv; do
  got=$(grep -E '^[0-9]' "$f" | cut -d, -f1 | tr '\n' ' ')
  [ "$got" = "$(seq -s ' ' 1 "$steps") " ] || fail "$f does not hold steps 1..$steps"
done
echo "ok: both logs hold steps 1..$steps"
passed=$((passed + 1))
# Per step: relative loss and grad-norm differences; lr must match exactly.
res=$(paste -d, <(grep -E '^[0-9]' mesh.csv) <(grep -E '^[0-9]' single.csv) | awk -F, '
  function rel(a, b) { d = a - b; if (d < 0) d = -d; if (b < 0) b = -b; return b > 0 ? d / b : d }
  { if ($3 != $8) bad_lr = $1
    r = rel($2, $7); if (r >= ml) { ml = r; sl = $1 }
    g = rel($4, $9); if (g >= mg) { mg = g; sg = $1 } }
  END { printf "%s %.3e %s %.3e %s\n", bad_lr == "" ? 0 : bad_lr, ml, sl, mg, sg }')
read -r bad_lr loss_rel loss_step gn_rel gn_step <<< "$res"
[ "$bad_lr" = 0 ] || fail "learning rates differ at step $bad_lr"
echo "measured: loss max rel diff $loss_rel (step $loss_step), grad norm max rel diff $gn_rel (step $gn_step)"
awk -v m="$loss_rel" -v t="$rtol" 'BEGIN { exit !(m <= t) }' ||
  fail "$mesh vs single: loss differs by $loss_rel relative at step $loss_step, bound $rtol"
echo "ok: $mesh vs single: losses of $steps steps agree within $rtol relative"
passed=$((passed + 1))
awk -v m="$gn_rel" -v t="$rtol" 'BEGIN { exit !(m <= 250 * t) }' ||
  fail "$mesh vs single: grad norm differs by $gn_rel relative at step $gn_step, bound 250 x $rtol"
echo "ok: $mesh vs single: grad norms agree within 250 x $rtol relative"
passed=$((passed + 1))
echo "$passed passed, 0 failed"
