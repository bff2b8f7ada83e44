# jobs/lib.sh: shared by the job scripts (sourced, not run).
# Installs missing Debian packages (the build's, and Debian's python3 with
# numpy and h5py that the tests' comparison scripts run on), builds, and launches MPI jobs with the
# settings this kind of machine needs.

HC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HC_BUILD=${HC_BUILD:-$HC_ROOT/build}
HC_PACKAGES="build-essential cmake pkg-config libopenmpi-dev openmpi-bin libopenblas-dev \
libhdf5-openmpi-dev hdf5-tools libcunit1-dev libinih-dev libcjson-dev python3-numpy python3-h5py \
python3-torch strace"

hc_log() { printf '[hecaton] %s\n' "$*"; }

# Install only what is missing (apt-get needs root; sudo is used if present).
hc_deps() {
  # In a Slurm job (a compute node), packages are the cluster's business.
  [ -n "${SLURM_JOB_ID:-}" ] && return 0
  local missing=""
  for p in $HC_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  hc_log "installing Debian packages:$missing"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
}

hc_build() {
  if [ -n "${SLURM_JOB_ID:-}" ] && [ -x "$HC_BUILD/hecaton" ]; then
    hc_log "Slurm job $SLURM_JOB_ID: using the build in $HC_BUILD as it is"
    return 0
  fi
  hc_log "building in $HC_BUILD"
  cmake -S "$HC_ROOT" -B "$HC_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$HC_BUILD" -j "$(nproc)"
}

# One BLAS thread per rank and yielding ranks, so oversubscribed meshes
# (more chiplets than cores) do not spin; root needs OpenMPI's consent.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# hc_mpirun NP ARGS...: the hecaton binary on NP ranks. In a Slurm job
# (sbatch --ntasks=64 jobs/<job>.sh) srun starts them, one task per
# chiplet, with srun's --mpi plugin HECATON_SRUN_MPI (default pmix, what
# Debian's OpenMPI needs); HECATON_LAUNCH=mpirun uses OpenMPI's mpirun in
# the allocation instead.
hc_mpirun() {
  local np=$1
  shift
  if [ -n "${SLURM_JOB_ID:-}" ] && [ "${HECATON_LAUNCH:-srun}" = srun ]; then
    # srun (22.05) exits 0 when a step fails to launch: rank 0 leaves a mark.
    local mark=$HC_BUILD/.hecaton-step-$SLURM_JOB_ID-$$-$RANDOM
    srun --mpi="${HECATON_SRUN_MPI:-pmix}" --ntasks="$np" /bin/sh -c \
      '[ "${SLURM_PROCID:-0}" != 0 ] || : >"$0"; exec "$@"' "$mark" "$HC_BUILD/hecaton" "$@" ||
      { local rc=$?; rm -f "$mark"; return $rc; }
    [ -e "$mark" ] || { hc_log "srun started no task (see srun's errors above)" >&2; return 1; }
    rm -f "$mark"
  else
    mpirun --oversubscribe -np "$np" "$HC_BUILD/hecaton" "$@"
  fi
}

# hc_sanitizer_env: export the run-time options of a -DHECATON_SANITIZE=ON
# build (tests/sanitizers/sanitizers.env, the ones ctest uses), for running
# its binaries by hand; mpirun passes them on to every local rank.
hc_sanitizer_env() {
  local line
  while IFS= read -r line; do
    case $line in [A-Z]*=*) export "${line//@DIR@/$HC_ROOT/tests/sanitizers}" ;; esac
  done <"$HC_ROOT/tests/sanitizers/sanitizers.env"
}

# hc_stage NAME CMD...: run CMD as a named stage, log its wall time and
# append "NAME<TAB>seconds<TAB>status" to HC_STAGES (printed by hc_stages).
# Call it as a plain command, not after || or inside if: there bash ignores
# set -e in everything CMD runs.
HC_STAGES=${HC_STAGES:-}
hc_stage() {
  local name=$1 t0 rc=0
  shift
  hc_log "== $name"
  t0=$(date +%s)
  # In the background so that set -e holds inside CMD when it is a function
  # (a function called as "f || ..." runs with set -e ignored).
  (set -e; "$@") &
  wait $! || rc=$?
  local dt=$(($(date +%s) - t0))
  HC_STAGES="$HC_STAGES$name	${dt}	$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")
"
  hc_log "== $name: $([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)") in ${dt} s"
  return $rc
}
hc_stages() {
  printf '%s' "$HC_STAGES" | awk -F'\t' '{printf "[hecaton]   %-60s %6d s  %s\n", $1, $2, $3}'
}
