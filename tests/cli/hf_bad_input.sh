#!/usr/bin/env bash
# hf_bad_input.sh: bad Hugging Face folders and checkpoints given to `hecaton
# import`, `export` and `train --init`, one case per ctest entry. The same
# harness as tests/cli/bad_input.sh (its running part is copied below):
#
#   hf_bad_input.sh --list                       the case names, one a line
#   hf_bad_input.sh BIN CORPUS WORK setup        make the shared fixtures in WORK/fix
#   hf_bad_input.sh BIN CORPUS WORK CASE         run one case in WORK/case/CASE
#
# A case passes when every rank exits by itself with status 1 within the
# time limit, the output holds exactly one "hecaton: error" line matching the
# pattern (and no HDF5 stack, crash or abort), and no file changed: no output
# appeared, no existing one (keep=PATH) changed, no temporary file was left.
# Fixtures ($F): tests/tools/hf_llama.py's bad folders (a valid one-layer
# Llama, good/, and one folder per fault), a token file for it, and its
# import as a checkpoint, also with one bit flipped.
set -u
LIMIT=${HC_BAD_INPUT_TIMEOUT:-30}

if [ "${1:-}" = --list ]; then
  MODE=list BIN=hecaton CORPUS=corpus.h5 WORK=. WANT=
else
  [ $# -eq 4 ] || { echo "usage: $0 --list | BIN CORPUS WORK setup|CASE" >&2; exit 2; }
  MODE=run BIN=$1 CORPUS=$2 WORK=$3 WANT=$4
fi
F=$WORK/fix
W=$WORK/case/$WANT
MPIRUN=${HC_MPIEXEC:-mpirun}
TOOLS=$(cd "$(dirname "$0")/../tools" && pwd)

setup() {
  rm -rf "$F" && mkdir -p "$F" || return 1
  /usr/bin/python3 "$TOOLS/hf_llama.py" bad "$F" || return 1
  /usr/bin/python3 - "$F" <<'PY' || return 1
import sys, h5py, numpy as np
with h5py.File(f"{sys.argv[1]}/tok.h5", "w") as f:
    f["tokens"] = (np.arange(20000) * 7 % 32).astype(np.uint16)
    f.attrs["vocab_size"] = 32
    f.attrs["tokenizer"] = "test"
PY
  "$MPIRUN" --oversubscribe -np 2 "$BIN" import "$F/good" -o "$F/ck.h5" > "$F/ck.log" 2>&1 ||
    { cat "$F/ck.log"; return 1; }
  cp "$F/ck.h5" "$F/ck_flipped.h5"
  /usr/bin/python3 - "$F/ck_flipped.h5" <<'PY' || return 1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    off = f["/params/layers.0.attention.wq.weight"].id.get_offset()
with open(sys.argv[1], "r+b") as g:
    g.seek(off + 1001); b = g.read(1); g.seek(off + 1001); g.write(bytes([b[0] ^ 0x10]))
PY
  echo "fixtures ready in $F"
}

# ---- the table ----------------------------------------------------------------
NAMES=() FOUND=0
# c NAME RANKS PATTERN [keep=PATH]... -- ARGS...
c() {
  local name=$1 np=$2 pat=$3
  shift 3
  if [ $MODE = list ]; then
    for n in "${NAMES[@]}"; do [ "$n" = "$name" ] && { echo "duplicate case $name" >&2; exit 2; }; done
    NAMES+=("$name")
    return
  fi
  [ "$name" = "$WANT" ] || return 0
  FOUND=1 NP=$np PATTERN=$pat KEEP=()
  while [ "$1" != -- ]; do KEEP+=("${1#keep=}"); shift; done
  shift
  ARGS=("$@")
}

table() {
local T="train --data $F/tok.h5 --steps 1 --val-every 0"
# -- safetensors files: shards, offsets, shapes, dtypes, JSON
c shard_missing 2 "shard_missing/model-00002-of-00002.safetensors: shard missing \(listed in .*model.safetensors.index.json\)" -- import $F/shard_missing -o $W/ck.h5
c offsets_past_end 4 "model.safetensors: tensor model.layers.0.self_attn.q_proj.weight: data_offsets \[[0-9]+, 1000000000\] run past the end of the file" -- import $F/offsets_past_end -o $W/ck.h5
c offsets_overlap 2 "model.safetensors: tensors model.embed_tokens.weight and model.layers.0.self_attn.q_proj.weight overlap" -- $T --init $F/overlap
c shape_vs_bytes 2 "q_proj.weight: shape \[64, 63\] of F32 needs 16128 bytes, its data_offsets \[[0-9]+, [0-9]+\] hold 16384" -- import $F/shape_vs_bytes -o $W/ck.h5
c dtype_unsupported 4 "q_proj.weight has dtype F64: hecaton reads F32, F16 and BF16" -- $T --init $F/dtype_f64
c header_malformed 2 "header_malformed/model.safetensors: malformed JSON header" -- import $F/header_malformed -o $W/ck.h5
c header_truncated 2 "truncated/model.safetensors: shorter than the 8-byte header length \(6 bytes\)" -- $T --init $F/truncated
c index_malformed 2 "index_malformed/model.safetensors.index.json: malformed JSON" -- import $F/index_malformed -o $W/ck.h5
c tensor_missing 2 "no tensor model.layers.0.mlp.up_proj.weight in the safetensors files" -- import $F/missing_tensor -o $W/ck.h5
c lm_head_missing_untied 2 "no lm_head.weight and config.json's tie_word_embeddings is false" -- $T --init $F/no_lm_head
# -- config.json
c config_disagrees_with_shapes 4 "config.json disagrees with the weights: model.layers.0.self_attn.k_proj.weight is \[32, 64\] in .*, config.json implies \[64, 64\]" -- import $F/config_kv_heads -o $W/ck.h5
c config_malformed 2 "config_malformed/config.json: malformed JSON" -- $T --init $F/config_malformed
c config_rope_scaling 2 "rope_scaling is set; hecaton's RoPE has no scaling" -- import $F/rope_scaling -o $W/ck.h5
c folder_missing 2 "nosuch/config.json: cannot read: No such file" -- import $F/nosuch -o $W/ck.h5
# -- options and outputs
c init_model_disagrees 2 "tiny-64.ini and .*good describe different models: n_layers 2 vs 1" -- $T --init $F/good --model tiny-64
c init_and_resume 2 "--init and --resume both give the starting weights" -- $T --init $F/good --resume $F/ck.h5
c init_checkpoint_flipped 2 "ck_flipped.h5: checksum mismatch" -- $T --init $F/ck_flipped.h5
c import_output_unwritable 2 "notadir/ck.h5: cannot be written" -- import $F/good -o $W/notadir/ck.h5
c import_keeps_existing 2 "tensors .* overlap" keep=$W/ck.h5 keep=$W/ck.ini -- import $F/overlap -o $W/ck.h5
c import_no_output 2 "import: give a Hugging Face folder and -o CKPT.h5" -- import $F/good
c export_bad_dtype 2 "--dtype 'fp8': expected f32, bf16 or f16" -- export $F/ck.h5 -o $W/out --dtype fp8
c export_flipped 2 "ck_flipped.h5: checksum mismatch" -- export $F/ck_flipped.h5 -o $W/out
c export_not_checkpoint 2 "tok.h5: no model attribute 'dim' \(not a hecaton checkpoint\?\)" -- export $F/tok.h5 -o $W/out
c export_missing_checkpoint 2 "nosuch.h5: no such checkpoint file" -- export $F/nosuch.h5 -o $W/out
c export_into_file 2 "notadir: exists and is not a folder" -- export $F/ck.h5 -o $W/notadir
}

# ---- running one case -----------------------------------------------------------
table
if [ $MODE = list ]; then
  printf '%s\n' "${NAMES[@]}"
  exit 0
fi
if [ "$WANT" = setup ]; then setup; exit; fi
[ $FOUND = 1 ] || { echo "no case '$WANT' (see $0 --list)"; exit 2; }
[ -f "$F/ck.h5" ] || { echo "FAIL: fixtures missing in $F (run the setup case first)"; exit 1; }

rm -rf "$W" && mkdir -p "$W" || exit 1
echo "not a directory" > "$W/notadir"
for k in "${KEEP[@]}"; do printf 'an earlier run wrote this: %s\n' "$k" > "$k"; done
snapshot() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0r md5sum); }
before_w=$(snapshot "$W") before_f=$(snapshot "$F")
exits=$WORK/case/$WANT.exits
rm -f "$exits"
echo "case $WANT: mpirun -np $NP hecaton ${ARGS[*]}"
t0=$(date +%s.%N)
out=$(cd "$W" && HC_EXITS=$exits timeout "$LIMIT" "$MPIRUN" --oversubscribe -np "$NP" \
      bash -c '"$0" "$@"; echo "${OMPI_COMM_WORLD_RANK:-?} $?" >> "$HC_EXITS"; exit 0' \
      "$BIN" "${ARGS[@]}" 2>&1)
rc=$?
t1=$(date +%s.%N)
printf '%s\n' "$out"
echo "---- (mpirun exit $rc, $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s)"
fail() { echo "FAIL: $*"; exit 1; }
[ $rc -eq 124 ] && fail "timed out after $LIMIT s (a rank hangs?)"
[ -f "$exits" ] || fail "no rank reported its exit (killed?)"
for r in $(seq 0 $((NP - 1))); do
  code=$(awk -v r=$r '$1 == r {print $2}' "$exits")
  [ -n "$code" ] || fail "rank $r did not exit by itself (killed, aborted or crashed)"
  [ "$code" = 1 ] || fail "rank $r exited with status $code, expected 1"
done
count=$(printf '%s\n' "$out" | grep -Ec -- "$PATTERN")
[ "$count" -eq 1 ] || fail "'$PATTERN' printed $count times, expected once"
nerr=$(printf '%s\n' "$out" | grep -c "^hecaton: error")
[ "$nerr" -eq 1 ] || fail "$nerr 'hecaton: error' lines, expected one message"
printf '%s\n' "$out" | grep -Eq -- "^hecaton: error.*($PATTERN)" ||
  fail "the pattern is not in the error line"
noise=$(printf '%s\n' "$out" | grep -E "HDF5-DIAG|internal error|Sanitizer|runtime error:|MPI_ABORT|Segmentation|core dumped|signal [0-9]")
[ -z "$noise" ] || fail "unexpected output: $noise"
[ "$(snapshot "$W")" = "$before_w" ] || {
  diff <(echo "$before_w") <(snapshot "$W"); fail "files changed in $W (shown above)"; }
[ "$(snapshot "$F")" = "$before_f" ] || fail "the run changed a fixture in $F"
echo "ok: every rank exited with 1, one message, no file changed"
