#!/usr/bin/env bash
# report.sh BIN DATA WORKDIR: `hecaton report` reads a saved run back whole.
#  - its text summary equals the cost summary the run printed (ledger per
#    collective and per phase/op, busiest link, time, energy, memory);
#  - --csv: one figure per line; the busiest chiplet's bytes sent, the step
#    time and the total energy equal the printed ones; every existing link
#    of the 2x3 mesh has a row, and their bytes add up to the printed total;
#  - --heatmap and --trace redraw the pictures from the file: an SVG, and a
#    JSON trace with one named process per chiplet;
#  - bad input: a missing file, a text file, a checkpoint (no /report), a
#    report without a timeline asked for a trace: one message, exit 1.
set -u
bin=$1 data=$2 work=$3
mkdir -p "$work" && cd "$work" || exit 1
py=/usr/bin/python3
passed=0
fail() { echo "FAIL: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
rm -f r.h5 b.h5 ck.h5 *.svg *.json
mpirun --oversubscribe -np 6 "$bin" train --method hecaton --mesh 2x3 --model tiny-96 --data "$data" \
  --batch 6 --seq 32 --steps 3 --val-every 0 --log-every 0 --report r.h5 --save ck.h5 >train.txt 2>&1 ||
  { tail train.txt; fail "train 2x3"; }
summary() { sed -n '/^cost per step/,/^  communication buffers/p' "$1"; }
mpirun --oversubscribe -np 1 "$bin" report r.h5 >report.txt 2>&1 || { cat report.txt; fail "report"; }
[ -n "$(summary train.txt)" ] || fail "no cost summary in the training output"
diff <(summary train.txt) <(summary report.txt) >/dev/null ||
  { diff <(summary train.txt) <(summary report.txt) | head; fail "the report's summary differs from the run's"; }
grep -q '^#   method = hecaton$' report.txt && grep -q '^#   mesh = 2x3$' report.txt ||
  fail "the report does not show the run's configuration"
ok "report r.h5 prints the run's configuration and the same $(summary train.txt | wc -l)-line cost summary"

mpirun --oversubscribe -np 1 "$bin" report r.h5 --csv >r.csv 2>/dev/null || fail "report --csv"
"$py" - r.csv train.txt <<'PY' || fail "CSV figures disagree with the run's output"
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
out = open(sys.argv[2]).read()
def val(table, row, col):
    got = [float(r["value"]) for r in rows if (r["table"], r["row"], r["column"]) == (table, row, col)]
    assert len(got) == 1, (table, row, col, got)
    return got[0]
sent = max(float(r["value"]) for r in rows if r["table"] == "chiplet" and r["column"] == "bytes_sent_per_step")
m = re.search(r"bytes sent per chiplet \(busiest\): ([0-9.]+) (B|KiB|MiB|GiB)", out)
unit = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}[m.group(2)]
assert abs(sent - float(m.group(1)) * unit) <= 0.01 * sent, (sent, m.group(0))
t = float(re.search(r"simulated time per step: ([0-9.e+-]+) s", out).group(1))
assert abs(val("time", "step", "total_s") - t) <= 1e-6 * t, (val("time", "step", "total_s"), t)
e = float(re.search(r"energy per step: ([0-9.e+-]+) J", out).group(1))
assert abs(val("energy", "step", "total_J") - e) <= 1e-4 * e, (val("energy", "step", "total_J"), e)
links = [r for r in rows if r["table"] == "link"]
# a 2x3 mesh: 2*(2*2) row links + 2*3 column links... counted: E/W 2*2*2, N/S 2*3, I/O ports W,E
mesh_links = 2 * (2 * (3 - 1)) + 2 * (3 * (2 - 1))
assert len([r for r in links if "io" not in r["row"]]) == mesh_links, len(links)
total = float(re.search(r"link bytes: ([0-9.]+) (B|KiB|MiB|GiB) in total", out).group(1))
unit = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}[re.search(r"link bytes: [0-9.]+ (B|KiB|MiB|GiB)", out).group(1)]
s = sum(float(r["value"]) for r in links) * 3
assert abs(s - total * unit) <= 0.01 * s, (s, total * unit)
print(f"csv: {len(rows)} rows; busiest chiplet {sent:.0f} B/step; {len(links)} links")
PY
ok "report --csv: bytes, time, energy and links agree with the run's output"

mpirun --oversubscribe -np 1 "$bin" report r.h5 --heatmap h.svg --trace t.json >/dev/null 2>&1 || fail "report --heatmap --trace"
grep -q '<svg' h.svg || fail "h.svg is not an SVG"
"$py" - t.json <<'PY' || fail "t.json is not a trace with 6 named chiplets"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
names = {e["pid"]: e["args"]["name"] for e in ev if e.get("ph") == "M" and e["name"] == "process_name"}
assert sorted(names) == list(range(6)), names
assert names[5] == "chiplet (1,2)", names[5]
x = [e for e in ev if e.get("ph") == "X"]
assert x and all(e["dur"] >= 0 and e["ts"] >= 0 for e in x), len(x)
PY
ok "report --heatmap/--trace redraw the pictures from the file"

expect() {
  local pat=$1 out rc n
  shift
  out=$(timeout 30 mpirun --oversubscribe -np 2 "$bin" report "$@" 2>&1)
  rc=$?
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "exit $rc for report $*"
  n=$(printf '%s\n' "$out" | grep -Ec -- "$pat")
  [ "$n" = 1 ] || { echo "$out"; fail "'$pat' printed $n times for report $*"; }
}
expect "nothere.h5: no such report file" nothere.h5
echo "text" > text.h5
expect "text.h5: not a readable HDF5 file" text.h5
expect "ck.h5: no /report group" ck.h5
mpirun --oversubscribe -np 4 "$bin" bench-collectives --mesh 2x2 --max-size 1K --report b.h5 >/dev/null 2>&1 || fail "bench report"
expect "b.h5: the report holds no timeline events" b.h5 --trace bt.json
[ ! -e bt.json ] || fail "a trace file was left after the error"
ok "bad input: one message each, exit 1"
echo "$passed passed, 0 failed"
