#!/usr/bin/env bash
# hf_llama.sh BIN WORK grads|roundtrip: Hugging Face Llama checkpoints in and
# out of hecaton, against tests/tools/hf_llama.py (torch, float64).
#
#   grads      a random GQA Llama in the HF layout, untied (F32, one file) and
#              tied (BF16/F16/F32 mixed, two shards with an index): `train
#              --init DIR --steps 1 --dump-grads` on 1x1 (single) and 2x2
#              under hecaton, megatron, megatron-sp, summa and megatron-dp
#              (full finetuning from imported weights under every method),
#              and from the imported checkpoint (`--init
#              CKPT.h5 --model CKPT.ini`): the imported weights equal the
#              stored values bit for bit, the loss is torch's float64 loss within
#              1e-5 relative, every gradient within 1e-5 of its tensor's
#              largest |gradient| (measured: about 1.4e-6).
#   roundtrip  import (3 ranks) -> export (2 ranks) F32 gives the HF tensors bit
#              for bit, and importing that gives the checkpoint bit for bit;
#              export --dtype bf16 / f16 stores torch's round-to-nearest-even
#              values bit for bit, and bf16 -> import -> export f32 keeps them;
#              a tied model exports lm_head as the embedding's copy.
set -u
BIN=$1 WORK=$2 MODE=$3
TOOLS=$(cd "$(dirname "$0")/../tools" && pwd)
PY="/usr/bin/python3 $TOOLS/hf_llama.py"
MPIRUN="${HC_MPIEXEC:-mpirun} --oversubscribe"
W=$WORK/$MODE
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
run() { echo "+ $*"; "$@" > run.log 2>&1 || { cat run.log; fail "$*"; }; grep -E "^(imported|exported|step +1/|loss|gradients|PASSED|FAILED|[0-9]+ tensors|/params:)" run.log; }

run $PY make hf --tokens tokens.h5 --seed 1
run $PY make hft --tied --shards 2 --dtypes mixed --seed 2
TRAIN="train --data tokens.h5 --steps 1 --val-every 0 --batch 4 --seq 32"

if [ "$MODE" = grads ]; then
  for d in hf hft; do
    for cfg in "1 single 1x1" "4 hecaton 2x2" "4 megatron 2x2" "4 megatron-sp 2x2" "4 summa 2x2" \
               "4 megatron-dp 2x2"; do
      set -- $cfg
      run $MPIRUN -np $1 "$BIN" $TRAIN --method $2 --mesh $3 --init $d --dump-grads g-$d-$2.h5
      run $PY check g-$d-$2.h5 $d --loss-rtol 1e-5 --grad-rtol 1e-5
    done
    run $MPIRUN -np 3 "$BIN" import $d -o ck-$d.h5
    [ -f ck-$d.ini ] || fail "import wrote no ck-$d.ini"
    run $MPIRUN -np 4 "$BIN" $TRAIN --method hecaton --mesh 2x2 --init ck-$d.h5 --model ck-$d.ini --dump-grads g-$d-ck.h5
    run $PY check g-$d-ck.h5 $d --loss-rtol 1e-5 --grad-rtol 1e-5
  done
elif [ "$MODE" = roundtrip ]; then
  run $MPIRUN -np 3 "$BIN" import hf -o ck.h5
  run $MPIRUN -np 2 "$BIN" export ck.h5 -o out-f32
  run $PY same hf out-f32
  run $MPIRUN -np 1 "$BIN" import out-f32 -o ck2.h5
  run /usr/bin/python3 "$TOOLS/h5cmp.py" ck.h5 ck2.h5 /params --exact
  run $MPIRUN -np 3 "$BIN" export ck.h5 -o out-bf16 --dtype bf16
  run $PY same hf out-bf16 --dtype bf16
  run $MPIRUN -np 2 "$BIN" import out-bf16 -o ck-bf16.h5
  run $MPIRUN -np 1 "$BIN" export ck-bf16.h5 -o out-bf16-f32
  run $PY same hf out-bf16-f32 --dtype bf16 --file-dtype f32
  run $MPIRUN -np 4 "$BIN" export ck.h5 -o out-f16 --dtype f16
  run $PY same hf out-f16 --dtype f16
  run $MPIRUN -np 4 "$BIN" import hft -o ckt.h5
  run $MPIRUN -np 3 "$BIN" export ckt.h5 -o outt
  run $PY same hft outt
  ls ./*.tmp ./*/*.tmp 2>/dev/null && fail "temporary files left behind"
else
  fail "mode '$MODE': expected grads or roundtrip"
fi
echo "PASSED: $MODE"
