#!/bin/bash
# Each rank reads only its own block of a Hugging Face checkpoint: strace
# counts the bytes every process reads from model.safetensors during
# `train --init` on 1 rank (the whole file: the control that the count
# sees the reads) and on 2x2 Hecaton (each rank about a quarter, none more
# than 35%, together at least the whole file). Needs strace.
# Usage: hf_shard_reads.sh HECATON WORKDIR
set -euo pipefail
bin=$(realpath "$1") work=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v strace >/dev/null || { echo "FAIL: strace is not installed (jobs/lib.sh hc_deps installs it)"; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
/usr/bin/python3 "$src/tests/tools/hf_llama.py" make hf --tokens tokens.h5 --seed 3 >/dev/null
size=$(stat -c %s hf/model.safetensors)
reads() { # reads NP MESH METHOD: the bytes each process read from the file, one per line
  rm -rf st && mkdir st
  "${HC_MPIEXEC:-mpirun}" --oversubscribe -np "$1" strace -qq -y -e trace=pread64,read -o st/p -ff \
    "$bin" train --init hf --method "$3" --mesh "$2" --data tokens.h5 --steps 1 --batch 4 --seq 32 \
    --val-every 0 >run.log 2>&1 || { cat run.log >&2; fail "train --init on $2"; }
  for f in st/p.*; do
    awk '/model\.safetensors>/ && /^(pread64|read)\(/ { if ($NF + 0 > 0) s += $NF } END { if (s) print s }' "$f"
  done
}
one=$(reads 1 1x1 single)
[ "$(echo "$one" | wc -l)" = 1 ] && [ "$one" -ge $((size * 99 / 100)) ] ||
  fail "1 rank read '$one' of $size bytes (want the whole file)"
four=$(reads 4 2x2 hecaton)
echo "model.safetensors: $size bytes; 1 rank read $one; 2x2 ranks read" $four
[ "$(echo "$four" | wc -l)" = 4 ] || fail "want 4 readers, got: $four"
total=0
for n in $four; do
  [ "$n" -le $((size * 35 / 100)) ] || fail "a rank read $n of $size bytes (more than 35%)"
  total=$((total + n))
done
[ "$total" -ge $((size * 99 / 100)) ] || fail "the ranks read $total bytes together, less than the file"
echo "hf_shard_reads: OK"
