#!/usr/bin/env bash
# chunks.sh BIN DATA WORKDIR: Hecaton's forward linears in k token chunks.
#  - numeric results are identical with k = 1 and k = 4 (losses and grad
#    norms of 5 training steps on 2x2 and 2x3, bit for bit);
#  - where compute dominates (Llama2-7B, 4 x 2048 tokens, 2x2, dry-run) the
#    exposed communication falls as k grows (1, 2, 4, 8) while the bytes
#    stay the same.
set -u
bin=$1 data=$2 work=$3
mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
for cfg in "4 2x2 tiny-64" "6 2x3 tiny-96"; do
  set -- $cfg
  for k in 1 4; do
    mpirun --oversubscribe -np $1 "$bin" train --method hecaton --mesh $2 --model $3 --data "$data" \
      --batch 12 --seq 32 --steps 5 --val-every 0 --log-every 0 --chunks $k --log-file k$k.csv >/dev/null || fail "train $2 k=$k"
  done
  cmp -s k1.csv k4.csv || { diff k1.csv k4.csv | head; fail "$2: k = 4 changed the numbers"; }
  echo "ok: $2 $3: 5 steps bit-identical with 1 and 4 chunks"
done
prev="" prev_bytes=""
for k in 1 2 4 8; do
  out=$(mpirun --oversubscribe -np 4 "$bin" train --method hecaton --mesh 2x2 --model llama2-7b \
        --batch 4 --seq 2048 --steps 1 --dry-run --chunks $k) || fail "dry-run k=$k"
  exposed=$(printf '%s\n' "$out" | sed -n 's/.*exposed communication \([0-9.e+-]*\) s.*/\1/p')
  bytes=$(printf '%s\n' "$out" | sed -n 's/.*bytes sent per chiplet (busiest): \([^;]*\);.*/\1/p')
  [ -n "$exposed" ] || fail "no exposed communication in the output (k=$k)"
  echo "k = $k: exposed communication $exposed s, bytes sent $bytes"
  if [ -n "$prev" ]; then
    awk -v a="$exposed" -v b="$prev" 'BEGIN { exit !(a < b) }' || fail "k = $k: exposed $exposed s not below $prev s"
    [ "$bytes" = "$prev_bytes" ] || fail "k = $k: bytes changed ($bytes vs $prev_bytes)"
  fi
  prev=$exposed prev_bytes=$bytes
done
echo "ok: exposed communication falls as k grows"
echo "3 passed, 0 failed"
