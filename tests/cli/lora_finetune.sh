#!/bin/bash
# LoRA finetuning end to end: pretrain tiny-64 on the licenses corpus (one
# process), export it to a Hugging Face folder, finetune it with LoRA on
# another corpus (the project's own documentation) under Hecaton on 2x2,
# and check: the validation loss on the new corpus falls below the
# pretrained model's; the base stayed frozen bit for bit; `export
# --merge-lora` writes W + (alpha/r) B A (checked in float64 by
# tests/tools/lora_check.py); an export without --merge-lora, an --init from
# the LoRA checkpoint and a resume without its --lora are refused with one
# message. Usage: lora_finetune.sh HECATON CORPUS.h5 WORKDIR MPIRUN_PREFIX...
# (CORPUS: the licenses' tokens, as `hecaton prepare` makes them.)
set -euo pipefail
bin=$1 corpus=$(realpath "$2") work=$3; shift 3
run=("$@")
src=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
val() { awk '/validation loss/ {v=$NF} END{print v}' "$1"; }

"${run[@]}" 1 "$bin" prepare "$src/README.md" "$src/docs/ARCHITECTURE.md" -o ft.h5 >/dev/null
"${run[@]}" 1 "$bin" train --model tiny-64 --data "$corpus" --steps 60 --lr 3e-3 \
  --save base.h5 >pre.out 2>&1 || { cat pre.out; fail "pretraining"; }
"${run[@]}" 1 "$bin" export base.h5 -o base_hf >/dev/null
# the pretrained model on the new corpus (lr 0: nothing moves)
"${run[@]}" 1 "$bin" train --init base_hf --data ft.h5 --steps 1 --lr 0 --min-lr 0 --val-every 1 \
  >zero.out 2>&1 || { cat zero.out; fail "validation of the base"; }
"${run[@]}" 4 "$bin" train --method hecaton --mesh 2x2 --init base_hf --data ft.h5 --lora 8 \
  --lora-targets all --steps 100 --lr 1e-2 --val-every 50 --save lora.h5 >lora.out 2>&1 ||
  { cat lora.out; fail "LoRA finetuning"; }
v0=$(val zero.out) v1=$(val lora.out)
echo "validation loss on the finetuning corpus: pretrained $v0, after 100 LoRA steps $v1"
[ -n "$v0" ] && [ -n "$v1" ] || fail "no validation loss printed"
awk -v a="$v0" -v b="$v1" 'BEGIN{exit !(b < a - 0.05)}' || fail "LoRA did not lower the loss ($v0 -> $v1)"
grep -q "optimizer state (Adam m, v)" lora.out || fail "no memory report"
$py "$src/tests/tools/lora_check.py" frozen base.h5 lora.h5 || fail "the base moved"
"${run[@]}" 2 "$bin" export lora.h5 --merge-lora -o merged_hf >merge.out 2>&1 || { cat merge.out; fail "export --merge-lora"; }
$py "$src/tests/tools/lora_check.py" merged lora.h5 merged_hf || fail "merged weights"
# refusals: one message, exit 1, no file
expect_refusal() { # expect_refusal PATTERN command...
  local pat=$1; shift
  if "$@" >ref.out 2>&1; then cat ref.out; fail "accepted: $*"; fi
  [ "$(grep -c "$pat" ref.out)" = 1 ] || { cat ref.out; fail "want one '$pat' for: $*"; }
}
expect_refusal "give --merge-lora" "${run[@]}" 1 "$bin" export lora.h5 -o plain_hf
[ ! -e plain_hf/model.safetensors ] || fail "export left a file"
expect_refusal "holds LoRA adapters" "${run[@]}" 1 "$bin" train --init lora.h5 --data ft.h5 --steps 1
expect_refusal "resume with the same --lora" "${run[@]}" 4 "$bin" train --method hecaton --mesh 2x2 \
  --model tiny-64 --data ft.h5 --resume lora.h5 --steps 120
echo "lora_finetune: OK"
