#!/bin/sh
# A recording fake of the `docker` CLI (and of `service`, when installed under that name) for the
# manager node played by the harness sshd. The test installs it first on sshd's PATH with
# FAKE_DIR set on the line below, and scripts it through files in FAKE_DIR:
#   commands.log     every command line received is appended here ("docker stack down opencrvs")
#   migration.frames outputs of `docker service ps` (frames separated by a line "---"); each call
#                    prints the next frame, the last one repeats
#   info.fail        while this file holds a number N > 0, `docker info` fails and N decreases
# `docker stack down` leaves 2 services that disappear over the next `docker service ls` calls.
FAKE_DIR=__FAKE_DIR__
name=$(basename "$0")
printf '%s %s\n' "$name" "$*" >>"$FAKE_DIR/commands.log"

if [ "$name" = service ]; then
  echo "Restarting Docker: docker."
  exit 0
fi

case "$1 $2" in
"stack down")
  echo "Removing service $3_gateway"
  echo "Removing service $3_migration"
  echo 2 >"$FAKE_DIR/stack-remaining"
  ;;
"stack deploy")
  printf 'FACTORY_RESET=%s\n' "${FACTORY_RESET:-unset}" >>"$FAKE_DIR/commands.log"
  echo "Creating service opencrvs_gateway"
  echo "Creating service opencrvs_migration"
  ;;
"service ls")
  left=$(cat "$FAKE_DIR/stack-remaining" 2>/dev/null || echo 0)
  if [ "$left" -gt 0 ]; then
    i=0
    while [ "$i" -lt "$left" ]; do echo "svc${i}fake0000"; i=$((i + 1)); done
    echo $((left - 1)) >"$FAKE_DIR/stack-remaining"
  fi
  ;;
"service ps")
  n=$(($(cat "$FAKE_DIR/ps-count" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$FAKE_DIR/ps-count"
  for last in "$@"; do :; done
  if [ ! -f "$FAKE_DIR/migration.frames" ]; then
    echo "Error: No such service: $last" >&2
    exit 1
  fi
  awk -v want="$n" '
    /^---$/ { frame++; next }
    { lines[frame] = lines[frame] $0 "\n"; if (frame > max) max = frame }
    END { f = want - 1; if (f > max) f = max; printf "%s", lines[f] }
  ' "$FAKE_DIR/migration.frames"
  ;;
"info --format")
  fails=$(cat "$FAKE_DIR/info.fail" 2>/dev/null || echo 0)
  if [ "$fails" -gt 0 ]; then
    echo $((fails - 1)) >"$FAKE_DIR/info.fail"
    echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
    exit 1
  fi
  echo "24.0.7"
  ;;
*)
  echo "fake docker: unexpected command: $*" >&2
  exit 64
  ;;
esac
