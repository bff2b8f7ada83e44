#!/usr/bin/env bash
# crash_safety.sh BIN DATA WORKDIR: a rank killed (SIGKILL) while the mesh
# writes a checkpoint loses nothing.
# A 2x2 Hecaton run of tiny-128 saves a checkpoint after every step (most
# of its time is spent writing). In each trial one rank, a different one
# each time, is killed at another moment after a write has started (0 to
# 80 ms into it, retrying on a later write if that one ended first). Then:
#  - every rank and mpirun end within $limit s of the kill, with a non-zero
#    exit;
#  - the checkpoint under the real name is complete: the step it holds is
#    one the run finished, and a resume from it (which verifies every
#    tensor's stored digest) trains on;
#  - no other file carries the real name (only the temporary ck.h5.tmp may
#    be left, and the next save truncates it).
# At least half the kills must land while a temporary file exists (during
# a write), or the test says it could not hit a write.
set -u
bin=$1 data=$2 work=$3
mkdir -p "$work" && cd "$work" || exit 1
limit=15
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
mid_write=0 trials=0
for delay in 0 0.005 0.01 0.02 0.04 0.08; do
  trials=$((trials + 1))
  victim=$(( (trials - 1) % 4 ))
  rm -rf run && mkdir run && cd run || exit 1
  mpirun --oversubscribe -np 4 "$bin" train --method hecaton --mesh 2x2 --model tiny-128 \
    --data "$data" --batch 8 --seq 64 --steps 100000 --save-every 1 --save ck.h5 \
    --val-every 0 --log-every 1 >log.txt 2>&1 &
  mpi=$!
  # wait for a first complete checkpoint, then for a later write to start
  for _ in $(seq 600); do [ -e ck.h5 ] && break; sleep 0.05; done
  [ -e ck.h5 ] || { kill -9 $mpi; fail "trial $trials: no checkpoint written within 30 s"; }
  # a write that is still going on after the delay (the step between two
  # writes varies with the machine's load: a write that ended during the
  # delay is let go, and the next one waited for, up to 10 times)
  for _ in $(seq 10); do
    for _ in $(seq 2000); do [ -e ck.h5.tmp ] && break; sleep 0.002; done
    sleep "$delay"
    [ -e ck.h5.tmp ] && break
  done
  ranks=$(pgrep -P $mpi -f "$bin" | sort -n)
  pid=$(printf '%s\n' $ranks | sed -n "$((victim + 1))p")
  [ -n "$pid" ] || { kill -9 $mpi; fail "trial $trials: rank $victim not found among '$ranks'"; }
  [ -e ck.h5.tmp ] && writing=1 || writing=0
  t0=$(date +%s.%N)
  kill -9 "$pid"
  wait $mpi
  rc=$?
  t1=$(date +%s.%N)
  took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  [ "$rc" -ne 0 ] || fail "trial $trials: mpirun exited 0 after a rank was killed"
  awk -v t="$took" -v l=$limit 'BEGIN { exit !(t <= l) }' || fail "trial $trials: the run took $took s to end (limit $limit s)"
  left=$(pgrep -f "$bin train --method hecaton --mesh 2x2 --model tiny-128" | grep -v "^$$\$" || true)
  [ -z "$left" ] || fail "trial $trials: processes left running: $left"
  mid_write=$((mid_write + writing))
  others=$(ls | grep -v -x -e ck.h5 -e ck.h5.tmp -e log.txt || true)
  [ -z "$others" ] || fail "trial $trials: unexpected files: $others"
  last=$(grep -Eo '^step +[0-9]+' log.txt | tail -1 | grep -Eo '[0-9]+')
  [ -n "$last" ] || fail "trial $trials: no step finished before the kill"
  # resume: verifies the digests and trains one more step from the saved step
  saved=$(/usr/bin/python3 -c 'import h5py,sys; print(int(h5py.File(sys.argv[1],"r").attrs["step"]))' ck.h5) ||
    fail "trial $trials: ck.h5 is not a readable HDF5 file"
  [ "$saved" -ge 1 ] && [ "$saved" -le "$last" ] || fail "trial $trials: ck.h5 holds step $saved, the log reached $last"
  out=$(timeout 120 mpirun --oversubscribe -np 4 "$bin" train --method hecaton --mesh 2x2 --model tiny-128 \
        --data "$data" --batch 8 --seq 64 --steps $((saved + 1)) --resume ck.h5 --val-every 0 --log-every 1 2>&1) ||
    { echo "$out" | tail -5; fail "trial $trials: resume from the surviving checkpoint failed"; }
  echo "$out" | grep -Eq "^step +$((saved + 1))/" || fail "trial $trials: the resumed run did not reach step $((saved + 1))"
  ok "trial $trials: rank $victim killed $delay s into a write (temporary file present: $writing); run ended in $took s (rc $rc); ck.h5 at step $saved intact and resumed"
  cd ..
done
[ $((mid_write * 2)) -ge $trials ] || fail "only $mid_write of $trials kills landed during a write"
ok "$mid_write of $trials kills landed during a checkpoint write"
echo "$passed passed, 0 failed"
