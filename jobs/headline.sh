#!/usr/bin/env bash
# The paper's headline comparison: Llama2-70B and Llama3.1-405B, Hecaton
# against Megatron tensor parallelism (with and without sequence
# parallelism), one training step of 32 sequences x 4096 tokens on an 8x8
# mesh, under the standard- and the advanced-package hardware files:
# speed-up (step time) and energy ratio. By the estimator; the Llama2-70B
# standard-package rows are confirmed by a 64-rank dry-run. Under each
# activation recomputation mode of HEADLINE_RECOMPUTE (default: none
# selective full; the picture and the dry-run check: selective, the default).
# Writes build/headline/headline.csv and build/headline/headline-*.svg.
# Under Slurm: sbatch --ntasks=64 jobs/headline.sh. HEADLINE_DRY_CHECK=0 skips
# the 64-rank dry-run check.
set -euo pipefail
# Under sbatch this script runs from a copy in Slurm's spool directory: then
# the repository is HECATON_ROOT or the directory the job was submitted from.
. "$([ -f "$(dirname "$0")/lib.sh" ] && dirname "$0" || echo "${HECATON_ROOT:-${SLURM_SUBMIT_DIR:-.}}/jobs")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
out=$HC_BUILD/headline
mkdir -p "$out"
csv=$out/headline.csv
rm -f "$csv"
for rc in ${HEADLINE_RECOMPUTE:-none selective full}; do
  for hw in standard advanced; do
    for model in llama2-70b llama3.1-405b; do
      hc_mpirun 1 estimate --model $model --mesh 8x8 --batch 32 --seq 4096 --hw models/hw/$hw.ini \
        --method hecaton,megatron,megatron-sp --recompute $rc --csv "$csv" | sed -n 1,5p
    done
  done
done
if [ "${HEADLINE_DRY_CHECK:-1}" = 1 ]; then
  hc_log "dry-run check: llama2-70b, 8x8, standard package"
  for method in hecaton megatron; do
    hc_mpirun 64 train --method $method --mesh 8x8 --model llama2-70b --batch 32 --seq 4096 \
      --steps 1 --dry-run | grep -E "simulated time per step|energy per step" | sed "s/^/  $method: /"
  done
fi
echo
echo "speed-up and energy ratio of Hecaton over Megatron TP (step time, energy of one step):"
printf "%-14s %-15s %-10s %10s %10s %10s %10s %10s\n" model hardware recompute "hecaton (s)" \
  "vs TP: time" energy "vs TP-SP: time" energy
# columns: 1 model, 2 method, 7 hardware, 11 runs, 15 step time, 24-26 energy, 30 recompute
awk -F, 'NR > 1 && $11 == 1 { k = $1 "," $7 "," $30 "," $2; t[k] = $15; e[k] = $24 + $25 + $26 }
  END {
    for (k in t) {
      split(k, p, ",")
      if (p[4] != "hecaton") continue
      base = p[1] "," p[2] "," p[3]
      printf "%-14s %-15s %-10s %10.2f %10.2f %10.2f %10.2f %10.2f\n", p[1], p[2], p[3], t[k],
        t[base ",megatron"] / t[k], e[base ",megatron"] / e[k],
        t[base ",megatron-sp"] / t[k], e[base ",megatron-sp"] / e[k]
    }
  }' "$csv" | sort
# The picture: step time against the link bandwidth of the two packages.
awk -F, 'NR == 1 { print "model_method,link_gbps,step_time_s,energy_j"; next } $11 == 1 && $30 == "selective" {
  bw = ($7 ~ /advanced/) ? 512 : 128; print $1 "/" $2 "," bw "," $15 "," $24 + $25 + $26 }' "$csv" > "$out/headline-plot.csv"
hc_mpirun 1 plot --csv "$out/headline-plot.csv" --x link_gbps --y step_time_s --series model_method \
  --log-x --log-y --x-label "die-to-die link bandwidth (GB/s): standard 128, advanced 512" \
  --y-label "simulated step time (s)" --legend-title "model / method" \
  --title "Llama2-70B and Llama3.1-405B on 8x8: step time" \
  --out "$out/headline-time.svg"
