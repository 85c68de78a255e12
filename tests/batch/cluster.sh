#!/bin/sh
# A one-node Slurm cluster on loopback for the tests, in a folder of its own: munged with a
# generated key, slurmctld and slurmd with a generated slurm.conf (free ports, state and logs in
# the folder). Needs root (slurmd starts tasks as the submitting user) and Debian's slurmctld,
# slurmd, slurm-client and munge.
#   cluster.sh check        exit 0 if a cluster can be started here, else print why and exit 77
#   cluster.sh start DIR    start it; prints the SLURM_CONF to export
#   cluster.sh stop DIR     cancel every job, stop the daemons (by their pid files), wait for them
set -u
cmd=$1
dir=${2:-}

check() {
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the Slurm tests start slurmd, which needs root"
    return 77
  fi
  for p in munged slurmctld slurmd sbatch squeue scontrol scancel; do
    if ! command -v "$p" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$p" ]; then
      echo "SKIP: $p is not installed (Debian: slurmctld slurmd slurm-client munge; scripts/install-deps.sh installs them)"
      return 77
    fi
  done
  return 0
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_pid() { # pidfile: TERM, then KILL after 10 s
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -9 "$pid" 2>/dev/null
  return 0
}

case $cmd in
check)
  check
  exit $?
  ;;
start)
  check || exit $?
  PATH=$PATH:/usr/sbin
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  dir=$(cd "$dir" && pwd)
  head -c 1024 /dev/urandom >"$dir/munge.key"
  chmod 600 "$dir/munge.key"
  munged --key-file="$dir/munge.key" --socket="$dir/munge.sock" --pid-file="$dir/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed" --force || {
    echo "munged did not start:"; cat "$dir/log/munged.log"; exit 1; }
  cat >"$dir/slurm.conf" <<EOF
ClusterName=pmtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
MinJobAge=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF" || { echo "slurmctld did not start:"; tail -5 "$dir/log/slurmctld.log"; exit 1; }
  slurmd -f "$SLURM_CONF" -N localhost || { echo "slurmd did not start:"; tail -5 "$dir/log/slurmd.log"; exit 1; }
  i=0
  until sinfo -h -o %T 2>/dev/null | grep -q idle; do
    i=$((i + 1))
    if [ $i -gt 60 ]; then
      echo "the node did not come up in 60 s:"; tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log"; exit 1
    fi
    sleep 1
  done
  echo "$SLURM_CONF"
  ;;
stop)
  [ -n "$dir" ] && [ -f "$dir/slurm.conf" ] || exit 0
  PATH=$PATH:/usr/sbin
  export SLURM_CONF="$dir/slurm.conf"
  scancel --full --signal=KILL --partition=test 2>/dev/null
  scancel --partition=test 2>/dev/null
  # let slurmd reap what it started, then stop the daemons themselves
  i=0
  while [ -n "$(squeue -h 2>/dev/null)" ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munged.pid"
  ;;
*)
  echo "usage: cluster.sh check | start DIR | stop DIR" >&2
  exit 2
  ;;
esac
