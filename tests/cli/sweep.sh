#!/usr/bin/env bash
# sweep.sh BIN WORKDIR: `hecaton sweep` writes the cross product and its
# figures move the right way.
#  - two keys of 3 and 2 values, two methods: 6 points x 2 methods = 12
#    rows, every (link_bandwidth, batch) pair exactly once per method,
#    Hecaton's ratios 1;
#  - a higher link bandwidth lowers every method's step time (all methods of
#    the registry, tiny-128 on 2x2, where the links matter to each);
#  - a method that cannot run a point gets a row saying why (tiny-96: SUMMA
#    on 2x3), and the others still run there;
#  - the charts are SVG with a title, an x label with its unit, a legend and
#    a line per method; words as values (io_edges) are placed and named.
set -u
bin=$1 work=$2
mkdir -p "$work" && cd "$work" || exit 1
rm -f ./*.csv ./*.svg
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
run() { mpirun --oversubscribe -np 1 "$bin" sweep "$@"; }
col() { head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }

# ---- the cross product ---------------------------------------------------------
run --model tiny-128 --mesh 2x2 --seq 64 --methods hecaton,megatron \
  --param link_bandwidth=64e9,128e9,512e9 --param batch=4,8 --csv cross.csv --svg cross.svg >cross.txt 2>&1 ||
  { cat cross.txt; fail "sweep of two keys"; }
rows=$(($(wc -l <cross.csv) - 1))
[ "$rows" -eq 12 ] || fail "cross.csv has $rows rows, expected 3 x 2 points x 2 methods = 12"
lb=$(col cross.csv link_bandwidth) b=$(col cross.csv batch) m=$(col cross.csv method)
pairs=$(awk -F, -v lb="$lb" -v b="$b" -v m="$m" 'NR > 1 && ($b == 4 || $b == 8) { n[$lb "/" $b "/" $m]++ }
  END { for (k in n) if (n[k] == 1) c++; print c }' cross.csv)
[ "$pairs" -eq 12 ] || fail "expected the 12 (link_bandwidth, batch, method) triples once each, got $pairs"
runs=$(col cross.csv runs) tr=$(col cross.csv time_ratio) er=$(col cross.csv energy_ratio)
awk -F, -v r="$runs" 'NR > 1 && $r != 1 { exit 1 }' cross.csv || fail "a method did not run"
awk -F, -v m="$m" -v tr="$tr" -v er="$er" 'NR > 1 && $m == "hecaton" && ($tr != 1 || $er != 1) { exit 1 }' \
  cross.csv || fail "Hecaton's ratios to itself are not 1"
ok "3 x 2 values x 2 methods: 12 rows, each point once per method, Hecaton's ratios 1"

# ---- link bandwidth lowers every method's step time ---------------------------
run --model tiny-128 --mesh 2x2 --batch 8 --seq 64 --param link_bandwidth=32e9,128e9,512e9 \
  --csv bw.csv >bw.txt 2>&1 || { cat bw.txt; fail "sweep of link_bandwidth"; }
lb=$(col bw.csv link_bandwidth) m=$(col bw.csv method) t=$(col bw.csv step_time_s) runs=$(col bw.csv runs)
methods=$(awk -F, -v m="$m" 'NR > 1 { print $m }' bw.csv | sort -u | wc -l)
[ "$methods" -ge 4 ] || fail "expected every mesh method of the registry, got $methods"
out=$(awk -F, -v lb="$lb" -v m="$m" -v t="$t" -v r="$runs" 'NR > 1 {
    if ($r != 1) { print "did not run: " $m; bad = 1; next }
    if ($m in last && !($t < last[$m])) { print $m ": " $t " s at " $lb " not below " last[$m]; bad = 1 }
    last[$m] = $t }
  END { exit bad }' bw.csv) || fail "step time not lower at a higher link bandwidth: $out"
ok "a higher link bandwidth lowers the step time of each of $methods methods (32, 128, 512 GB/s)"

# ---- a method that cannot run ---------------------------------------------------
run --model tiny-96 --batch 12 --seq 32 --param mesh=2x2,2x3 --csv mesh.csv >mesh.txt 2>&1 ||
  { cat mesh.txt; fail "sweep of mesh"; }
grep -q '^2,.*,2,3,.*,summa,0,"SUMMA needs a square mesh' mesh.csv ||
  { cat mesh.csv; fail "no row saying why SUMMA cannot run 2x3"; }
grep -q '^2,.*,hecaton,1,,' mesh.csv || fail "Hecaton did not run 2x3"
ok "SUMMA on 2x3: a row with the reason; Hecaton runs there"

# ---- the charts --------------------------------------------------------------------
for f in cross.svg cross-energy.svg cross-speedup.svg cross-energy-ratio.svg; do
  [ -s "$f" ] || fail "$f not written"
  python3 -c "import xml.etree.ElementTree as E; E.parse('$f')" 2>/dev/null || fail "$f is not well-formed XML"
  grep -q 'class="title"[^>]*>tiny-128 on 2x2' "$f" || fail "$f: no title"
  grep -q 'class="xlabel"[^>]*>link bandwidth per direction (GB/s)' "$f" || fail "$f: no x label with its unit"
  grep -q 'class="legend"' "$f" || fail "$f: no legend"
  lines=$(grep -c '<g class="series">' "$f")
  [ "$lines" -eq 4 ] || fail "$f: $lines lines, expected 4 (2 methods x 2 batches)"
done
grep -q 'class="ylabel"[^>]*>simulated step time (s)' cross.svg || fail "cross.svg: no y label with its unit"
grep -q 'class="ylabel"[^>]*>energy per step (J)' cross-energy.svg || fail "cross-energy.svg: no y label"
ls ./*.chart.csv ./*.tmp >/dev/null 2>&1 && fail "temporary files left behind"
run --model tiny-128 --mesh 2x2 --batch 8 --seq 64 --methods hecaton --param io_edges=west+east,all \
  --csv edges.csv --svg edges.svg >edges.txt 2>&1 || { cat edges.txt; fail "sweep of io_edges"; }
grep -q 'class="xlabel"[^>]*>I/O die edges: 1 = west+east, 2 = all' edges.svg || fail "edges.svg: values not named"
ok "four charts: XML with title, axis labels with units, legend, a line per series; words named"
echo "$passed passed, 0 failed"
