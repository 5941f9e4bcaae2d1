#!/bin/sh
# The final action once restarts are used up. A real server would reboot (final-action: reboot); this stand-in
# records the decision so the example can run anywhere.
log=${HULFT_RUN_DIR:-/tmp/paceline-hulft}/final-action.log
mkdir -p "$(dirname "$log")"
echo "$(date '+%F %T') final action for $PACELINE_RESOURCE after $PACELINE_FAIL_COUNT failures" >> "$log"
