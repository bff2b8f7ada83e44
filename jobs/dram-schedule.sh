#!/usr/bin/env bash
# The DRAM schedule comparison: Hecaton on an 8x8 mesh (standard package),
# Llama2-70B and Llama3.1-405B, 32 sequences x 4096 tokens, as micro-batch-
# major (weights reloaded for each micro-batch) against layer-major (each
# layer's weights loaded once per step, all micro-batches run through it),
# for 1 to 32 micro-batches: DRAM bytes and the step's simulated time.
# Writes build/dram/dram-schedule.csv and build/dram/dram-schedule.svg.
# Under Slurm: sbatch --ntasks=1 jobs/dram-schedule.sh (estimates only: one task).
set -euo pipefail
# Under sbatch this script runs from a copy in Slurm's spool directory: then
# the repository is HECATON_ROOT or the directory the job was submitted from.
. "$([ -f "$(dirname "$0")/lib.sh" ] && dirname "$0" || echo "${HECATON_ROOT:-${SLURM_SUBMIT_DIR:-.}}/jobs")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
out=$HC_BUILD/dram
mkdir -p "$out"
csv=$out/dram-schedule.csv
rm -f "$csv"
for model in llama2-70b llama3.1-405b; do
  for sched in micro layer; do
    for m in 1 2 4 8 16 32; do
      hc_mpirun 1 estimate --model $model --mesh 8x8 --batch 32 --seq 4096 --method hecaton \
        --schedule $sched --micro-batches $m --csv "$csv" >/dev/null
    done
  done
done
printf "%-14s %-18s %4s %16s %14s %14s\n" model schedule M "DRAM bytes/step" "DRAM busy (s)" "step time (s)"
awk -F, 'NR > 1 { printf "%-14s %-18s %4s %16.4g %14.4f %14.4f\n", $1, $8, $9, $23, $17, $15 }' "$csv"
awk -F, 'NR == 1 { print "series,micro_batches,dram_bytes,step_time_s"; next } { print $1 " " $8 "," $9 "," $23 "," $15 }' \
  "$csv" > "$out/dram-plot.csv"
hc_mpirun 1 plot --csv "$out/dram-plot.csv" --x micro_batches --y dram_bytes --series series --log-x --log-y \
  --x-label "micro-batches per step M" --y-label "DRAM traffic per step, whole mesh (B)" \
  --legend-title "model, schedule" \
  --title "DRAM traffic: micro-batch-major vs layer-major (Hecaton, 8x8)" --out "$out/dram-schedule.svg"
