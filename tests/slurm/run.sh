#!/usr/bin/env bash
# tests/slurm/run.sh: the Slurm job scripts under a real scheduler.
#
# Installs slurm-wlm and munge if they are missing (apt-get; the only case in
# which the test skips is that they cannot be installed: it prints
# "SKIPPED: <why>" and exits 0), then starts a private one-node cluster on
# this machine: munged with a new key, slurmctld and slurmd with a slurm.conf
# generated in a temporary directory (state, spool and logs there too; free
# ports; no cgroups, no accounting; tasks may outnumber CPUs through sbatch
# --overcommit and OverSubscribe=FORCE). It submits every script under
# jobs/slurm/ and the paper jobs the README says run under Slurm, with small
# configurations passed through the environment, waits for them, checks each
# job's state (COMPLETED, ExitCode 0:0) and the lines its output must hold,
# and a negative case (a mesh that does not match the tasks must end FAILED
# with the project's message). The daemons it started are stopped on exit,
# whatever happens. Exit status 0 on success (or skip), 1 on failure.
#
#   bash tests/slurm/run.sh          (as root; uses build/hecaton, builds it if absent)
# Environment: HC_BUILD (build directory, default build/), SLURM_TEST_TIMEOUT
# (seconds to wait for all jobs, default 300), SLURM_TEST_KEEP=1 keeps the
# temporary directory.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HC_BUILD=${HC_BUILD:-$ROOT/build}
TIMEOUT=${SLURM_TEST_TIMEOUT:-300}
T0=$(date +%s)

say() { printf '[slurm-test] %s\n' "$*"; }
skip() { echo "SKIPPED: $*"; exit 0; }

# --- packages -----------------------------------------------------------------
export PATH=$PATH:/usr/sbin:/sbin   # the daemons live in sbin
have_slurm() {
  for c in slurmctld slurmd sbatch srun scontrol sinfo scancel munged munge unmunge; do
    command -v "$c" >/dev/null 2>&1 || return 1
  done
}
if ! have_slurm; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || skip "slurm-wlm and munge are not installed and installing them needs root (not root, no password-less sudo)"
    sudo="sudo -n"
  fi
  command -v apt-get >/dev/null 2>&1 || skip "slurm-wlm and munge are not installed and there is no apt-get"
  say "installing slurm-wlm and munge"
  log=$(mktemp)
  if ! { $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq &&
         DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
           --no-install-recommends slurm-wlm munge; } >"$log" 2>&1; then
    tail -n 5 "$log"
    rm -f "$log"
    skip "apt-get could not install slurm-wlm and munge (see above)"
  fi
  rm -f "$log"
  have_slurm || skip "slurm-wlm and munge installed but their commands are missing"
fi

# --- the binary -----------------------------------------------------------------
# Built (or brought up to date) here: the jobs use the build as it is.
# shellcheck source=../../jobs/lib.sh
(export HC_BUILD; . "$ROOT/jobs/lib.sh" && hc_deps && hc_build >/dev/null) || { echo "FAIL: build failed in $HC_BUILD"; exit 1; }
HECATON_BIN=$HC_BUILD/hecaton

# --- a private cluster --------------------------------------------------------------
T=$(mktemp -d /tmp/hecaton-slurm.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/state" "$T/spool" "$T/tmp" "$T/log" "$T/out" "$T/munge"
MUNGED_PID="" CTLD_PID="" SLURMD_PID="" JOBS=""
FAILED=0

stop_all() {
  local rc=$?
  [ "$FAILED" = 1 ] && rc=1
  trap - EXIT INT TERM
  if [ -n "$CTLD_PID" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
    for j in $JOBS; do scancel "$j" 2>/dev/null; done
  fi
  for p in $SLURMD_PID $CTLD_PID; do kill "$p" 2>/dev/null; done
  for _ in $(seq 50); do
    alive=""
    for p in $SLURMD_PID $CTLD_PID; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.2
  done
  for p in $SLURMD_PID $CTLD_PID; do kill -9 "$p" 2>/dev/null; done
  # Job steps left behind (slurmstepd and its tasks) carry this cluster's
  # SLURM_CONF, a path under $T that no other process has.
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}; p=${p%/environ}
    [ "$p" = $$ ] && continue
    { tr '\0' '\n' <"$e" | grep -qx "SLURM_CONF=$T/slurm.conf"; } 2>/dev/null && kill -9 "$p" 2>/dev/null
  done
  [ -n "$MUNGED_PID" ] && kill "$MUNGED_PID" 2>/dev/null
  wait 2>/dev/null
  if [ "$rc" -ne 0 ] || [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then
    say "kept $T (configuration, daemon logs, job outputs)"
  else
    rm -rf "$T"
  fi
  say "daemons stopped; $(($(date +%s) - T0)) s in all"
  exit "$rc"
}
trap stop_all EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAIL: $*"
  FAILED=1
  for f in "$T"/log/slurmctld.log "$T"/log/slurmd.log; do
    [ -f "$f" ] && { echo "--- last lines of $f"; tail -n 15 "$f"; }
  done
  exit 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p=$1
  while ! port_free "$p" || [ "$p" = "${2:-}" ]; do p=$((p + 1)); done
  echo "$p"
}

# munge: a new key for this cluster, a daemon on a private socket.
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$T/munge/munge.key"
munged --foreground --force --socket="$T/munge/sock" --key-file="$T/munge/munge.key" \
  --log-file="$T/log/munged.log" --pid-file="$T/munge/munged.pid" --seed-file="$T/munge/seed" \
  >/dev/null 2>&1 &
MUNGED_PID=$!
for _ in $(seq 50); do [ -S "$T/munge/sock" ] && break; sleep 0.1; done
munge -S "$T/munge/sock" -n 2>/dev/null | unmunge -S "$T/munge/sock" >/dev/null 2>&1 ||
  fail "munged does not answer on $T/munge/sock: $(tail -n 3 "$T/log/munged.log" 2>/dev/null)"

HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
CTLD_PORT=$(pick_port 16817)
SLURMD_PORT=$(pick_port $((CTLD_PORT + 1)) "$CTLD_PORT")
export SLURM_CONF=$T/slurm.conf
cat >"$SLURM_CONF" <<EOF
# generated by tests/slurm/run.sh: one node, this machine
ClusterName=hecatontest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/sock
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
TmpFS=$T/tmp
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
slurmctld -D -i >"$T/log/slurmctld.stderr" 2>&1 &
CTLD_PID=$!
slurmd -D >"$T/log/slurmd.stderr" 2>&1 &
SLURMD_PID=$!
state=""
for _ in $(seq 60); do
  state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null)
  [ "$state" = idle ] && break
  kill -0 "$CTLD_PID" 2>/dev/null || fail "slurmctld exited: $(tail -n 5 "$T/log/slurmctld.stderr")"
  kill -0 "$SLURMD_PID" 2>/dev/null || fail "slurmd exited: $(tail -n 5 "$T/log/slurmd.stderr")"
  sleep 1
done
[ "$state" = idle ] || fail "node $HOST is '${state:-unknown}', not idle, after 60 s: $(sinfo -R 2>&1)"
say "cluster up in $(($(date +%s) - T0)) s: node $HOST ($CPUS CPUs, ${MEM_MB} MB), slurmctld port $CTLD_PORT, slurmd port $SLURMD_PORT, config $SLURM_CONF"

# srun's PMI plugin: Debian's OpenMPI speaks PMIx. Where srun has none, the
# scripts run mpirun inside the allocation (HECATON_LAUNCH=mpirun).
export HECATON_LAUNCH=srun
if ! srun --mpi=list 2>&1 | grep -qw pmix; then
  say "srun has no pmix plugin ($(srun --mpi=list 2>&1 | tr '\n' ' ')): jobs use HECATON_LAUNCH=mpirun"
  HECATON_LAUNCH=mpirun
fi

# --- jobs -------------------------------------------------------------------------------
# The submitting shell's environment reaches the job (--export=ALL); as root
# OpenMPI needs consent, and more ranks than cores need these settings.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1 OPENBLAS_NUM_THREADS=1
export HECATON_BIN HC_BUILD OUTDIR=$T/out
cd "$ROOT"   # submit from the repository, as a user would

declare -A JOB_NAME JOB_EXPECT JOB_STATE
submit() { # submit NAME EXPECTED-STATE SBATCH-ARGS... SCRIPT: the job id
  local name=$1 expect=$2 id
  shift 2
  id=$(sbatch --parsable --overcommit --output="$T/out/$name-%j.out" "$@") || fail "sbatch $name: $*"
  id=${id%%;*}
  JOBS="$JOBS $id"
  JOB_NAME[$id]=$name
  JOB_EXPECT[$id]=$expect
  say "submitted $name: job $id ($*)"
}

submit bench COMPLETED --ntasks=4 --export=ALL,MESH=2x2,MAX_SIZE=64K jobs/slurm/bench-collectives.sbatch
submit bench-mpirun COMPLETED --ntasks=4 --export=ALL,MESH=2x2,MAX_SIZE=16K,HECATON_LAUNCH=mpirun \
  jobs/slurm/bench-collectives.sbatch
submit compare COMPLETED --ntasks=4 \
  --export=ALL,MESH=2x2,MODELS=llama2-70b,BATCH=2,SEQ=256 jobs/slurm/compare-paper.sbatch
train_env="ALL,MESH=2x2,STEPS=6,SAVE_EVERY=3,BATCH=4,SEQ=32,DATA=$T/licenses.h5,CKPT=$T/out/ckpt.h5"
submit train COMPLETED --ntasks=4 --export="$train_env,STOP_AFTER=3" jobs/slurm/train.sbatch
train1=${JOBS##* }
# Resubmitted after the first (time-limited) part: continues from the checkpoint.
submit train-resume COMPLETED --ntasks=4 --dependency=afterok:$train1 --export="$train_env" jobs/slurm/train.sbatch
# Negative: a 3x3 mesh on 4 tasks (after the first job has prepared the data).
submit train-bad-mesh FAILED --ntasks=4 --dependency=afterany:$train1 --export="${train_env/MESH=2x2/MESH=3x3}" \
  jobs/slurm/train.sbatch
# Negative: a step that srun fails to launch (here: srun's PMIx plugin finds
# its directory for the step taken) must fail the job, though srun exits 0.
submit bench-no-launch FAILED --ntasks=4 --hold --export=ALL,MESH=2x2,MAX_SIZE=4K jobs/slurm/bench-collectives.sbatch
held=${JOBS##* }
mkdir -p "$T/tmp/spmix_appdir_$(id -u)_$held.0"
scontrol release "$held" || fail "scontrol release $held"
# The paper's experiments (README: sbatch --ntasks=64 jobs/<job>.sh), small.
# They write under $HC_BUILD: a build directory of their own holding only a
# link to the binary keeps the real build's results as they are.
mkdir -p "$T/build"
ln -s "$HECATON_BIN" "$T/build/hecaton"
paper_env="ALL,HC_BUILD=$T/build"
submit weak-scaling COMPLETED --ntasks=16 --export="$paper_env,WEAK_SIDES=2 4 8,WEAK_DRY_SIDES=2 4" jobs/weak-scaling.sh
submit headline COMPLETED --ntasks=1 --export="$paper_env,HEADLINE_DRY_CHECK=0" jobs/headline.sh
submit dram-schedule COMPLETED --ntasks=1 --export="$paper_env" jobs/dram-schedule.sh

# Wait: scontrol's JobState (no accounting database here).
pending=$JOBS
deadline=$(($(date +%s) + TIMEOUT))
while [ -n "${pending// /}" ]; do
  still=""
  for id in $pending; do
    st=$(scontrol -o show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    case $st in
      PENDING | RUNNING | CONFIGURING | COMPLETING | SUSPENDED | REQUEUED | "") still="$still $id" ;;
      *) JOB_STATE[$id]=$st; say "job $id (${JOB_NAME[$id]}): $st after $(($(date +%s) - T0)) s" ;;
    esac
  done
  pending=$still
  [ -z "${pending// /}" ] && break
  if [ "$(date +%s)" -gt "$deadline" ]; then
    for id in $pending; do
      echo "--- job $id (${JOB_NAME[$id]}) still $(scontrol -o show job "$id" | grep -o 'JobState=[A-Z_]*'); its output:"
      cat "$T/out/${JOB_NAME[$id]}-$id.out" 2>/dev/null
    done
    fail "jobs not finished after $TIMEOUT s:$pending"
  fi
  sleep 2
done

# --- checks -----------------------------------------------------------------------------
errors=0
check_job() { # check_job NAME PATTERN...: state, exit code and the lines the output must hold
  local name=$1 id="" out why=""
  shift
  for i in $JOBS; do [ "${JOB_NAME[$i]}" = "$name" ] && id=$i; done
  out=$T/out/$name-$id.out
  local st=${JOB_STATE[$id]} ec
  ec=$(scontrol -o show job "$id" | grep -o ' ExitCode=[0-9:]*' | cut -d= -f2)
  if [ "$st" != "${JOB_EXPECT[$id]}" ]; then
    why="state $st, expected ${JOB_EXPECT[$id]}"
  elif [ "${JOB_EXPECT[$id]}" = COMPLETED ] && [ "$ec" != 0:0 ]; then
    why="ExitCode $ec, expected 0:0"
  elif [ "${JOB_EXPECT[$id]}" = FAILED ] && [ "$ec" = 0:0 ]; then
    why="ExitCode 0:0 for a job that should fail"
  else
    for pat in "$@"; do
      grep -qE -- "$pat" "$out" 2>/dev/null || { why="no line matching '$pat' in $out"; break; }
    done
  fi
  if [ -n "$why" ]; then
    echo "FAIL: job $id ($name): $why; its output:"
    sed 's/^/    | /' "$out" 2>/dev/null | tail -n 60
    errors=$((errors + 1))
  else
    say "ok: job $id ($name) $st, ExitCode $ec"
  fi
}
check_job bench "launcher $HECATON_LAUNCH" '^all-reduce +mesh +4 ' '^  link bytes: .* busiest' 'report written to .*/bench-2x2-[0-9]+\.h5'
check_job bench-mpirun 'launcher mpirun' '^all-reduce +mesh +4 ' 'report written to'
check_job compare '^# hecaton compare: model llama2-70b on a 2x2 mesh.*dry-run' '^hecaton ' '^megatron-sp ' '^summa ' \
  'CSV written to .*/compare-llama2-70b-2x2-standard-[0-9]+\.csv' 'CSV written to .*/compare-llama2-70b-2x2-advanced-[0-9]+\.csv'
check_job train 'prepared [0-9]+ tokens' '^# hecaton train: method hecaton on a 2x2 mesh' '^step +3/6 \| loss' \
  'checkpoint step 3 written to' '^done: loss'
check_job train-resume 'resumed from .*ckpt\.h5 at step 3' '^step +6/6 \| loss' '^step +6/6 \| validation loss' \
  'checkpoint step 6 written to'
check_job bench-no-launch 'hecaton job: srun started no task'
check_job train-bad-mesh 'hecaton: error: --mesh 3x3 needs 9 ranks'
check_job weak-scaling 'dry-run: hecaton on 4x4' 'bytes sent per chiplet' '^FLOP per NoP byte, hecaton: [0-9.]+ [0-9.]+ [0-9.]+$' \
  "plot written to $T/build/weak/weak-scaling\\.svg"
check_job headline '^speed-up and energy ratio' '^llama2-70b +standard' '^llama3.1-405b +advanced' 'plot written to .*headline-time\.svg'
check_job dram-schedule 'DRAM bytes/step' '^llama3.1-405b +micro' 'plot written to .*dram-schedule\.svg'

# The files the jobs say they wrote.
for f in "$T"/out/bench-2x2-*.h5 "$T"/out/ckpt.h5 "$T"/out/report-2x2-*.h5 "$T"/out/compare-llama2-70b-2x2-standard-*.csv; do
  [ -s "$f" ] || { echo "FAIL: missing output file $f"; errors=$((errors + 1)); }
done

if [ "$errors" -ne 0 ]; then
  FAILED=1
  fail "$errors check(s) failed"
fi
say "PASS: $(echo $JOBS | wc -w) Slurm jobs ($HECATON_LAUNCH launcher) in $(($(date +%s) - T0)) s"
