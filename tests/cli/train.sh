#!/usr/bin/env bash
# train.sh BIN DATA WORKDIR: end-to-end checks of `hecaton train` (single):
#  - two runs with one seed give bit-identical losses (CSV at 9 digits);
#  - stop at step k with a checkpoint, resume: the losses from k on are
#    bit-identical to the uninterrupted run;
#  - 300 steps on the default corpus bring the validation loss far below
#    ln(256) = 5.545 (bound: 2.6);
#  - the gradient dump holds every tensor, the batch and the loss.
set -u
bin=$1 data=$2 work=$3
mkdir -p "$work" && cd "$work" || exit 1
run() { mpirun --oversubscribe -np 1 "$bin" train --data "$data" --val-every 0 --log-every 0 "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

rm -f a.csv b.csv c.csv ck.h5 dump.h5
run --steps 40 --log-file a.csv >/dev/null || fail "run a"
run --steps 40 --log-file b.csv >/dev/null || fail "run b"
cmp -s a.csv b.csv || { diff a.csv b.csv | head; fail "same seed, different losses"; }
echo "ok: two runs with one seed are bit-identical ($(($(wc -l < a.csv) - 1)) steps)"

run --steps 40 --stop-after 15 --save ck.h5 --log-file c.csv >/dev/null || fail "run to 15"
[ -f ck.h5 ] || fail "no checkpoint"
run --steps 40 --resume ck.h5 --log-file c.csv >/dev/null || fail "resume"
cmp -s a.csv c.csv || { diff a.csv c.csv | head; fail "resumed run differs from the uninterrupted one"; }
echo "ok: save at 15, resume: steps 16..40 bit-identical"

out=$(run --steps 300 --val-every 300 --val-batches 16 --log-file d.csv) || fail "300 steps"
val=$(tail -1 d.csv | cut -d, -f5)
awk -v v="$val" 'BEGIN { exit !(v < 2.6) }' || fail "validation loss $val after 300 steps, bound 2.6"
echo "ok: validation loss after 300 steps $val < 2.6 (ln 256 = 5.545)"

run --steps 1 --dump-grads dump.h5 >/dev/null || fail "dump"
n=$(h5ls -r dump.h5 | grep -c '^/grads/')
want=$(h5ls -r dump.h5 | grep -c '^/params/')
[ "$n" -gt 0 ] && [ "$n" -eq "$want" ] || fail "dump holds $n gradients for $want parameters"
h5ls -r dump.h5 | grep -q '^/batch/tokens .*{8, 65}' || fail "dump lacks /batch/tokens (8, 65)"
h5ls -r dump.h5 | grep -q '^/loss ' || fail "dump lacks /loss"
echo "ok: gradient dump holds $n gradients, the batch and the loss"
echo "4 passed, 0 failed"
