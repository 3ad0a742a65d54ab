#!/usr/bin/env bash
# `npm test`: install what is missing, type-check, then the whole suite (or the test files given:
# `npm test -- test/cli`). The suite builds and starts the local services it needs itself
# (test/global-setup.ts) and reuses those already started with `npm run services -- up`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
bash scripts/setup.sh
echo "test: type-check, then the suite on Node.js $(node --version)" >&2
npx tsc --noEmit
exec npx vitest run "$@"
