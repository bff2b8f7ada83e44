#!/usr/bin/env bash
# The methods side by side at paper scale, by dry-run: Llama2-70B and
# Llama3.1-405B on an 8x8 mesh (64 ranks), standard and advanced package.
# CSV files land in build/compare-*.csv. Under Slurm: sbatch --ntasks=64
# jobs/slurm/compare-paper.sbatch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
for model in llama2-70b llama3.1-405b; do
  for hw in standard advanced; do
    hc_mpirun 64 compare --model $model --mesh 8x8 --batch 8 --seq 4096 --dry-run \
      --hw models/hw/$hw.ini --csv "$HC_BUILD/compare-$model-8x8-$hw.csv"
  done
done
# The picture: step time against the package's die-to-die link bandwidth,
# one line per model and method (build/compare-paper.svg).
{
  echo "model_method,link_gbps,step_time_s"
  for model in llama2-70b llama3.1-405b; do
    for hw in standard advanced; do
      gbps=$(awk '/^\[/ { s = $1 } s == "[link]" && $1 == "bandwidth" { print $3 / 1e9 }' models/hw/$hw.ini)
      awk -F, -v m=$model -v bw="$gbps" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["runs"] == 1 { print m "/" $c["method"] "," bw "," $c["step_time_s"] }' \
        "$HC_BUILD/compare-$model-8x8-$hw.csv"
    done
  done
} > "$HC_BUILD/compare-paper-plot.csv"
hc_mpirun 1 plot --csv "$HC_BUILD/compare-paper-plot.csv" --x link_gbps --y step_time_s \
  --series model_method --log-x --log-y --legend-title "model / method" \
  --x-label "die-to-die link bandwidth (GB/s): standard and advanced package" \
  --y-label "simulated step time (s)" --title "Methods compared on 8x8 (dry-run): step time" \
  --out "$HC_BUILD/compare-paper.svg"
