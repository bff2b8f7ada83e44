#!/usr/bin/env bash
# The speed benchmarks, each measured side by side in one run:
#  1. hecaton against PyTorch: `hecaton bench-train` (the single-process
#     reference) and jobs/bench-torch.py (the same Llama, batch, step and
#     optimizer in PyTorch 1.13, Debian's python3-torch) back to back,
#     alternating which goes first, three runs each, at 1 and 2 threads,
#     for each model of BENCH_MODELS. Prints hecaton's step time over
#     PyTorch's (min/median/max over the three pairs; below 1: hecaton is
#     faster) and both GFLOP/s, computed with one FLOP count
#     (hc_model_step_flops, which bench-train prints) from each run's best
#     step time.
#  2. bench-step: a Hecaton step on a 2x2 mesh (4 ranks, one BLAS thread
#     each, oversubscribed on this kind of 2-core machine) against the
#     single-process reference with two threads on the same batch, and the
#     peak memory of each rank (aim: <= 1.3).
# Ranks are not bound to cores, so two threads get two cores.
#
#   bash jobs/bench.sh                  # everything
#   BENCH_MODELS="tiny-64:8:64:30" BENCH_RUNS=3 bash jobs/bench.sh --no-mesh
# BENCH_MODELS: name:batch:seq:steps ...; steps are timed after one warm-up.
# BENCH_BUILD=0 uses the build in HC_BUILD (default build/) as it is.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
HC_PACKAGES="$HC_PACKAGES python3-torch"
hc_deps
[ "${BENCH_BUILD:-1}" = 0 ] || hc_build # BENCH_BUILD=0: HC_BUILD as it is
cd "$HC_ROOT"
PY=/usr/bin/python3 # Debian's, where python3-torch lives
MODELS=${BENCH_MODELS:-"small:4:256:5 tiny-128:8:128:20 tiny-64:8:64:30"}
RUNS=${BENCH_RUNS:-3}
THREADS=${BENCH_THREADS:-"1 2"}
MESH=1
[ "${1:-}" = --no-mesh ] && MESH=0

# The value after KEY on a result line.
field() { awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}' <<<"$1"; }
# min median max of the numbers on stdin.
mmm() { sort -g | awk '{v[NR] = $1} END {printf "%.3f %.3f %.3f", v[1], v[int((NR + 1) / 2)], v[NR]}'; }

# Idle OpenMP threads sleep rather than spin (both programs): on a machine
# shared with other jobs a spinning thread takes a core another process
# wants, and a fork then waits for it (small at 2 threads under load ~10:
# 3.5-4.0 s a step spinning, 2.1-2.6 s passive).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

run_hecaton() { # model batch seq steps threads
  OPENBLAS_NUM_THREADS=$5 OMP_NUM_THREADS=$5 mpirun --bind-to none -np 1 \
    "$HC_BUILD/hecaton" bench-train --model "models/$1.ini" --batch "$2" --seq "$3" \
    --steps "$4" --threads "$5" | grep '^bench-train:'
}
run_torch() {
  OPENBLAS_NUM_THREADS=$5 OMP_NUM_THREADS=$5 "$PY" jobs/bench-torch.py \
    --model "models/$1.ini" --batch "$2" --seq "$3" --steps "$4" --threads "$5" | grep '^torch:'
}

table=""
for spec in $MODELS; do
  IFS=: read -r model b s steps <<<"$spec"
  for t in $THREADS; do
    hec="" tor="" ratio="" flops="" peak=0
    for r in $(seq 1 "$RUNS"); do
      if [ $((r % 2)) -eq 1 ]; then
        h=$(run_hecaton "$model" "$b" "$s" "$steps" "$t"); p=$(run_torch "$model" "$b" "$s" "$steps" "$t")
      else
        p=$(run_torch "$model" "$b" "$s" "$steps" "$t"); h=$(run_hecaton "$model" "$b" "$s" "$steps" "$t")
      fi
      hb=$(field "$h" best_ms) pb=$(field "$p" best_ms) flops=$(field "$h" flops)
      peak=$(awk -v a="$peak" -v b="$(field "$h" peak_gflops)" 'BEGIN {print (b > a ? b : a)}')
      hc_log "$model, $t thread(s), run $r: hecaton $hb ms, pytorch $pb ms (best of $steps steps each)"
      hec="$hec$hb"$'\n' tor="$tor$pb"$'\n'
      ratio="$ratio$(awk -v a="$hb" -v b="$pb" 'BEGIN {printf "%.4f", a / b}')"$'\n'
    done
    read -r hmin hmed hmax <<<"$(printf '%s' "$hec" | mmm)"
    read -r pmin pmed pmax <<<"$(printf '%s' "$tor" | mmm)"
    read -r rmin rmed rmax <<<"$(printf '%s' "$ratio" | mmm)"
    table="$table$(awk -v m="$model" -v b="$b" -v s="$s" -v t="$t" -v f="$flops" \
      -v h1="$hmin" -v h2="$hmed" -v h3="$hmax" -v p1="$pmin" -v p2="$pmed" -v p3="$pmax" \
      -v r1="$rmin" -v r2="$rmed" -v r3="$rmax" -v pk="$peak" 'BEGIN {
        printf "%-9s %3dx%-4d %2d  %8.1f %8.1f %8.1f  %8.1f %8.1f %8.1f   %5.2f %5.2f %5.2f   %6.1f %6.1f   %6.1f  %4.2f %4.2f %4.2f\n",
          m, b, s, t, h1, h2, h3, p1, p2, p3, r1, r2, r3, f / h2 / 1e6, f / p2 / 1e6, pk,
          f / h2 / 1e6 / pk, f / p2 / 1e6 / pk, 1.2 * f / p2 / 1e6 / pk }')"$'\n'
  done
done
echo
echo "# hecaton bench-train vs PyTorch $("$PY" -c 'import torch; print(torch.__version__)') (jobs/bench-torch.py):" \
  "best step time of each run (ms), $RUNS alternating runs each; ratio = hecaton / pytorch" \
  "per pair (below 1: hecaton faster); GFLOP/s at the median, one FLOP count (hc_model_step_flops);" \
  "peak: cblas_sgemm 2048^3 GFLOP/s on the same threads (bench-train, best of the runs); of peak:" \
  "each step's GFLOP/s over it, and what a step 1.2x faster than PyTorch's median would need"
printf '%-9s %8s %2s  %26s  %26s   %17s   %13s   %6s  %14s\n' model batch th "hecaton ms min/med/max" \
  "pytorch ms min/med/max" "ratio min/med/max" "GFLOP/s hc/pt" peak "of peak hc/pt/1.2x"
printf '%s' "$table"

if [ "$MESH" = 1 ]; then
  echo
  rm -f "$HC_BUILD"/bench-step.[0-9]*.txt
  for r in $(seq 1 "$RUNS"); do
    OPENBLAS_NUM_THREADS=1 mpirun --bind-to none --oversubscribe -x OPENBLAS_NUM_THREADS=1 \
      -np 4 "$HC_BUILD/hecaton" bench-step --mesh 2x2 --ref-threads 2 | tee "$HC_BUILD/bench-step.$r.txt"
  done
  echo "# bench-step 2x2 (4 ranks, 1 thread each) / single process (2 threads), $RUNS runs:" \
    "ratio min/median/max $(cat "$HC_BUILD"/bench-step.[0-9]*.txt | awk '/^bench-step:/ {
      for (i = 1; i < NF; i++) if ($i == "ratio") print $(i + 1) }' | mmm)"
fi
