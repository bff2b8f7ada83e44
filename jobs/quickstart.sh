#!/usr/bin/env bash
# The default job: install what is missing, build, turn text every Debian
# machine has (/usr/share/common-licenses) into a byte-level token file, and
# train the tiny-64 model on it with the Hecaton method on a 2x2 chiplet
# mesh (4 ranks, oversubscribed on small machines): the first step checked
# against the single-process reference, the loss falling with validation,
# the step's ledger, simulated time and energy, then the same step under
# every method on the same mesh side by side. Writes a link heatmap (SVG),
# a Chrome trace (JSON) and the HDF5 report under build/quickstart/.
# Extra arguments go to `hecaton train`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hc_deps
hc_build
cd "$HC_ROOT"
if [ ! -f data/licenses.h5 ]; then
  hc_log "preparing the default corpus: /usr/share/common-licenses -> data/licenses.h5"
  hc_mpirun 1 prepare /usr/share/common-licenses/* -o data/licenses.h5
fi
out=$HC_BUILD/quickstart
mkdir -p "$out"
t0=$(date +%s)
hc_log "training tiny-64 with the Hecaton method on a 2x2 chiplet mesh (4 ranks, one chiplet each)"
hc_mpirun 4 train --method hecaton --mesh 2x2 --model tiny-64 --data data/licenses.h5 --steps 300 \
  --log-every 50 --val-every 100 --check --report "$out/report.h5" --heatmap "$out/heatmap.svg" \
  --trace "$out/trace.json" "$@"
hc_log "the same training step under every method, on the same 2x2 mesh and model"
hc_mpirun 4 compare --mesh 2x2 --model tiny-64 --batch 8 --seq 64 --csv "$out/compare.csv"
hc_log "done in $(( $(date +%s) - t0 )) s; what the run wrote:"
cat <<EOT
  link heatmap   $out/heatmap.svg   open it in a web browser
  Chrome trace   $out/trace.json    open https://ui.perfetto.dev and drop the file on it
                                    (or chrome://tracing): one row per chiplet and engine
  run report     $out/report.h5     build/hecaton report $out/report.h5 [--csv]
                                    (or h5ls -r; every figure printed above is in it)
  comparison     $out/compare.csv   the table above as CSV
EOT
