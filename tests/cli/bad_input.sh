#!/usr/bin/env bash
# bad_input.sh: bad input to every `hecaton` command, one case per ctest entry.
#
#   bad_input.sh --list                       the case names, one a line
#   bad_input.sh BIN CORPUS WORK setup        make the shared fixtures in WORK/fix
#   bad_input.sh BIN CORPUS WORK CASE         run one case in WORK/case/CASE
#
# Each case is a row of the table below: name, ranks, the expected message
# (extended regex), optional files, and the hecaton arguments. A case passes
# when
#   1. every rank exits by itself with status 1 (the CLI's error exit), all
#      within the time limit (a hang fails; a rank killed by mpirun after
#      another failed, a crash or an MPI_Abort fails too: each rank's own
#      exit status is recorded by a wrapper that then exits 0, so mpirun never
#      has to abort the job);
#   2. the combined output holds exactly one "hecaton: error" line, it matches
#      the pattern, and nothing else looks like a failure (HDF5 error stacks,
#      internal errors, sanitizer reports, signals);
#   3. no file changed under a real name: the case's folder (where every output
#      path of the table points, and the working directory of the run) and the
#      shared fixtures are byte-identical before and after, so no output file
#      appeared, no existing one (keep=PATH: created before the run) changed,
#      and no temporary file was left behind.
# Paths in the table: $F shared fixtures, $W this case's folder (it holds
# notadir, a regular file, so $W/notadir/x cannot be written, even by root),
# $CORPUS a valid token file (the corpus fixture).
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
MODEL=${HECATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/models

# ---- shared fixtures -----------------------------------------------------------
# Model and hardware files with one line changed: ini FILE KEY VALUE < base
# ("-" as VALUE deletes the key).
ini() {
  local out=$1 key=$2 val=$3
  if [ "$val" = - ]; then sed "/^$key *=/d" > "$out"
  else sed "0,/^$key *=.*/s//$key = $val/" > "$out"; fi
}

setup() {
  rm -rf "$F" && mkdir -p "$F/dir" || return 1
  local m=$MODEL/tiny-64.ini hw=$MODEL/hw/standard.ini
  ini "$F/m_zero_dim.ini" dim 0 < "$m"
  ini "$F/m_neg_layers.ini" n_layers -2 < "$m"
  ini "$F/m_huge_dim.ini" dim 4294967296 < "$m"
  ini "$F/m_huge_ffn.ini" ffn_dim 123456789012345678901234567890 < "$m"
  ini "$F/m_word_heads.ini" n_heads four < "$m"
  ini "$F/m_word_eps.ini" norm_eps tiny < "$m"
  ini "$F/m_neg_eps.ini" norm_eps -1e-5 < "$m"
  ini "$F/m_heads_6.ini" n_heads 6 < "$m"                 # 64 % 6 != 0
  ini "$F/m_kv_8.ini" n_kv_heads 8 < "$m"                 # more KV heads than heads
  ini "$F/m_dim_20.ini" dim 20 < "$m"                     # head dim 5: odd
  ini "$F/m_no_rope.ini" rope_theta - < "$m"
  ini "$F/m_layers_3.ini" n_layers 3 < "$m"               # a valid, different model
  ini "$F/m_dim_2p30.ini" dim 1073741824 < "$m"          # valid INI value, 7e18 parameters
  ini "$F/m_8tb.ini" dim 262144 < "$m"                    # 4e11 parameters: 6.6 TB of state
  { cat "$m"; echo "dim = 64"; } > "$F/m_twice.ini"
  sed 's/^dim *=/dimension =/' "$m" > "$F/m_unknown_key.ini"
  sed 's/^dim *=.*/dim 64/' "$m" > "$F/m_syntax.ini"
  ini "$F/hw_zero_bw.ini" bandwidth 0 < "$hw"
  ini "$F/hw_neg_latency.ini" latency -1e-9 < "$hw"
  ini "$F/hw_huge_bw.ini" bandwidth 1e999 < "$hw"
  ini "$F/hw_word_elem.ini" element_bytes two < "$hw"
  ini "$F/hw_huge_elem.ini" element_bytes 1000000000 < "$hw"
  sed '/^\[link\]/,/^\[/s/^efficiency *=.*/efficiency = 1.5/' "$hw" > "$F/hw_eff.ini"
  ini "$F/hw_edges.ini" edges up,down < "$hw"
  sed '/^\[dram\]/,$s/^bandwidth *=.*//' "$hw" > "$F/hw_no_dram_bw.ini"
  : > "$F/empty.ini"
  : > "$F/empty.h5"
  echo "just some text, not HDF5" > "$F/text.h5"
  local n; n=$(stat -c %s "$CORPUS") && head -c $((n / 2)) "$CORPUS" > "$F/truncated.h5"
  printf 'a,b\n' > "$F/header_only.csv"
  printf 'a,b\n1,2\n2,3\n' > "$F/ok.csv"
  printf 'a,b\nx,y\nz,w\n' > "$F/words.csv"
  # Token files and llm.c shards (header: 256 int32, magic, version, count).
  /usr/bin/python3 - "$F" <<'EOF' || return 1
import sys, h5py, numpy as np
F = sys.argv[1]
ids = (np.arange(20000) % 200).astype(np.uint16)
def tok(name, data, dsname="tokens", **attrs):
    with h5py.File(f"{F}/{name}", "w") as f:
        f[dsname] = data
        for k, v in {"vocab_size": 256, "tokenizer": "byte", **attrs}.items():
            if v is not None: f.attrs[k] = v
tok("t_float.h5", ids.astype(np.float32))
tok("t_int32.h5", ids.astype(np.int32) - 40)
tok("t_name.h5", ids, dsname="ids")
tok("t_2d.h5", ids.reshape(100, 200))
tok("t_novocab.h5", ids, vocab_size=None)
tok("t_empty.h5", np.zeros(0, np.uint16))
tok("t_beyond.h5", np.where(ids == 7, 300, ids).astype(np.uint16))
def shard(name, magic=20240520, version=1, count=None, toks=ids, cut=None):
    h = np.zeros(256, np.int32)
    h[:3] = magic, version, len(toks) if count is None else count
    b = h.tobytes() + toks.astype(np.uint16).tobytes()
    open(f"{F}/{name}", "wb").write(b[:cut])
shard("s_magic.bin", magic=20240521)
shard("s_lying.bin", count=50000)
shard("s_negative.bin", count=-5)
shard("s_version.bin", version=3)
shard("s_short.bin", cut=100)
shard("s_gpt2.bin", toks=np.full(100, 60000))
shard("s_good.bin")
EOF
  # A checkpoint (1x2 mesh), cut short, and with one bit of /params flipped.
  (cd "$F" && "$MPIRUN" --oversubscribe -np 2 "$BIN" train --data "$CORPUS" --steps 1 \
     --val-every 0 --log-every 0 --save "$F/ck.h5" > "$F/ck.log" 2>&1) || { cat "$F/ck.log"; return 1; }
  n=$(stat -c %s "$F/ck.h5") && head -c $((n * 3 / 4)) "$F/ck.h5" > "$F/ck_truncated.h5"
  cp "$F/ck.h5" "$F/ck_flipped.h5"
  /usr/bin/python3 - "$F/ck_flipped.h5" <<'EOF' || return 1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    off = f["/params/layers.1.attention.wq.weight"].id.get_offset()
with open(sys.argv[1], "r+b") as g:
    g.seek(off + 1001); b = g.read(1); g.seek(off + 1001); g.write(bytes([b[0] ^ 0x10]))
EOF
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
# -- model files: missing, zero, negative, huge, non-numeric, contradictory values
c model_zero_dim 2 "m_zero_dim.ini:[0-9]+: \[model\] dim: '0' must be a positive integer" -- estimate --model $F/m_zero_dim.ini
c model_negative_layers 4 "\[model\] n_layers: '-2' must be a positive integer" -- gradcheck --mesh 2x2 --model $F/m_neg_layers.ini
c model_huge_dim 2 "\[model\] dim: '4294967296' is too large \(at most 1073741824\)" -- compare --model $F/m_huge_dim.ini
c model_huge_ffn 2 "\[model\] ffn_dim: '1234567890+[0-9]*' is too large" -- train --dry-run --model $F/m_huge_ffn.ini
c model_word_heads 2 "\[model\] n_heads: 'four' is not an integer" -- bench-step --model $F/m_word_heads.ini
c model_word_eps 1 "\[model\] norm_eps: 'tiny' is not a number" -- bench-train --model $F/m_word_eps.ini
c model_negative_eps 2 "\[model\] norm_eps: '-1e-5' must be positive" -- train --data $CORPUS --model $F/m_neg_eps.ini
c model_heads_not_dividing_dim 2 "dim 64 is not divisible by n_heads 6" -- train --dry-run --model $F/m_heads_6.ini
c model_kv_heads_above_heads 2 "n_kv_heads 8 is more than n_heads 4" -- estimate --model $F/m_kv_8.ini
c model_odd_head_dim 4 "head dim dim/n_heads = 5 is odd" -- gradcheck --mesh 2x2 --model $F/m_dim_20.ini
c model_missing_key 2 "m_no_rope.ini: \[model\] rope_theta: required key missing" -- bench-step --model $F/m_no_rope.ini
c model_key_twice 2 "m_twice.ini:[0-9]+: \[model\] dim: given twice" -- compare --model $F/m_twice.ini
c model_unknown_key 2 "\[model\] dimension: unknown key" -- estimate --model $F/m_unknown_key.ini
c model_syntax_error 2 "m_syntax.ini:[0-9]+: syntax error" -- train --dry-run --model $F/m_syntax.ini
c model_empty_file 2 "empty.ini: empty file" -- compare --model $F/empty.ini
c model_directory 2 "dir: is a directory, not a file" -- train --data $CORPUS --model $F/dir
c model_too_many_parameters 2 "m_dim_2p30.ini: 6.92e\+18 parameters, more than 2\^40" -- estimate --model $F/m_dim_2p30.ini
c model_state_exceeds_memory 4 "model m_8tb: 4.13e\+11 parameters need .* GB .*this machine has" -- train --data $CORPUS --model $F/m_8tb.ini --save $W/ck.h5
c model_state_exceeds_memory_gradcheck 2 "model m_8tb: .* parameters need" -- gradcheck --model $F/m_8tb.ini
c model_no_such_name 2 "models/no-such-model.ini: cannot open: No such file" -- gradcheck --model no-such-model
# -- hardware files
c hw_zero_bandwidth 2 "hw_zero_bw.ini:[0-9]+: \[link\] bandwidth: '0' must be positive" -- train --dry-run --hw $F/hw_zero_bw.ini
c hw_negative_latency 4 "\[link\] latency: '-1e-9' must be positive" -- gradcheck --mesh 2x2 --hw $F/hw_neg_latency.ini
c hw_huge_bandwidth 2 "\[link\] bandwidth: '1e999' is out of range" -- compare --hw $F/hw_huge_bw.ini
c hw_word_element_bytes 2 "\[link\] element_bytes: 'two' is not an integer" -- estimate --hw $F/hw_word_elem.ini
c hw_huge_element_bytes 2 "\[link\] element_bytes: '1000000000' must be 1, 2, 4 or 8" -- bench-collectives --dry-run --hw $F/hw_huge_elem.ini
c hw_efficiency_above_one 4 "\[link\] efficiency: '1.5' must be in \(0, 1\]" -- bench-collectives --mesh 2x2 --hw $F/hw_eff.ini
c hw_bad_edges 2 "\[io\] edges: 'up,down' is not a list of edges" -- train --data $CORPUS --hw $F/hw_edges.ini
c hw_missing_key 2 "hw_no_dram_bw.ini: \[dram\] bandwidth: required key missing" -- compare --hw $F/hw_no_dram_bw.ini
c hw_empty_file 2 "empty.ini: empty file" -- bench-collectives --hw $F/empty.ini
c hw_directory 2 "dir: is a directory, not a file" -- estimate --hw $F/dir
# -- meshes and rank counts
c mesh_0x2 2 "--mesh '0x2': rows and columns must be at least 1" -- estimate --mesh 0x2
c mesh_2x 2 "malformed --mesh '2x'" -- train --dry-run --mesh 2x
c mesh_2x2x2 4 "malformed --mesh '2x2x2'" -- gradcheck --mesh 2x2x2
c mesh_100000x100000 2 "--mesh '100000x100000': dimension too large" -- compare --mesh 100000x100000
c mesh_minus_1x2 2 "malformed --mesh '-1x2'" -- bench-collectives --mesh -1x2
c mesh_x2 2 "malformed --mesh 'x2'" -- bench-step --mesh x2
c np_above_mesh 6 "--mesh 2x2 needs 4 ranks .*started 6" -- train --dry-run --mesh 2x2
c np_below_mesh 3 "--mesh 2x2 needs 4 ranks .*started 3" -- gradcheck --mesh 2x2
# -- token files for train --data
c data_empty_file 2 "empty.h5: not a readable HDF5 file" -- train --data $F/empty.h5
c data_text_named_h5 4 "text.h5: not a readable HDF5 file" -- train --data $F/text.h5
c data_truncated 2 "truncated.h5: not a readable HDF5 file" -- train --data $F/truncated.h5
c data_directory 2 "dir: is a directory, not a token file" -- train --data $F/dir
c data_float_dtype 4 "t_float.h5: /tokens holds 32-bit floats; expected unsigned 16- or 32-bit integer token ids" -- train --data $F/t_float.h5
c data_signed_dtype 2 "t_int32.h5: /tokens holds 32-bit signed integers; expected unsigned" -- train --data $F/t_int32.h5
c data_wrong_dataset_name 2 "t_name.h5: no dataset /tokens" -- train --data $F/t_name.h5
c data_2d_tokens 2 "t_2d.h5: /tokens is 2-D; expected 1-D" -- train --data $F/t_2d.h5
c data_no_vocab_attribute 2 "t_novocab.h5: missing or invalid attribute vocab_size" -- train --data $F/t_novocab.h5
c data_no_tokens 2 "t_empty.h5: /tokens is empty" -- train --data $F/t_empty.h5
c data_id_beyond_file_vocab 2 "t_beyond.h5: token id 300 >= the file's vocab_size 256" -- train --data $F/t_beyond.h5
# -- prepare: llm.c shards and outputs
c prepare_bad_magic 2 "s_magic.bin: not an llm.c token shard \(magic number is not 20240520\)" -- prepare $F/s_magic.bin -o $W/out.h5
c prepare_lying_count 4 "s_lying.bin: llm.c header says 50000 tokens but the file holds 20000" -- prepare $F/s_lying.bin -o $W/out.h5
c prepare_negative_count 2 "s_negative.bin: llm.c header says -5 tokens" -- prepare $F/s_negative.bin -o $W/out.h5
c prepare_bad_version 2 "s_version.bin: llm.c shard version 3, expected 1" -- prepare $F/s_version.bin -o $W/out.h5
c prepare_short_header 2 "s_short.bin: llm.c shard shorter than its header" -- prepare $F/s_short.bin -o $W/out.h5
c prepare_token_beyond_gpt2 2 "s_gpt2.bin: token 0 is 60000, outside the GPT-2 vocabulary" -- prepare $F/s_gpt2.bin -o $W/out.h5
c prepare_mixed_inputs 2 "text.h5: mixes text with llm.c inputs" -- prepare $F/s_good.bin $F/text.h5 -o $W/out.h5
c prepare_empty_input 2 "empty.ini: no tokens in the input" -- prepare $F/empty.ini -o $W/out.h5
c prepare_directory_input 2 "dir: is a directory, not a file" -- prepare $F/dir -o $W/out.h5
c prepare_output_missing_dir 2 "missing/out.h5: cannot write the token file" -- prepare $F/s_good.bin -o $W/missing/out.h5
c prepare_keeps_existing_output 4 "s_lying.bin: llm.c header says" keep=$W/tokens.h5 -- prepare $F/s_good.bin $F/s_lying.bin -o $W/tokens.h5
# -- checkpoints for train --resume
c resume_truncated 2 "ck_truncated.h5: .*truncated" -- train --data $CORPUS --steps 3 --resume $F/ck_truncated.h5
c resume_bit_flipped 2 "ck_flipped.h5: .*checksum mismatch" -- train --data $CORPUS --steps 3 --resume $F/ck_flipped.h5
c resume_other_model 4 "ck.h5: checkpoint is of a different model: n_layers 2 in the file, 3" -- train --data $CORPUS --steps 3 --model $F/m_layers_3.ini --resume $F/ck.h5
c resume_token_file 2 "not a hecaton checkpoint" -- train --data $CORPUS --steps 3 --resume $CORPUS
c resume_bad_input_keeps_save 2 "ck_flipped.h5: .*checksum mismatch" keep=$W/ck.h5 -- train --data $CORPUS --steps 3 --resume $F/ck_flipped.h5 --save $W/ck.h5 --log-file $W/log.csv
# -- options
c train_steps_negative 2 "--steps '-1': expected an integer" -- train --data $CORPUS --steps -1 --save $W/ck.h5
c train_steps_word 2 "--steps 'abc': expected an integer" -- train --data $CORPUS --steps abc
c train_lr_nan 4 "--lr 'nan': expected a number" -- train --data $CORPUS --lr nan --save $W/ck.h5
c train_lr_inf 2 "--lr 'inf': expected a number" -- train --data $CORPUS --lr inf
c train_batch_zero 2 "--batch '0': expected an integer" -- train --data $CORPUS --batch 0
c train_seq_zero 2 "--seq '0': expected an integer" -- train --data $CORPUS --seq 0
c train_seq_huge 4 "--seq 100000 is longer than the model's max_seq_len 64" -- train --data $CORPUS --seq 100000
c train_chunks_zero 4 "--chunks '0': expected an integer" -- train --data $CORPUS --chunks 0
c train_save_unwritable 2 "notadir/ck.h5: cannot be written" -- train --data $CORPUS --steps 1 --save $W/notadir/ck.h5
c train_report_unwritable 2 "notadir/r.h5: cannot be written" -- train --data $CORPUS --steps 1 --report $W/notadir/r.h5
c train_log_file_unwritable 2 "missing/log.csv: cannot be written" -- train --data $CORPUS --steps 1 --log-file $W/missing/log.csv
c train_dump_grads_unwritable 2 "notadir/g.h5: cannot be written" -- train --data $CORPUS --steps 1 --dump-grads $W/notadir/g.h5
c train_trace_unwritable 2 "notadir/t.json: cannot be written" -- train --dry-run --steps 1 --trace $W/notadir/t.json
c train_heatmap_unwritable 2 "notadir/h.svg: cannot be written" -- train --dry-run --steps 1 --heatmap $W/notadir/h.svg
c train_bad_lr_keeps_checkpoint 2 "--lr 'inf'" keep=$W/ck.h5 -- train --data $CORPUS --lr inf --save $W/ck.h5
c estimate_batch_trailing_junk 2 "--batch '3abc': expected an integer" -- estimate --batch 3abc
c estimate_chunks_zero 2 "--chunks '0': expected an integer" -- estimate --chunks 0
c estimate_csv_unwritable 2 "notadir/e.csv: cannot be written" -- estimate --csv $W/notadir/e.csv
c compare_unknown_method 2 "--methods: 'foo': expected" -- compare --methods hecaton,foo
c compare_batch_zero 2 "--batch '0': expected an integer" -- compare --batch 0 --csv $W/c.csv
c compare_csv_unwritable 2 "notadir/c.csv: cannot be written" -- compare --csv $W/notadir/c.csv
c compare_recompute_word 2 "--recompute 'partial': expected none, selective or full" -- compare --recompute partial
c gradcheck_recompute_empty 4 "--recompute '': expected none, selective or full" -- gradcheck --mesh 2x2 --recompute=
c gradcheck_steps_zero 2 "--steps '0': expected an integer" -- gradcheck --steps 0
c gradcheck_rtol_nan 4 "--rtol 'nan': expected a positive number" -- gradcheck --mesh 2x2 --rtol nan
c bench_step_seq_huge 2 "--seq 100000 is longer than the model's max_seq_len" -- bench-step --seq 100000
c bench_step_batch_word 2 "--batch 'two': expected an integer" -- bench-step --batch two
c bench_train_two_ranks 2 "bench-train runs on one rank" -- bench-train
c bench_train_steps_zero 1 "--steps '0': expected an integer" -- bench-train --steps 0
c bench_collectives_iters_junk 2 "--iters '2x': expected an integer" -- bench-collectives --iters 2x --max-size 1K
c bench_collectives_max_size 2 "--max-size '10Q': expected a size" -- bench-collectives --max-size 10Q
c bench_collectives_keeps_report 2 "--algo 'fast'" keep=$W/r.h5 -- bench-collectives --algo fast --report $W/r.h5
c plot_no_csv 2 "nosuch.csv: cannot open" -- plot --csv $W/nosuch.csv --x a --y b --out $W/p.svg
c plot_header_only 2 "header_only.csv: no data rows" -- plot --csv $F/header_only.csv --x a --y b --out $W/p.svg
c plot_no_column 2 "ok.csv: no column 'c'" -- plot --csv $F/ok.csv --x a --y c --out $W/p.svg
c plot_words 2 "words.csv: no numbers to plot in columns a, b" -- plot --csv $F/words.csv --x a --y b --out $W/p.svg
c plot_out_unwritable 2 "notadir/p.svg: cannot be written" -- plot --csv $F/ok.csv --x a --y b --out $W/notadir/p.svg
}

# ---- running one case -----------------------------------------------------------
table
if [ $MODE = list ]; then
  [ ${#NAMES[@]} -ge 50 ] || { echo "only ${#NAMES[@]} cases" >&2; exit 2; }
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
