#!/bin/sh
# Paceline's stand-in for cluster-glue's ha_log.sh, found first in the PATH of the cluster-glue stonith plugins
# Paceline runs: a plugin's log line goes to its stderr (read by Paceline as the reason of a failure, and logged),
# not to a logging daemon or syslog that may not be there. Usage as the original: ha_log.sh LEVEL MESSAGE...
level=$1
[ $# -gt 0 ] && shift
case "$level" in
  debug) [ "${HA_debug:-0}" = 0 ] && exit 0 ;;
  crit|err|error|warn|warning|notice|info) ;;
  *) echo "${HA_LOGTAG:-ha_log.sh}: ERROR: ha_log.sh: unrecognized loglevel: $level" >&2; exit 1 ;;
esac
echo "${HA_LOGTAG:+$HA_LOGTAG: }$level: $*" >&2
exit 0
