#!/usr/bin/env bash
# estimate_vs_dry.sh BIN WORKDIR METHOD "MESH MODEL" ...
# For each configuration: `hecaton estimate` (one process, no ranks) against
# a dry-run of one training step on R*C ranks: the busiest chiplet's bytes
# sent must be equal exactly, the step time and the NoP time of the slowest
# chiplet within 1%. HC_EXTRA: options given to both (e.g. "--lora 16").
set -u
extra=(${HC_EXTRA:-})
bin=$1 work=$2 method=$3
shift 3
mkdir -p "$work" && cd "$work" || exit 1
passed=0 failed=0
col() { # col FILE.csv NAME: the value of column NAME in the last row
  awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } END { print $c }' "$1"
}
h5max() { h5dump -d "$2" -y -w 0 "$1" | awk '/DATA/ { on = 1; next } on && /[0-9]/ { gsub(/[},]/, " "); for (i = 1; i <= NF; i++) if ($i + 0 > m) m = $i + 0 } END { printf "%.17g\n", m }'; }
for cfg in "$@"; do
  set -- $cfg
  mesh=$1 model=$2
  r=${mesh%x*} c=${mesh#*x}
  np=$((r * c)) l=$r
  while [ $((l % r)) -ne 0 ] || [ $((l % c)) -ne 0 ]; do l=$((l + 1)); done
  b=$((2 * l)) s=32
  rm -f est.csv dry.h5
  "$bin" estimate --model "$model" --mesh "$mesh" --method "$method" --batch $b --seq $s --csv est.csv "${extra[@]}" >est.log 2>&1 ||
    { echo "FAIL: estimate $method $mesh $model"; tail -5 est.log; failed=$((failed + 1)); continue; }
  mpirun --oversubscribe -np $np "$bin" train --method "$method" --mesh "$mesh" --model "$model" \
    --batch $b --seq $s --steps 1 --dry-run --report dry.h5 "${extra[@]}" >dry.log 2>&1 ||
    { echo "FAIL: dry-run $method $mesh $model"; tail -15 dry.log; failed=$((failed + 1)); continue; }
  e_sent=$(col est.csv bytes_sent_per_chiplet) e_time=$(col est.csv step_time_s) e_nop=$(col est.csv nop_time_s)
  d_sent=$(h5max dry.h5 /metrics/chiplets/sent) d_time=$(h5max dry.h5 /metrics/chiplets/step_time)
  d_nop=$(h5max dry.h5 /metrics/chiplets/busy_nop)
  verdict=$(awk -v es="$e_sent" -v ds="$d_sent" -v et="$e_time" -v dt="$d_time" -v en="$e_nop" -v dn="$d_nop" 'BEGIN {
    rt = (et - dt) / dt; if (rt < 0) rt = -rt; rn = (en - dn) / dn; if (rn < 0) rn = -rn
    ok = (es == ds) && rt <= 0.01 && rn <= 0.01
    printf "%s bytes %s vs %s, time rel diff %.2e, NoP rel diff %.2e", ok ? "ok" : "FAIL", es, ds, rt, rn }')
  echo "$verdict: $method $mesh $model"
  case $verdict in ok*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
