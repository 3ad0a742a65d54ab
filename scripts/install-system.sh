#!/usr/bin/env bash
# System packages the local services and tests need (Debian): docker.io + busybox-static for the
# test swarm (its images are built FROM scratch; no registry is needed). Go- and Maven-built services
# (FerretDB, MinIO, Elasticsearch) are built by `npm run services -- up` into ~/.cache/crvs-backup-bot.
set -euo pipefail
need=()
for pkg in redis-server openssh-server openssh-client influxdb influxdb-client chromium fonts-noto-color-emoji docker.io busybox-static; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# Debian starts these as system services on install; the harness runs its own copies on free ports.
# (docker.io too: the harness runs its own dockerd with its own data root and socket.)
for svc in redis-server influxdb ssh docker containerd; do
  (service "$svc" stop >/dev/null 2>&1 || true)
done
command -v go >/dev/null || { echo "Go is required (https://go.dev) to build FerretDB and MinIO" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven and a JDK 17+ are required to start Elasticsearch" >&2; exit 1; }
