#!/usr/bin/env bash
# Installs whatever the bot and its tests need and is missing — system packages, npm packages —
# saying what and why; prints one line when everything is already there. The local services are
# built and started by the harness (scripts/services) when `npm start` or the suite needs them.
# Called by `npm start` (scripts/start.sh) and `npm test` (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*" >&2; }
started=$(date +%s%N)

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 22 ]; then
  say "Node.js $(node --version) is too old: use Node.js 24 LTS (22 also works; the Kubernetes client needs 22+)"
  exit 1
fi

bash scripts/install-system.sh

# npm packages: installed when node_modules does not match package-lock.json (a fresh clone, a pull
# that changed dependencies). The stamp is the lock file's hash, written after a successful `npm ci`.
stamp=node_modules/.crvs-lock-sha256
# The Node.js module ABI is part of it: add-ons built for another Node are rebuilt (npm ci) when it changes.
want="$(sha256sum package-lock.json | cut -d' ' -f1) abi-$(node -p process.versions.modules)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  if [ -d node_modules ]; then say "installing npm packages (npm ci): package-lock.json or the Node.js version changed since node_modules was installed"
  else say "installing npm packages (npm ci): node_modules is missing"; fi
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
# ssh2 works without its add-on, at a fraction of the speed (every offsite copy and SSH command).
if ! node -e "require('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node')" 2>/dev/null; then
  say "warning: ssh2's native crypto add-on does not load on Node.js $(node --version); SSH transfers run on slower JavaScript crypto (a C++ compiler and the Node.js headers fix this: rm -rf node_modules and run again)"
fi
say "system and npm packages ready in $(( ($(date +%s%N) - started) / 1000000 )) ms (Node.js $(node --version))"
