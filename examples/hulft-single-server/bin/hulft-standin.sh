#!/bin/bash
# Stand-in for HULFT's hulcluster{rcv,snd,obs} -start/-stop/-status: runs a process named like the HULFT daemon.
# usage: hulft-standin.sh start|stop|status NAME
set -u
action=$1 name=$2
run=${HULFT_RUN_DIR:-/tmp/paceline-hulft}
mkdir -p "$run"
pidfile=$run/$name.pid
alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case $action in
  start)
    alive && exit 0
    # exec -a gives the process HULFT's daemon name, so the process monitor finds it as it would find hulrcvd.
    setsid bash -c "exec -a $name sleep 2147483647" </dev/null >/dev/null 2>&1 &
    echo $! > "$pidfile"
    echo "$name is started.(hulft)"
    ;;
  stop)
    alive && kill "$(cat "$pidfile")"
    rm -f "$pidfile"
    echo "$name is stopped.(hulft)"
    ;;
  status)
    alive
    ;;
  *) echo "usage: $0 start|stop|status NAME" >&2; exit 2 ;;
esac
