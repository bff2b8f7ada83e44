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
