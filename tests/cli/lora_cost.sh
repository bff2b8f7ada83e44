#!/bin/bash
# LoRA's cost against full training, with the estimator (one rank) and a
# dry run (4 ranks) of the same step: the frozen base takes no weight
# gradient, so compute and step time fall; the optimizer's state is the
# adapters' only; the traffic is the same collectives plus the adapters'
# all-reduce. Usage: lora_cost.sh HECATON MPIRUN_PREFIX... (the prefix runs
# -np N itself: "mpirun ... -np").
set -euo pipefail
bin=$1; shift
run=("$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
col() { # col FILE NAME: the named column of the CSV's last row
  awk -F, -v n="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} END{if(!c) exit 1; print $c}' "$1" |
    tail -1
}
for model in llama2-70b llama3.1-405b; do
  for mesh in 8x8 16x16; do
    rm -f "$work/full.csv"
    "${run[@]}" 1 "$bin" estimate --model $model --mesh $mesh --method hecaton \
      --csv "$work/full.csv" >/dev/null
    for targets in wq,wv all; do
    rm -f "$work/lora.csv"
    "${run[@]}" 1 "$bin" estimate --model $model --mesh $mesh --method hecaton --lora 16 \
      --lora-targets $targets --csv "$work/lora.csv" >/dev/null
    # No dW for the frozen weights, thin GEMMs for the targets': the
    # backward's linears cost about one GEMM, not two, so compute falls to
    # about 2/3 (attention is unchanged), whichever linears are adapted; the
    # step falls at least as much (no optimizer state of the base to stream).
    for k in compute_busy_s energy_compute_j flops_total step_time_s; do
      f=$(col "$work/full.csv" $k); l=$(col "$work/lora.csv" $k)
      [ -n "$f" ] && [ -n "$l" ] || fail "$model $mesh: no $k"
      lo=0.6; [ $k = step_time_s ] && lo=0.3
      awk -v f="$f" -v l="$l" -v lo=$lo 'BEGIN{exit !(l < 0.8 * f && l > lo * f)}' ||
        fail "$model $mesh: $k LoRA $l vs full $f (want $lo-0.8x)"
    done
    f=$(col "$work/full.csv" bytes_sent_per_chiplet); l=$(col "$work/lora.csv" bytes_sent_per_chiplet)
    awk -v f="$f" -v l="$l" 'BEGIN{exit !(l > 0.9 * f && l < 1.1 * f)}' ||
      fail "$model $mesh: bytes sent LoRA $l vs full $f (want within 10%)"
    echo "$model $mesh (lora $targets): step $(col "$work/full.csv" step_time_s) -> $(col "$work/lora.csv" step_time_s) s," \
      "energy compute $(col "$work/full.csv" energy_compute_j) -> $(col "$work/lora.csv" energy_compute_j) J"
    done
  done
done
# A dry run reports the optimizer state of the adapters only (Llama2-7B on 2x2).
"${run[@]}" 4 "$bin" train --dry-run --model llama2-7b --mesh 2x2 --batch 4 --seq 256 --steps 1 \
  --lora 8 --report "$work/lora.h5" >"$work/lora.out" 2>&1 || { cat "$work/lora.out"; fail "dry run"; }
"${run[@]}" 4 "$bin" train --dry-run --model llama2-7b --mesh 2x2 --batch 4 --seq 256 --steps 1 \
  --report "$work/full.h5" >"$work/full.out" 2>&1 || { cat "$work/full.out"; fail "dry run"; }
"${run[@]}" 1 "$bin" report "$work/lora.h5" --csv >"$work/lora.rep.csv"
"${run[@]}" 1 "$bin" report "$work/full.h5" --csv >"$work/full.rep.csv"
row() { awk -F, -v k="$2" '$1=="memory" && $2=="largest_chiplet" && $3==k {print $4; exit}' "$1"; }
fo=$(row "$work/full.rep.csv" optimizer_bytes); lo=$(row "$work/lora.rep.csv" optimizer_bytes)
fp=$(row "$work/full.rep.csv" params_bytes); lp=$(row "$work/lora.rep.csv" params_bytes)
lf=$(row "$work/lora.rep.csv" params_formula_bytes)
echo "optimizer state per chiplet (Llama2-7B, 2x2): full $fo B, LoRA r=8 $lo B"
[ -n "$fo" ] && [ -n "$lo" ] && [ -n "$lp" ] || { grep '^memory' "$work/lora.rep.csv" | head; fail "no memory rows"; }
# the weights: the base's plus the adapters, held whole (and the closed form agrees)
[ "$lp" = "$lf" ] || fail "params $lp B vs closed form $lf B"
awk -v f="$fp" -v l="$lp" 'BEGIN{exit !(l > f && l < 1.01 * f)}' || fail "params LoRA $lp vs full $fp"
awk -v f="$fo" -v l="$lo" 'BEGIN{exit !(l > 0 && l < 0.01 * f)}' || fail "optimizer state LoRA $lo vs full $fo"
echo "lora_cost: OK"
