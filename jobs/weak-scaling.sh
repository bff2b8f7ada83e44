#!/usr/bin/env bash
# Weak scaling: the model grows with the mesh (h/n fixed) and the
# FLOPs-per-NoP-byte ratio of the busiest chiplet is measured for Hecaton
# and the baselines (every mesh method of the registry, megatron-dp being the
# one Megatron that runs past n_heads chiplets), n x n meshes from 2x2 to
# 64x64 by the estimator and up to 16x16 (256 ranks) by dry-run.
# Model n: dim 512 n, n^2 heads of 512/n (MHA), FFN 1536 n, 8 layers, vocab
# 32000; 32 sequences of 1024 tokens per step on the standard package
# (past 32x32: n sequences of 32768/n tokens, the same tokens a step).
# Writes build/weak/weak-scaling.csv and build/weak/weak-scaling*.svg.
# Under Slurm: sbatch --ntasks=64 jobs/weak-scaling.sh (the dry-runs use 64).
# WEAK_SIDES (default "2 4 8 16 32 64") and WEAK_DRY_SIDES ("2 4 8 16")
# choose the meshes; WEAK_METHODS the methods (default all of the registry's).
set -euo pipefail
# Under sbatch this script runs from a copy in Slurm's spool directory: then
# the repository is HECATON_ROOT or the directory the job was submitted from.
. "$([ -f "$(dirname "$0")/lib.sh" ] && dirname "$0" || echo "${HECATON_ROOT:-${SLURM_SUBMIT_DIR:-.}}/jobs")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
out=$HC_BUILD/weak
mkdir -p "$out"
csv=$out/weak-scaling.csv
rm -f "$csv" "$out"/dry-*.csv
methods=${WEAK_METHODS:-hecaton,megatron,megatron-sp,megatron-dp,summa}
for n in ${WEAK_SIDES:-2 4 8 16 32 64}; do
  cat > "$out/weak-$n.ini" <<INI
; weak-scaling model for an ${n}x${n} mesh: h/n = 512 (jobs/weak-scaling.sh)
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
  # 32 x 1024 tokens a step; past 32 rows, n sequences of 32768/n tokens (the
  # 2D methods split the batch by whole sequences over the rows)
  b=$((n > 32 ? n : 32)) s=$((32768 / (n > 32 ? n : 32)))
  hc_log "estimate: ${n}x${n}, dim $((512 * n)), batch $b x $s"
  hc_mpirun 1 estimate --model "$out/weak-$n.ini" --mesh ${n}x${n} --batch $b --seq $s \
    --method "$methods" --csv "$csv"
done
# Dry-runs of the same step confirm the estimator where ranks fit this machine.
for n in ${WEAK_DRY_SIDES:-2 4 8 16}; do
  for method in hecaton megatron-dp; do
    hc_log "dry-run: $method on ${n}x${n}"
    hc_mpirun $((n * n)) train --method $method --mesh ${n}x${n} --model "$out/weak-$n.ini" \
      --batch 32 --seq 1024 --steps 1 --dry-run --report "$out/dry-$method-$n.h5" \
      | grep -E "bytes sent per chiplet|simulated time per step" | sed "s/^/  /"
  done
done
awk -F, 'NR > 1 && $11 == 1 { print $2, $3 "x" $4, $20 }' "$csv" | sort -k1,1 -k2,2V |
  awk '{ r[$1] = r[$1] " " $3 } END { for (m in r) print "FLOP per NoP byte, " m ":" r[m] }'
hc_mpirun 1 plot --csv "$csv" --x mesh_rows --y flops_per_nop_byte --series method --log-x --log-y \
  --x-label "mesh side n (n x n chiplets, model dim 512 n)" \
  --y-label "FLOPs per byte sent, busiest chiplet (FLOP/B)" --legend-title "method" \
  --title "Weak scaling: computation-to-communication ratio" --out "$out/weak-scaling.svg"
hc_mpirun 1 plot --csv "$csv" --x mesh_rows --y step_time_s --series method --log-x --log-y \
  --x-label "mesh side n (n x n chiplets, model dim 512 n)" --y-label "simulated step time (s)" \
  --legend-title "method" --title "Weak scaling: step time" --out "$out/weak-scaling-time.svg"
