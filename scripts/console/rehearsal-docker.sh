#!/bin/sh
# ============================================================================================
#  REHEARSAL STAND-IN for `docker` (and `service`) — NOT Docker. Runs no container, touches
#  nothing. Installed by the local console (`npm start` without Slack credentials) into the
#  harness sshd's bin/ folder, which is first on that sshd's PATH: the sshd plays the OpenCRVS
#  manager node, so a restore rehearsal can run its redeploy and migration watch end to end.
#  Every command received is appended to $STATE_DIR/commands.log.
#    docker stack rm S       the stack's services disappear over the next `docker service ls`
#    docker stack deploy …   records the deploy time in $STATE_DIR/deployed
#    docker service ps …     the migration service: "Running" after a deploy, then "Complete"
#                            once the console's migration player wrote $STATE_DIR/complete
#                            (or, without the console, COMPLETE_AFTER seconds after the deploy)
# ============================================================================================
STATE_DIR=__STATE_DIR__
COMPLETE_AFTER=60
name=$(basename "$0")
mkdir -p "$STATE_DIR"
printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$*" >>"$STATE_DIR/commands.log"

if [ "$name" = service ]; then
  echo "[rehearsal] '$name $*': nothing was restarted (stand-in)."
  exit 0
fi

case "$1 $2" in
"stack rm" | "stack down")
  echo "[rehearsal] Removing service $3_gateway (stand-in: nothing runs)"
  echo "[rehearsal] Removing service $3_migration (stand-in: nothing runs)"
  echo 1 >"$STATE_DIR/stack-remaining"
  rm -f "$STATE_DIR/deployed" "$STATE_DIR/complete"
  ;;
"stack deploy")
  for last in "$@"; do :; done
  date +%s >"$STATE_DIR/deployed"
  rm -f "$STATE_DIR/complete"
  echo "[rehearsal] FACTORY_RESET=${FACTORY_RESET:-unset}"
  echo "[rehearsal] Creating service ${last}_gateway (stand-in: nothing runs)"
  echo "[rehearsal] Creating service ${last}_migration (stand-in: nothing runs)"
  ;;
"service ls")
  left=$(cat "$STATE_DIR/stack-remaining" 2>/dev/null || echo 0)
  if [ "$left" -gt 0 ]; then
    echo "rehearsal0svc$left"
    echo $((left - 1)) >"$STATE_DIR/stack-remaining"
  fi
  ;;
"service ps")
  for last in "$@"; do :; done
  if [ ! -f "$STATE_DIR/deployed" ]; then
    echo "Error: No such service: $last" >&2
    exit 1
  fi
  age=$(($(date +%s) - $(cat "$STATE_DIR/deployed")))
  if [ -f "$STATE_DIR/complete" ] || [ "$age" -ge "$COMPLETE_AFTER" ]; then
    echo "Complete ${age} seconds ago (rehearsal stand-in)|"
  else
    echo "Running ${age} seconds ago (rehearsal stand-in)|"
  fi
  ;;
"info --format")
  case "$3" in
  *Swarm*) echo "active|true" ;;
  *) echo "rehearsal-stand-in" ;;
  esac
  ;;
"node inspect")
  echo "ready"
  ;;
"ps -q" | "network ls")
  # Nothing runs: no container, no network.
  ;;
*)
  echo "[rehearsal] the docker stand-in does not rehearse: docker $*" >&2
  exit 64
  ;;
esac
