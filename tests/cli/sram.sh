#!/usr/bin/env bash
# sram.sh BIN WORKDIR HWFILE: the SRAM working-set model through the
# estimator (Llama2-70B on 8x8, 32 x 4096 tokens, Hecaton):
#   SRAM 64 MiB -> 1 GiB lowers the DRAM bytes and the step time;
#   I/O dies on all four edges instead of west and east lower the step time;
#   DRAM bandwidth doubled lowers the step time;
#   a tiny model whose state fits in SRAM moves nothing to DRAM.
set -u
bin=$1 work=$2 hw=$3
mkdir -p "$work" && cd "$work" || exit 1
failed=0
col() { # col FILE.csv NAME: the value of column NAME in the last row
  awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } END { print $c }' "$1"
}
variant() { # variant NAME KEY VALUE: the hardware file with one key changed
  sed -e "s/^$2 = .*/$2 = $3/" "$hw" > "$1.ini"
  grep -q "^$2 = $3\$" "$1.ini" || { echo "FAIL: no key '$2' in $hw"; exit 1; }
}
estimate() { # estimate NAME MODEL MESH B S: one CSV row in NAME.csv
  rm -f "$1.csv"
  "$bin" estimate --model "$2" --mesh "$3" --batch "$4" --seq "$5" --hw "$1.ini" --csv "$1.csv" \
    >"$1.out" 2>&1 || { echo "FAIL: estimate $1"; cat "$1.out"; exit 1; }
}
less() { # less WHAT A B: A < B, else a failure naming both
  if awk -v a="$2" -v b="$3" 'BEGIN { exit !(a < b) }'; then echo "ok: $1: $2 < $3"
  else echo "FAIL: $1: $2, expected below $3"; failed=$((failed + 1)); fi
}
cp "$hw" base.ini
variant small sram_bytes 67108864
variant large sram_bytes 1073741824
variant edges4 edges west,east,north,south
sed -e 's/^sram_bytes = .*/sram_bytes = 67108864/' edges4.ini > edges4_small.ini
# DRAM bandwidth: the [dram] section's bandwidth (the [link] one comes first)
awk '/^\[dram\]/ { d = 1 } d && /^bandwidth = / { $0 = "bandwidth = " ($3 * 2) } { print }' small.ini > fastdram.ini
for v in small large edges4_small fastdram; do estimate $v llama2-70b 8x8 32 4096; done
less "DRAM bytes, 1 GiB vs 64 MiB SRAM" "$(col large.csv dram_bytes)" "$(col small.csv dram_bytes)"
less "step time, 1 GiB vs 64 MiB SRAM" "$(col large.csv step_time_s)" "$(col small.csv step_time_s)"
less "step time, I/O on four edges vs west and east" "$(col edges4_small.csv step_time_s)" "$(col small.csv step_time_s)"
less "step time, DRAM bandwidth doubled" "$(col fastdram.csv step_time_s)" "$(col small.csv step_time_s)"
# A tiny model on 2x2: parameters, gradients, Adam state and activations fit.
estimate small tiny-64 2x2 4 32
if [ "$(col small.csv dram_bytes)" = 0 ]; then echo "ok: tiny-64 on 2x2 moves no DRAM byte"
else echo "FAIL: tiny-64 on 2x2 moves $(col small.csv dram_bytes) DRAM bytes"; failed=$((failed + 1)); fi
[ $failed -eq 0 ]
