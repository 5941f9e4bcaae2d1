#!/bin/sh
# Runs before each recovery step (seed 004's preaction script, with PACELINE_* for CLP_*).
log=${HULFT_RUN_DIR:-/tmp/paceline-hulft}/preaction.log
mkdir -p "$(dirname "$log")"
{
  echo "$(date '+%F %T') MONITOR NAME : $PACELINE_MONITOR_NAME"
  echo "$(date '+%F %T') ACTION : $PACELINE_ACTION ($PACELINE_RESOURCE: $PACELINE_REASON)"
  case $PACELINE_ACTION in
    RECOVERY) echo "RECOVERY COUNT : $PACELINE_RECOVERY_COUNT" ;;
    RESTART) echo "RESTART COUNT : $PACELINE_RESTART_COUNT" ;;
    FAILOVER) echo "FAILOVER COUNT : $PACELINE_FAILOVER_COUNT" ;;
    FINALACTION) echo "FINAL ACTION" ;;
  esac
} >> "$log"
exit 0
