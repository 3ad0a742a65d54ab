#!/usr/bin/env bash
# `npm start`: install what is missing, then the bot — the local console on sample data without
# Slack credentials (the local services are built and started for it), the real Slack with them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
bash scripts/setup.sh
exec node bin/start.js "$@"
