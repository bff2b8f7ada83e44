#!/usr/bin/env bash
# Which assumptions move the speed-up and energy ratio of Hecaton over
# Megatron TP: `hecaton sweep` of one key at a time around the standard
# package (energy per FLOP, per DRAM bit and per link bit, link and DRAM
# bandwidth, SRAM per die, I/O dies on two or four edges, batch), Llama2-70B and Llama3.1-405B on 8x8, 32 x 4096 tokens,
# the headline configuration (jobs/headline.sh). Prints each key's range of
# the two ratios (the README's table); writes build/sensitivity/<model>-<key>.csv
# and the sweep's charts (<model>-<key>.svg, -energy, -speedup, -energy-ratio).
# Under Slurm: sbatch --ntasks=1 jobs/sensitivity.sh (estimates only: one task).
set -euo pipefail
. "$([ -f "$(dirname "$0")/lib.sh" ] && dirname "$0" || echo "${HECATON_ROOT:-${SLURM_SUBMIT_DIR:-.}}/jobs")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
out=$HC_BUILD/sensitivity
mkdir -p "$out"
keys="die_pj_per_flop=1,0.5,0.25,0.1 dram_pj_per_bit=4,15,30 link_pj_per_bit=0.25,0.5,1,2
      link_bandwidth=64e9,128e9,256e9,512e9,1024e9 dram_bandwidth=51.2e9,102.4e9,204.8e9,819.2e9
      die_sram_bytes=67108864,268435456,1073741824 io_edges=west+east,all batch=8,16,32,64"
printf "%-14s %-18s %-34s %-12s %-12s\n" model key values speed-up energy
for model in llama2-70b llama3.1-405b; do
  for p in $keys; do
    k=${p%%=*}
    hc_mpirun 1 sweep --model $model --mesh 8x8 --batch 32 --seq 4096 --methods hecaton,megatron \
      --param "$p" --csv "$out/$model-$k.csv" --svg "$out/$model-$k.svg" >/dev/null
    # the ratios of Megatron's rows, first and last value of the key
    awk -F, -v model=$model -v key=$k -v vals="${p#*=}" '
      NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
      $c["method"] == "megatron" { t[n + 0] = $c["time_ratio"]; e[n + 0] = $c["energy_ratio"]; n++ }
      END { printf "%-14s %-18s %-34s %5.2f-%-6.2f %5.2f-%-6.2f\n", model, key, vals,
              t[0], t[n - 1], e[0], e[n - 1] }' "$out/$model-$k.csv"
  done
done
