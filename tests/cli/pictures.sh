#!/usr/bin/env bash
# pictures.sh BIN DATA WORKDIR SOURCE_DIR: the pictures the project writes
# are pictures, and the traces are Chrome traces.
#  - train on 2x2 (tiny-64) and 2x3 (tiny-96) with --heatmap and --trace
#    (the 2x3 one also with --report, redrawn by `hecaton report`);
#  - every trace passes tests/tools/trace_check.py: valid JSON, ph/pid/ts/name
#    on every event, durations >= 0, process and thread names, exactly one
#    process per chiplet;
#  - the SVGs (the heatmaps, a plot of a small CSV with default labels, and
#    a plot drawn as jobs/weak-scaling.sh draws its own, from the estimator's
#    CSV) are well-formed XML carrying a title, axis labels with units, a
#    legend (several series) or a colour scale with labelled ends and units;
#  - headless Chromium (Debian's `chromium`, installed here when missing)
#    renders each SVG to PNG, and tests/tools/png_check.py finds it is not
#    blank (colours, ink, spread). Where Chromium cannot be installed the
#    rendering alone is SKIPPED (said so), the other checks still run.
set -u
bin=$1 data=$2 work=$3 src=$4
mkdir -p "$work" && cd "$work" || exit 1
py=/usr/bin/python3
tools=$src/tests/tools
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
rm -rf ./*.svg ./*.json ./*.png ./*.csv ./*.h5 ./*.ini chrome-*

# ---- runs and traces ---------------------------------------------------------
mpirun --oversubscribe -np 4 "$bin" train --mesh 2x2 --model tiny-64 --data "$data" --batch 8 --seq 32 \
  --steps 2 --val-every 0 --log-every 0 --heatmap heat-2x2.svg --trace trace-2x2.json >train-2x2.txt 2>&1 ||
  { tail train-2x2.txt; fail "train 2x2"; }
mpirun --oversubscribe -np 6 "$bin" train --mesh 2x3 --model tiny-96 --data "$data" --batch 6 --seq 32 \
  --steps 2 --val-every 0 --log-every 0 --heatmap heat-2x3.svg --trace trace-2x3.json --report r-2x3.h5 \
  >train-2x3.txt 2>&1 || { tail train-2x3.txt; fail "train 2x3"; }
mpirun --oversubscribe -np 1 "$bin" report r-2x3.h5 --heatmap heat-2x3-report.svg \
  --trace trace-2x3-report.json >report.txt 2>&1 || { tail report.txt; fail "report --heatmap --trace"; }
for t in trace-2x2.json:4 trace-2x3.json:6 trace-2x3-report.json:6; do
  out=$("$py" "$tools/trace_check.py" "${t%:*}" --chiplets "${t#*:}") || { echo "$out"; fail "${t%:*}"; }
  ok "$out"
done
# The validator itself must catch what it is for.
printf '{"traceEvents": [{"name": "x", "ph": "X", "pid": 0, "tid": 0, "ts": 1, "dur": -1}]}' >bad-trace.json
"$py" "$tools/trace_check.py" bad-trace.json --chiplets 1 >bad-trace.txt &&
  fail "trace_check.py passed a trace with a negative duration and no names"
grep -q "negative dur" bad-trace.txt && grep -q "pid without process_name" bad-trace.txt &&
  grep -q "without thread_name" bad-trace.txt || { cat bad-trace.txt; fail "trace_check.py's complaints"; }
ok "trace_check.py rejects a negative duration and missing process and thread names"

# ---- plots -------------------------------------------------------------------
printf 'step,loss,step_time_s\n1,5.2,0.012\n2,4.8,0.011\n3,4.1,0.013\n4,3.7,0.012\n5,3.5,0.012\n' >small.csv
mpirun --oversubscribe -np 1 "$bin" plot --csv small.csv --x step --y step_time_s --out small.svg >plot.txt 2>&1 ||
  { cat plot.txt; fail "plot of a small CSV"; }
# As jobs/weak-scaling.sh draws its picture, from the estimator's CSV (2x2 and 4x4).
for n in 2 4; do
  cat >weak-$n.ini <<INI
[model]
dim = $((512 * n))
n_layers = 8
n_heads = $((n * n))
n_kv_heads = $((n * n))
ffn_dim = $((1536 * n))
vocab_size = 32000
max_seq_len = 1024
norm_eps = 1e-5
rope_theta = 10000
INI
  mpirun --oversubscribe -np 1 "$bin" estimate --model weak-$n.ini --mesh ${n}x$n --batch 32 --seq 1024 \
    --method hecaton,megatron,megatron-sp,summa --csv weak.csv >>estimate.txt 2>&1 ||
    { tail estimate.txt; fail "estimate ${n}x$n"; }
done
grep -q -- '--legend-title "method" --title "Weak scaling: step time"' "$src/jobs/weak-scaling.sh" ||
  fail "jobs/weak-scaling.sh no longer draws the step-time plot this test copies: update the test"
mpirun --oversubscribe -np 1 "$bin" plot --csv weak.csv --x mesh_rows --y step_time_s --series method --log-x --log-y \
  --x-label "mesh side n (n x n chiplets, model dim 512 n)" --y-label "simulated step time (s)" \
  --legend-title "method" --title "Weak scaling: step time" --out weak.svg >>plot.txt 2>&1 ||
  { cat plot.txt; fail "plot of the weak-scaling CSV"; }

# ---- what the SVGs say ---------------------------------------------------------
# svg_has FILE 'python expression over root (the parsed SVG), text (all its text)' WHAT
svg_has() {
  "$py" - "$1" "$2" <<'PY' || fail "$1: $3"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
def cls(c):
    return [e for e in root.iter() if c in (e.get("class") or "").split()]
def text(c):
    return " ".join("".join(e.itertext()) for e in cls(c))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
  ok "$1: $3"
}
for h in heat-2x2.svg:2x2 heat-2x3.svg:2x3 heat-2x3-report.svg:2x3; do
  f=${h%:*} m=${h#*:}
  svg_has "$f" "text('title').startswith('Link utilisation of the $m chiplet mesh')" "title names the $m mesh"
  svg_has "$f" "text('xlabel') == 'mesh column j' and text('ylabel') == 'mesh row i'" "axis labels"
  svg_has "$f" "len(cls('colour-scale')) == 1 and cls('colour-scale')[0].get('fill', '').startswith('url(#') \
    and len(root.findall('.//' + ns + 'linearGradient/' + ns + 'stop')) >= 2" "a gradient colour bar"
  svg_has "$f" "text('scale-min') == '0%' and text('scale-max').endswith('%') \
    and float(text('scale-max')[:-1]) > 0 and '(%' in text('scale-label')" \
    "colour scale labelled 0% .. $(grep -o 'class="scale-max"[^<]*' "$f" | sed 's/.*>//') with its unit"
  svg_has "$f" "len(cls('link')) >= 8 and all(e.find(ns + 'title') is not None for e in cls('link'))" \
    "busy links drawn, each with its bytes as a tooltip"
done
svg_has small.svg "text('title') == 'step time (s) against step'" "default title from the columns"
svg_has small.svg "text('xlabel') == 'step' and text('ylabel') == 'step time (s)'" \
  "default axis labels, the unit from the column name"
svg_has small.svg "not cls('legend')" "no legend for a single series"
svg_has weak.svg "text('title') == 'Weak scaling: step time'" "the job's title"
svg_has weak.svg "text('xlabel').startswith('mesh side n (n x n chiplets') and text('ylabel') == 'simulated step time (s), log scale'" \
  "the job's axis labels with units and the log scale said"
svg_has weak.svg "text('legend-title') == 'method' and sorted(''.join(e.itertext()) for e in \
  cls('legend')[0].iter(ns + 'text')) == ['hecaton', 'megatron', 'megatron-sp', 'method', 'summa']" \
  "a legend of the four methods"
svg_has weak.svg "len(cls('series')) == 4 and all(len(e.findall(ns + 'circle') + e.findall(ns + 'rect') + e.findall(ns + 'polygon')) == 2 for e in cls('series'))" \
  "four series of two points each, every point marked"

# ---- rendered by Chromium --------------------------------------------------------
# HC_NO_CHROMIUM=1 acts as a machine where chromium cannot be had (tries the skip).
chrome=$(command -v chromium || command -v chromium-browser || true)
[ "${HC_NO_CHROMIUM:-0}" = 1 ] && chrome=""
if [ -z "$chrome" ] && [ "${HC_NO_CHROMIUM:-0}" != 1 ]; then
  echo "chromium is missing: installing Debian's chromium"
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo -n"
  { $sudo apt-get install -y -qq chromium || { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium; }; } \
    >apt.txt 2>&1 </dev/null
  chrome=$(command -v chromium || true)
fi
if [ -z "$chrome" ]; then
  tail -3 apt.txt 2>/dev/null
  echo "SKIPPED: rendering to PNG: chromium is not installed and could not be installed here"
  echo "$passed passed, rendering skipped"
  exit 0
fi
# render FILE.svg: FILE.png, at the SVG's own size.
render() {
  local f=$1 size prof
  size=$("$py" -c 'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.argv[1]).getroot(); print("%d,%d" % (round(float(r.get("width"))), round(float(r.get("height")))))' "$f")
  prof=$(mktemp -d "$work/chrome-XXXXXX")
  HOME=$prof XDG_CONFIG_HOME=$prof XDG_CACHE_HOME=$prof timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
    --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$prof" --screenshot="$work/${f%.svg}.png" \
    --window-size="$size" "file://$work/$f" >chrome.txt 2>&1 </dev/null
  rm -rf "$prof"
  [ -s "${f%.svg}.png" ] || { tail -5 chrome.txt; fail "chromium wrote no PNG of $f"; }
}
for f in heat-2x2.svg heat-2x3.svg heat-2x3-report.svg small.svg weak.svg; do
  render "$f"
  out=$("$py" "$tools/png_check.py" "${f%.svg}.png" --min-colours 16 --min-ink 0.02 --min-spread 0.6) ||
    { echo "$out"; fail "${f%.svg}.png"; }
  ok "$out"
done
# A blank page must not pass for a picture.
printf '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="100%%" height="100%%" fill="white"/></svg>\n' >blank.svg
render blank.svg
"$py" "$tools/png_check.py" blank.png --min-colours 16 --min-ink 0.02 --min-spread 0.6 >blank.txt &&
  { cat blank.txt; fail "png_check.py passed a blank page"; }
ok "png_check.py rejects a blank page: $(sed 's/.*: //' blank.txt)"
echo "$passed passed (the PNGs are in $work)"
