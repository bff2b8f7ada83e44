#!/usr/bin/env bash
# recompute.sh BIN WORKDIR: --recompute none|selective|full through the
# commands, per method (hecaton, megatron, megatron-sp, megatron-dp, summa):
#   the estimator equals a dry run (train --dry-run) under each mode: bytes
#     sent by the busiest chiplet exactly, step and NoP time within 1%,
#     FLOPs of the mesh within 1e-9;
#   FLOPs: none < selective < full; selective - none = L x the mesh's
#     recompute of the probabilities, 2 s^2 d + 3 s^2 per sequence and head
#     (flops.h), over b sequences and n_h heads (replicas counted: each
#     chiplet runs its own heads);
#   bytes sent: none = selective (recomputation is local);
#   the dry run's report (closed form of the saved activations, busiest
#     chiplet): none - selective = L (b n_h / N) s^2 x 4 B (every method
#     gives a chiplet b n_h / N sequence-head pairs); full keeps less.
set -u
bin=$1 work=$2
mkdir -p "$work" && cd "$work" || exit 1
failed=0
col() { # col FILE.csv NAME: the value of column NAME in the last row
  awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } END { print $c }' "$1"
}
h5max() { h5dump -m %.17g -d "$2" -y -w 0 "$1" | awk '/DATA/ { on = 1; next } on && /[0-9]/ { gsub(/[},]/, " "); for (i = 1; i <= NF; i++) if ($i + 0 > m) m = $i + 0 } END { printf "%.17g\n", m }'; }
h5sum() { h5dump -m %.17g -d "$2" -y -w 0 "$1" | awk '/DATA/ { on = 1; next } on && /[0-9]/ { gsub(/[},]/, " "); for (i = 1; i <= NF; i++) m += $i } END { printf "%.17g\n", m }'; }
verdict() { # verdict WHAT OK-EXPRESSION (awk, with the variables given after)
  local what=$1 expr=$2
  shift 2
  if awk "$@" "BEGIN { exit !($expr) }"; then echo "ok: $what"
  else echo "FAIL: $what ($*)"; failed=$((failed + 1)); fi
}
model=tiny-64 mesh=2x2 b=4 s=32 L=2 nh=4 d=16 # tiny-64: dim 64, 2 layers, 4 heads
for method in hecaton megatron megatron-sp megatron-dp summa; do
  for mode in none selective full; do
    tag=$method-$mode
    rm -f $tag.csv $tag.h5
    "$bin" estimate --model $model --mesh $mesh --method $method --batch $b --seq $s \
      --recompute $mode --csv $tag.csv >$tag.est 2>&1 || { echo "FAIL: estimate $tag"; cat $tag.est; exit 1; }
    mpirun --oversubscribe -np 4 "$bin" train --method $method --mesh $mesh --model $model \
      --batch $b --seq $s --steps 1 --dry-run --recompute $mode --report $tag.h5 >$tag.dry 2>&1 ||
      { echo "FAIL: dry-run $tag"; cat $tag.dry; exit 1; }
    [ "$(col $tag.csv recompute)" = $mode ] || { echo "FAIL: $tag: CSV says $(col $tag.csv recompute)"; failed=$((failed + 1)); }
    { grep -q "recompute $mode\$" $tag.est && h5dump -A $tag.h5 | grep -q "recompute = $mode"; } ||
      { echo "FAIL: $tag: the estimate's header or the report's configuration does not name the mode"; failed=$((failed + 1)); }
    es=$(col $tag.csv bytes_sent_per_chiplet) et=$(col $tag.csv step_time_s) en=$(col $tag.csv nop_time_s)
    ef=$(col $tag.csv flops_total)
    ds=$(h5max $tag.h5 /metrics/chiplets/sent) dt=$(h5max $tag.h5 /metrics/chiplets/step_time)
    dn=$(h5max $tag.h5 /metrics/chiplets/busy_nop) df=$(h5sum $tag.h5 /metrics/chiplets/flops)
    verdict "$tag: estimate = dry run (bytes $es/$ds, time $et/$dt, NoP $en/$dn, FLOPs $ef/$df)" \
      'es == ds && (et - dt) ^ 2 <= (0.01 * dt) ^ 2 && (en - dn) ^ 2 <= (0.01 * dn) ^ 2 && (ef - df) ^ 2 <= (1e-9 * df) ^ 2' \
      -v es="$es" -v ds="$ds" -v et="$et" -v dt="$dt" -v en="$en" -v dn="$dn" -v ef="$ef" -v df="$df"
    eval "act_$mode=$(h5max $tag.h5 /metrics/memory/activations_formula)"
  done
  fn=$(col $method-none.csv flops_total) fs=$(col $method-selective.csv flops_total) ff=$(col $method-full.csv flops_total)
  want=$(awk -v L=$L -v b=$b -v nh=$nh -v s=$s -v d=$d 'BEGIN { printf "%.17g", L * b * nh * (2 * s * s * d + 3 * s * s) }')
  verdict "$method: FLOPs none $fn < selective $fs < full $ff" 'fn < fs && fs < ff' -v fn="$fn" -v fs="$fs" -v ff="$ff"
  verdict "$method: selective - none = $want FLOPs (L b n_h (2 s^2 d + 3 s^2))" \
    '(fs - fn - w) ^ 2 <= (1e-9 * w) ^ 2' -v fn="$fn" -v fs="$fs" -v w="$want"
  # each chiplet holds b n_h / N (sequence, head) pairs: L of their s x s probabilities more
  want=$(awk -v L=$L -v b=$b -v nh=$nh -v s=$s 'BEGIN { printf "%.17g", 4 * L * b * nh / 4 * s * s }')
  verdict "$method: saved activations (closed form) none $act_none B - selective $act_selective B = $want B" \
    'an - as == w' -v an="$act_none" -v as="$act_selective" -v w="$want"
  verdict "$method: saved activations full $act_full B < selective $act_selective B" 'af < as' \
    -v af="$act_full" -v as="$act_selective"
  sn=$(col $method-none.csv bytes_sent_per_chiplet) ss=$(col $method-selective.csv bytes_sent_per_chiplet)
  verdict "$method: bytes sent none $sn = selective $ss" 'sn == ss' -v sn="$sn" -v ss="$ss"
done
# The estimator prints the SRAM working-set table as compare does, the same
# table as a dry run's compare for every method (Llama2-7B on 2x2, a few
# operations tiled).
rm -f est_sram.out cmp_sram.out
"$bin" estimate --model llama2-7b --mesh 2x2 --batch 4 --seq 256 \
  --method hecaton,megatron,megatron-sp,megatron-dp,summa >est_sram.out 2>&1 || { echo "FAIL: estimate llama2-7b"; exit 1; }
mpirun --oversubscribe -np 4 "$bin" compare --model llama2-7b --mesh 2x2 --batch 4 --seq 256 --dry-run \
  >cmp_sram.out 2>/dev/null || { echo "FAIL: compare llama2-7b"; exit 1; }
for method in hecaton megatron megatron-sp megatron-dp summa; do
  sed -n "/^SRAM working sets, $method /,/^[^ ]/p" est_sram.out | sed '$ { /^ /!d }' >est_$method.tab
  sed -n "/^SRAM working sets, $method /,/^[^ ]/p" cmp_sram.out | sed '$ { /^ /!d }' >cmp_$method.tab
  rows=$(grep -c "^  " est_$method.tab)
  if [ "$rows" -gt 10 ] && grep -q " tiled " est_$method.tab && cmp -s est_$method.tab cmp_$method.tab; then
    echo "ok: estimate's SRAM table for $method = compare --dry-run's ($rows rows, tiled rows among them)"
  else
    echo "FAIL: estimate's SRAM table for $method ($rows rows) differs from compare --dry-run's:"
    diff est_$method.tab cmp_$method.tab | head -20
    failed=$((failed + 1))
  fi
done
echo "$failed failed"
[ $failed -eq 0 ]
