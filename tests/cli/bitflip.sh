#!/usr/bin/env bash
# bitflip.sh BIN DATA WORKDIR: one flipped bit in the data of an HDF5 file
# the project wrote is reported on load, not trained on:
#  - a token file from `prepare` (Fletcher32 checksum on its chunks);
#  - a checkpoint (per-tensor digests): a bit in /params, in /optim/m and in
#    /optim/v, each loaded on a 2x2 mesh and on one rank;
# each gives one message naming the file (and the tensor) on 4 ranks and a
# non-zero exit; the unflipped copies load.
set -u
bin=$1 data=$2 work=$3
mkdir -p "$work" && cd "$work" || exit 1
py=/usr/bin/python3
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
# flip FILE DATASET BYTE: flip bit 3 of byte BYTE of DATASET's stored data
flip() {
  "$py" - "$@" <<'PY'
import sys, h5py
path, name, byte = sys.argv[1], sys.argv[2], int(sys.argv[3])
with h5py.File(path, "r") as f:
    ds = f[name]
    off = ds.id.get_chunk_info(0).byte_offset if ds.chunks else ds.id.get_offset()
buf = bytearray(open(path, "rb").read())
buf[off + byte] ^= 0x08
open(path, "wb").write(buf)
PY
}
# expect NP PATTERN ARGS...: non-zero exit, PATTERN printed exactly once
expect() {
  local np=$1 pat=$2 out rc n
  shift 2
  out=$(timeout 60 mpirun --oversubscribe -np "$np" "$bin" "$@" 2>&1)
  rc=$?
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "$out" | tail -5; fail "exit $rc for: $*"; }
  n=$(printf '%s\n' "$out" | grep -Ec -- "$pat")
  [ "$n" = 1 ] || { echo "$out" | tail -5; fail "'$pat' printed $n times for: $*"; }
  printf '%s\n' "$out" | grep -Eq '^step +1/' && fail "a step ran on corrupted input: $*"
  return 0
}
rm -f tok*.h5 ck*.h5
mpirun --oversubscribe -np 1 "$bin" prepare /usr/share/common-licenses/* -o tok.h5 >/dev/null || fail "prepare"
cp tok.h5 tokflip.h5 && flip tokflip.h5 /tokens 3001
expect 4 "tokflip.h5: checksum mismatch" train --mesh 2x2 --data tokflip.h5 --steps 1
ok "a flipped bit in a token file is reported on 4 ranks"
train=(train --data "$data" --batch 8 --seq 64 --val-every 0 --log-every 0)
mpirun --oversubscribe -np 4 "$bin" "${train[@]}" --mesh 2x2 --steps 2 --save ck.h5 >/dev/null || fail "save"
for t in /params/layers.0.attention.wq.weight /optim/m/tok_embeddings.weight /optim/v/output.weight; do
  cp ck.h5 ckflip.h5 && flip ckflip.h5 "$t" 129
  expect 4 "ckflip.h5: checksum mismatch in $t" "${train[@]}" --mesh 2x2 --steps 4 --resume ckflip.h5
  expect 1 "ckflip.h5: checksum mismatch in $t" "${train[@]}" --steps 4 --resume ckflip.h5
  ok "a flipped bit in $t is reported on 2x2 and on one rank"
done
mpirun --oversubscribe -np 4 "$bin" "${train[@]}" --mesh 2x2 --steps 4 --resume ck.h5 >/dev/null ||
  fail "the unflipped checkpoint does not load"
ok "the unflipped checkpoint loads and trains on"
echo "$passed passed, 0 failed"
