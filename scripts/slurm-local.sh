#!/usr/bin/env bash
# A one-node SLURM on this machine, for `slift submit` with cluster/local.yaml and the SLURM test.
#   scripts/slurm-local.sh start    # munged (as user munge), slurmctld, slurmd; waits for the node
#   scripts/slurm-local.sh stop     # stops exactly the daemons `start` recorded, by pid
#   scripts/slurm-local.sh env      # prints `export SLURM_CONF=...` for sbatch/squeue in this shell
# Everything lives under $SLIFT_SLURM_DIR (default /tmp/slift-slurm): munge key and socket,
# slurm.conf, state, logs, and `pids` (what stop stops). Both commands are idempotent.
# Ports: $SLIFT_SLURMCTLD_PORT (6817) and $SLIFT_SLURMD_PORT (6818), so a test can run its own
# cluster beside one a user started. Needs root and Debian's slurm-wlm and munge.
set -euo pipefail

dir=${SLIFT_SLURM_DIR:-/tmp/slift-slurm}
ctld_port=${SLIFT_SLURMCTLD_PORT:-6817}
slurmd_port=${SLIFT_SLURMD_PORT:-6818}
conf=$dir/slurm.conf
pids=$dir/pids

die() { echo "slurm-local: $*" >&2; exit 1; }

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# True when every daemon recorded in $pids is still running.
running() {
  [[ -s $pids ]] || return 1
  local name pid
  while read -r name pid; do alive "$pid" || return 1; done <"$pids"
}

stop() {
  [[ -s $pids ]] || { echo "slurm-local: nothing recorded in $pids: not running"; return 0; }
  local name pid
  # slurmd and slurmctld first (they use munge), munged last: the reverse of the start order.
  tac "$pids" | while read -r name pid; do
    if alive "$pid"; then
      kill "$pid"
      for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
      alive "$pid" && kill -9 "$pid"
      echo "slurm-local: stopped $name (pid $pid)"
    fi
  done
  rm -f "$pids"
}

check_packages() {
  local missing=()
  for exe in munged slurmctld slurmd sbatch squeue sinfo; do
    command -v "$exe" >/dev/null 2>&1 || [[ -x /usr/sbin/$exe ]] || missing+=("$exe")
  done
  [[ ${#missing[@]} -eq 0 ]] || die "missing ${missing[*]}: install Debian's slurm-wlm and munge (scripts/install-deps.sh)"
  id munge >/dev/null 2>&1 || die "no user 'munge' (the munge package creates it): reinstall munge"
  [[ $(id -u) -eq 0 ]] || die "must run as root (slurmd starts jobs as their users)"
}

# Waits up to $2 seconds for a daemon's pid file $1; prints the pid.
wait_pid_file() {
  for _ in $(seq $(($2 * 10))); do
    if [[ -s $1 ]] && alive "$(cat "$1")"; then cat "$1"; return 0; fi
    sleep 0.1
  done
  return 1
}

start() {
  check_packages
  if running; then echo "slurm-local: already running ($dir)"; return 0; fi
  [[ -s $pids ]] && stop   # a partial start: clear it before starting again
  mkdir -p "$dir"/{munge,state,spool,log}
  chmod 755 "$dir"
  runuser -u munge -- test -x "$dir" ||
    die "user munge cannot reach $dir: make the directories above it searchable (chmod o+x) or set SLIFT_SLURM_DIR"
  chown munge:munge "$dir/munge"
  chmod 711 "$dir/munge"   # munged wants its socket directory searchable by all
  if [[ ! -s $dir/munge/munge.key ]]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chown munge:munge "$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
  fi
  local host node
  host=$(hostname -s)
  # slurmd -C reports this node exactly as slurmd will see it (CPUs, sockets, cores, memory).
  node=$(slurmd -C | head -1 | sed 's/ UpTime=.*//')
  [[ $node == NodeName=* ]] || die "slurmd -C did not describe this node: $node"
  cat >"$conf" <<CONF
# Written by scripts/slurm-local.sh: a one-node cluster for slift's local profile.
ClusterName=slift-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Finished jobs: one line each in this file, and visible to squeue -t all for an hour.
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobs.txt
MinJobAge=3600
ReturnToService=2
MpiDefault=none
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

  runuser -u munge -- /usr/sbin/munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    </dev/null >"$dir/log/munged.out" 2>&1 || die "munged did not start: $(cat "$dir/log/munged.out" "$dir/munge/munged.log" 2>/dev/null | tail -5)"
  local pid
  pid=$(wait_pid_file "$dir/munge/munged.pid" 10) || die "munged did not start: $(tail -5 "$dir/munge/munged.log")"
  echo "munged $pid" >"$pids"

  SLURM_CONF=$conf /usr/sbin/slurmctld -f "$conf" </dev/null >"$dir/log/slurmctld.out" 2>&1 || true
  pid=$(wait_pid_file "$dir/slurmctld.pid" 20) || { stop; die "slurmctld did not start: $(tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmctld.out" 2>/dev/null)"; }
  echo "slurmctld $pid" >>"$pids"

  SLURM_CONF=$conf /usr/sbin/slurmd -f "$conf" </dev/null >"$dir/log/slurmd.out" 2>&1 || true
  pid=$(wait_pid_file "$dir/slurmd.pid" 20) || { stop; die "slurmd did not start: $(tail -5 "$dir/log/slurmd.log" "$dir/log/slurmd.out" 2>/dev/null)"; }
  echo "slurmd $pid" >>"$pids"

  # The node takes a moment to register; jobs submitted before that would only wait, but a
  # broken setup should fail here, with the logs, not as a job that never starts.
  local state=""
  for _ in $(seq 100); do
    state=$(SLURM_CONF=$conf sinfo --noheader --format=%T 2>/dev/null | head -1)
    [[ $state == idle* || $state == mixed* || $state == allocated* ]] && break
    sleep 0.2
  done
  if [[ $state != idle* && $state != mixed* && $state != allocated* ]]; then
    stop
    die "the node did not come up (state '${state:-none}'): $(tail -5 "$dir/log/slurmd.log" "$dir/log/slurmctld.log" 2>/dev/null)"
  fi
  echo "slurm-local: running in $dir (node $host $state); use it with: export SLURM_CONF=$conf"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
