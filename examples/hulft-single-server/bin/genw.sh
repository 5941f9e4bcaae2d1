#!/bin/sh
# Custom monitor (seed 004's genw.sh): exit 0 only when every HULFT daemon answers its status check.
here=$(dirname "$0")
for d in hulsndd hulrcvd hulobsd; do
  if ! "$here/hulft-standin.sh" status "$d"; then
    echo "$d is failed.(hulft)" >&2
    exit 1
  fi
done
exit 0
