#!/usr/bin/env bash
# resume.sh BIN DATA WORKDIR RTOL: N steps in one run against N/2, a
# checkpoint, and a resumed N/2 (N = 20, validation every 5 steps, so the
# data position and the validation split are restored too):
#  - 1x1 single and 2x2 Hecaton: the loss CSVs are equal byte for byte;
#  - saved on 2x2, resumed on 1x4 (other shards, other collectives): each
#    resumed step's loss, grad norm and validation loss within RTOL
#    relative of the uninterrupted 2x2 run.
set -u
bin=$1 data=$2 work=$3 rtol=$4
mkdir -p "$work" && cd "$work" || exit 1
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
run() {
  local np=$1
  shift
  timeout 200 mpirun --oversubscribe -np "$np" "$bin" train --data "$data" --steps 20 \
    --val-every 5 --val-batches 2 --log-every 0 "$@" >/dev/null
}
for cfg in "1 single 1x1" "4 hecaton 2x2"; do
  set -- $cfg
  rm -f full.csv split.csv ck.h5
  run $1 --method $2 --mesh $3 --log-file full.csv || fail "$2 $3: 20 steps"
  run $1 --method $2 --mesh $3 --stop-after 10 --save ck.h5 --log-file split.csv || fail "$2 $3: first 10"
  run $1 --method $2 --mesh $3 --resume ck.h5 --log-file split.csv || fail "$2 $3: resumed 10"
  [ "$(grep -Ec '^[0-9]' split.csv)" = 20 ] || fail "$2 $3: the split log holds $(grep -Ec '^[0-9]' split.csv) steps"
  cmp -s full.csv split.csv || { diff full.csv split.csv | head; fail "$2 $3: 10 + 10 differs from 20"; }
  ok "$2 $3: 20 steps == 10 + checkpoint + 10, byte for byte"
done
rm -f other.csv ck.h5
run 4 --method hecaton --mesh 2x2 --stop-after 10 --save ck.h5 --log-file other.csv || fail "2x2: first 10"
run 4 --method hecaton --mesh 1x4 --resume ck.h5 --log-file other.csv || fail "1x4: resumed 10"
# step,loss,lr,grad_norm,val: columns 2, 4 and 5 (when present) within rtol
res=$(paste -d, <(grep -E '^[0-9]' full.csv) <(grep -E '^[0-9]' other.csv) |
      awk -F, '{ n++; if ($1 != $6) bad = 1
                 for (c = 2; c <= 5; c++) { if (c == 3 || $c == "" || $c == "nan") continue
                   a = $c; b = $(c + 5); d = a - b; if (d < 0) d = -d; s = a < 0 ? -a : a
                   r = s > 0 ? d / s : d; if (r > m) { m = r; w = $1 } } }
               END { printf "%d %d %.3e %s\n", n, bad, m, w }')
read -r n bad m w <<< "$res"
[ "$n" = 20 ] && [ "$bad" = 0 ] || fail "2x2 -> 1x4: logs do not line up ($n rows)"
awk -v m="$m" -v t="$rtol" 'BEGIN { exit !(m <= t) }' ||
  fail "2x2 -> 1x4: resumed steps differ by $m relative at step $w (bound $rtol)"
ok "saved on 2x2, resumed on 1x4: within $m relative of the uninterrupted run (bound $rtol)"
echo "$passed passed, 0 failed"
