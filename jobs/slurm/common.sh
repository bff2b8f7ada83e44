# jobs/slurm/common.sh: sourced by the Slurm job scripts in this directory
# (after they have found the repository, see their first lines). Every
# setting is an environment variable with a default; sbatch passes the
# submitting shell's environment to the job (--export=ALL is its default).
#
#   HECATON_ROOT      the repository (models/, data/ are looked up there);
#                     default: the submit directory or the first parent of it
#                     that holds jobs/slurm/common.sh
#   HECATON_BIN       the binary (default $HECATON_ROOT/build/hecaton)
#   HECATON_LAUNCH    srun (default) or mpirun: how the ranks are started
#   HECATON_SRUN_MPI  srun's --mpi plugin (default pmix; Debian's OpenMPI
#                     needs pmix; see `srun --mpi=list`)
#   OUTDIR            where reports, CSV files and checkpoints go (default:
#                     the submit directory)

HECATON_BIN=${HECATON_BIN:-$HECATON_ROOT/build/hecaton}
HECATON_LAUNCH=${HECATON_LAUNCH:-srun}
HECATON_SRUN_MPI=${HECATON_SRUN_MPI:-pmix}
OUTDIR=${OUTDIR:-${SLURM_SUBMIT_DIR:-$PWD}}
JOBTAG=${SLURM_JOB_ID:-local}

# One BLAS thread per rank; ranks yield when idle, so that a node with fewer
# cores than tasks (sbatch --overcommit) does not spin.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}

hc_slurm_die() { echo "hecaton job: $*" >&2; exit 1; }

[ -x "$HECATON_BIN" ] || hc_slurm_die "no binary at $HECATON_BIN: build first (cmake -B build && cmake --build build) or set HECATON_BIN"
mkdir -p "$OUTDIR"
# Model and hardware names (models/NAME.ini, models/hw/...) are relative to the repository.
cd "$HECATON_ROOT"

# hc_ranks [-n N] ARGS...: the binary on every task of the job (one rank per
# chiplet), or on N tasks of it.
hc_ranks() {
  local n=${SLURM_NTASKS:-1}
  if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
  case $HECATON_LAUNCH in
    srun)
      # srun (22.05) exits 0 when a step fails to launch (a PMI plugin error,
      # for one): rank 0 leaves a mark when it starts, and no mark is a failure.
      local mark=$OUTDIR/.hecaton-step-$JOBTAG-$$-$RANDOM
      srun --mpi="$HECATON_SRUN_MPI" --ntasks="$n" /bin/sh -c \
        '[ "${SLURM_PROCID:-0}" != 0 ] || : >"$0"; exec "$@"' "$mark" "$HECATON_BIN" "$@" ||
        { local rc=$?; rm -f "$mark"; return $rc; }
      [ -e "$mark" ] || hc_slurm_die "srun started no task (see srun's errors above)"
      rm -f "$mark"
      ;;
    # OpenMPI's mpirun reads the Slurm allocation itself (and starts its
    # daemons with srun): the fallback where srun has no working PMI plugin.
    mpirun) mpirun -np "$n" "$HECATON_BIN" "$@" ;;
    *) hc_slurm_die "HECATON_LAUNCH=$HECATON_LAUNCH: use srun or mpirun" ;;
  esac
}

hc_job_banner() {
  echo "# hecaton job ${SLURM_JOB_NAME:-$1} (${JOBTAG}): ${SLURM_NTASKS:-1} task(s) on ${SLURM_JOB_NODELIST:-$(hostname -s)}," \
    "launcher $HECATON_LAUNCH$([ "$HECATON_LAUNCH" = srun ] && echo " --mpi=$HECATON_SRUN_MPI"), binary $HECATON_BIN, output in $OUTDIR"
}
