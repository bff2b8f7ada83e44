#!/usr/bin/env bash
# dump_across_methods.sh BIN DATA WORKDIR: the gradient dump of one step
# is a file of full tensors whatever the method and mesh: the dumps of the
# single-process reference and of Hecaton on 2x2, 1x4 and 4x1 hold the
# same parameters and batch exactly and the same gradients within 1e-6
# (each written several times: parallel writes must not lose a block).
set -u
bin=$1 data=$2 work=$3
mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
cmp="/usr/bin/python3 $(cd "$(dirname "$0")" && pwd)/../tools/h5cmp.py"
run() { np=$1; shift; mpirun --oversubscribe -np "$np" "$bin" train --data "$data" --steps 1 --val-every 0 --log-every 0 "$@" >/dev/null; }
rm -f ref.h5 mesh.h5
run 1 --method single --dump-grads ref.h5 || fail "reference dump"
n=0
for mesh in 2x2 1x4 4x1 2x2 2x2; do
  run 4 --method hecaton --mesh $mesh --dump-grads mesh.h5 || fail "dump on $mesh"
  # (h5diff would also compare the per-tensor digest attributes, which
  # differ whenever a gradient differs at all)
  $cmp ref.h5 mesh.h5 /params --exact --quiet || fail "$mesh: parameters differ"
  $cmp ref.h5 mesh.h5 /batch --exact --quiet || fail "$mesh: batch differs"
  $cmp ref.h5 mesh.h5 /grads --abs 1e-6 --quiet || fail "$mesh: gradients differ by more than 1e-6"
  n=$((n + 1))
  echo "ok: hecaton $mesh dump == reference dump"
done
echo "$n passed, 0 failed"
