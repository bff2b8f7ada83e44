#!/usr/bin/env bash
# baselines_compare.sh BIN WORKDIR NP MESH CANNOT [COMPARE OPTIONS...]
# `hecaton compare --mesh MESH OPTIONS --csv compare.csv` on NP ranks must
# exit 0 with one row per method (hecaton, megatron, megatron-sp, megatron-dp, summa, in
# that order, in the text table and the CSV, whose header is fixed).
# CANNOT lists the methods that must not run, as METHOD:REGEX[,...] ("-" for
# none): such a method prints "cannot run: <reason>" in its text row, and its
# CSV row has runs 0, a reason matching REGEX and empty numbers. Every other
# method must run (runs 1), and its CSV numbers must agree with an
# individual `hecaton train --method M --mesh MESH OPTIONS --steps 1
# --dry-run --report M.h5` of the same batch shape:
#   bytes_sent_per_chiplet = max of /metrics/chiplets/sent (exactly),
#   weights_bytes          = max of /metrics/memory/params (exactly),
#   nop_time_s             = max of /metrics/chiplets/nop_time to NOP_RTOL
#     relative (1e-8: the CSV prints 9 significant digits, whose rounding
#     alone is up to 5e-9 relative),
#   bytes_ratio_to_hecaton / time_ratio_to_hecaton = the ratio of those
#     numbers to hecaton's, to 1e-5 relative (printed with 6 digits).
# OPTIONS must give --batch and --seq (compare and train have different
# defaults); the two printed batch shapes are checked to be the same.
# HC_MPIEXEC: the MPI launcher (default mpirun).
set -u
bin=$1 work=$2 np=$3 mesh=$4 cannot=$5
shift 5
mkdir -p "$work" && cd "$work" || exit 1
passed=0
NOP_RTOL=1e-8
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
mpi() { timeout 280 "${HC_MPIEXEC:-mpirun}" --oversubscribe -np "$np" "$bin" "$@" < /dev/null; }
methods="hecaton megatron megatron-sp megatron-dp summa"
header="method,runs,reason,bytes_sent_per_chiplet,busiest_link_bytes,nop_time_s,weights_bytes,weights_grads_adam_bytes,activation_bytes,buffer_bytes,bytes_ratio_to_hecaton,time_ratio_to_hecaton,step_time_s,exposed_comm_s,energy_j,step_time_ratio_to_hecaton,energy_ratio_to_hecaton"

# reason regex of METHOD if it is listed in CANNOT, else nothing
cannot_re() {
  local IFS=, item
  for item in $cannot; do
    [ "${item%%:*}" = "$1" ] && { printf '%s' "${item#*:}"; return 0; }
  done
  return 1
}
# max over a 1D dataset, printed exactly (%.0f for integers, %.17g for floats)
h5max() {
  h5dump -d "$2" -y -w 0 -m '%.17g' "$1" 2>/dev/null |
    awk -v fmt="$3" '/DATA \{/ { on = 1; next } on && /^ *\}/ { on = 0 }
      on { gsub(/,/, " "); for (i = 1; i <= NF; i++) { v = $i + 0; if (!n++ || v > m) m = v } }
      END { if (n) printf fmt "\n", m }'
}
# relative difference |a - b| / |b| <= tol ?
close_to() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d;
  r = (b != 0) ? d / (b < 0 ? -b : b) : d; printf "%.3g\n", r > "/dev/stderr"; exit !(r <= t) }'; }

# ---- the comparison -------------------------------------------------------------
rm -f compare.csv ./*.h5
mpi compare --mesh "$mesh" "$@" --csv compare.csv > compare.txt 2>&1
rc=$?
[ $rc -ne 124 ] || { cat compare.txt; fail "compare timed out (hang?)"; }
[ $rc -eq 0 ] || { cat compare.txt; fail "compare exit $rc"; }
[ -s compare.csv ] || { cat compare.txt; fail "no compare.csv"; }
ok "compare exit 0, CSV written"
cat compare.txt
# CSV (RFC 4180 quotes) -> one tab-separated line per row
tsv=$(awk 'function split_csv(s, f,   n, i, c, q, cur) {
    n = 0; cur = ""; q = 0
    for (i = 1; i <= length(s); i++) {
      c = substr(s, i, 1)
      if (q) { if (c == "\"") { if (substr(s, i + 1, 1) == "\"") { cur = cur c; i++ } else q = 0 } else cur = cur c }
      else if (c == "\"") q = 1
      else if (c == ",") { f[++n] = cur; cur = "" }
      else cur = cur c
    }
    f[++n] = cur; return n }
  { sub(/\r$/, ""); n = split_csv($0, f); line = f[1]
    for (i = 2; i <= n; i++) line = line "\t" (f[i] == "" ? "-" : f[i]); print line }' compare.csv)
[ "$(head -1 compare.csv | tr -d '\r')" = "$header" ] ||
  fail "CSV header is '$(head -1 compare.csv)', expected '$header'"
rows=$(printf '%s\n' "$tsv" | tail -n +2 | cut -f1 | tr '\n' ' ')
[ "$rows" = "$methods " ] || fail "CSV rows are '$rows', expected '$methods'"
ok "CSV header as documented, rows: $methods"
shape=$(sed -n 's/^# hecaton compare: .*, batch \([0-9]* x [0-9]*\) tokens.*/\1/p' compare.txt)
[ -n "$shape" ] || fail "compare prints no 'batch B x S tokens'"

# ---- each method: cannot run, or agrees with its own dry run ----------------------
opts=()
for a in "$@"; do [ "$a" = --dry-run ] || opts+=("$a"); done
hec_bytes="" hec_time=""
while IFS=$'\t' read -r m runs reason bytes link nop weights wga act buf xb xt; do
  [ "$m" = method ] && continue
  textrow=$(grep -E "^$m " compare.txt)
  [ "$(printf '%s\n' "$textrow" | grep -c .)" -eq 1 ] || fail "text table: $(printf '%s\n' "$textrow" | grep -c .) rows for $m"
  if re=$(cannot_re "$m"); then
    [ "$runs" = 0 ] || fail "$m: CSV runs '$runs', expected 0 (cannot run)"
    printf '%s\n' "$reason" | grep -Eq -- "$re" || fail "$m: CSV reason '$reason' does not match '$re'"
    [ "$bytes$link$nop$weights" = "----" ] || fail "$m cannot run but has numbers: $bytes $link $nop $weights"
    printf '%s\n' "$textrow" | grep -Eq -- "^$m +cannot run: .*($re)" ||
      fail "$m: text row '$textrow' does not say 'cannot run: ...$re'"
    ok "$m cannot run: '$reason' (CSV runs 0, text 'cannot run:')"
    continue
  fi
  [ "$runs" = 1 ] || fail "$m: CSV runs '$runs' (reason '$reason'), expected 1"
  ! printf '%s\n' "$textrow" | grep -q 'cannot run' || fail "$m: text row says it cannot run"
  mpi train --method "$m" --mesh "$mesh" "${opts[@]}" --steps 1 --dry-run --report "$m.h5" > "$m.txt" 2>&1
  rc=$?
  [ $rc -eq 0 ] || { cat "$m.txt"; fail "train --method $m: exit $rc"; }
  tshape=$(sed -n 's/^# .*batch \([0-9]* x [0-9]*\) tokens.*/\1/p' "$m.txt")
  [ "$tshape" = "$shape" ] || fail "$m: train ran batch '$tshape', compare '$shape'"
  sent=$(h5max "$m.h5" /metrics/chiplets/sent %.0f)
  pmax=$(h5max "$m.h5" /metrics/memory/params %.0f)
  tmax=$(h5max "$m.h5" /metrics/chiplets/nop_time %.17g)
  [ -n "$sent" ] && [ -n "$pmax" ] && [ -n "$tmax" ] || fail "$m.h5: cannot read the metrics"
  [ "$sent" != 0 ] || [ "$np" = 1 ] || fail "$m.h5: no bytes sent on $np chiplets"
  [ "$bytes" = "$sent" ] || fail "$m: CSV bytes_sent_per_chiplet $bytes, train's max /metrics/chiplets/sent $sent"
  [ "$weights" = "$pmax" ] || fail "$m: CSV weights_bytes $weights, train's max /metrics/memory/params $pmax"
  r=$(close_to "$nop" "$tmax" "$NOP_RTOL" 2>&1) ||
    fail "$m: CSV nop_time_s $nop, train's max /metrics/chiplets/nop_time $tmax: relative difference $r > $NOP_RTOL"
  ok "$m: bytes $bytes, weights $weights equal; NoP time $nop vs $tmax (rel. diff. $r)"
  if [ "$m" = hecaton ]; then hec_bytes=$sent hec_time=$tmax; fi
  [ -n "$hec_bytes" ] || fail "no hecaton row before $m"
  rb=$(awk -v a="$sent" -v b="$hec_bytes" 'BEGIN { printf "%.17g", a / b }')
  rt=$(awk -v a="$tmax" -v b="$hec_time" 'BEGIN { printf "%.17g", a / b }')
  close_to "$xb" "$rb" 1e-5 2>/dev/null || fail "$m: CSV bytes_ratio_to_hecaton $xb, expected $rb"
  close_to "$xt" "$rt" 1e-5 2>/dev/null || fail "$m: CSV time_ratio_to_hecaton $xt, expected $rt"
  ok "$m: ratios to hecaton $xb, $xt"
done <<< "$tsv"
echo "$passed passed, 0 failed"
