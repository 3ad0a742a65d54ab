#!/usr/bin/env bash
# Builds the test cluster's binaries from the Go module proxy into <cache>/bin, one file per
# command and version: etcd-<v>, kube-apiserver-<v>, kube-controller-manager-<v>,
# kube-scheduler-<v>, kwok-<v>. Called by scripts/services/kubernetes.ts (first run only).
#
# `go install k8s.io/kubernetes/cmd/...@v` is refused (the kubernetes module's go.mod has replace
# directives), so a small wrapper module requires k8s.io/kubernetes and replaces every staging
# module k8s.io/<name> with its published v0.<minor>.<patch>; the list is read from that go.mod.
# Usage: kubernetes-build.sh <cache-dir> <kube-version> <etcd-version> <kwok-version>
set -euo pipefail
cache=$1 kube=$2 etcd=$3 kwok=$4
bin="$cache/bin"
mkdir -p "$bin"
work=$(mktemp -d "$cache/build-kubernetes-XXXXXX")
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
ldflags='-s -w'
say() { printf 'kubernetes-build: %s\n' "$*" >&2; }

if [ ! -x "$bin/etcd-$etcd" ]; then
  say "etcd $etcd"
  mkdir -p "$work/etcd" && cd "$work/etcd"
  cat > go.mod <<MOD
module crvs.local/etcd
go 1.24
require go.etcd.io/etcd/server/v3 $etcd
MOD
  cat > main.go <<'SRC'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
SRC
  go mod tidy >&2
  go build -ldflags "$ldflags" -o "$work/etcd.bin" . >&2
  mv "$work/etcd.bin" "$bin/etcd-$etcd"
fi

need=()
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$bin/$cmd-$kube" ] || need+=("$cmd")
done
if [ "${#need[@]}" -gt 0 ]; then
  say "${need[*]} $kube"
  mkdir -p "$work/kube" && cd "$work/kube"
  gomod=$(go mod download -json "k8s.io/kubernetes@$kube" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  staging="v0${kube#v1}"
  {
    echo "module crvs.local/kube"
    echo "go 1.24"
    echo "require k8s.io/kubernetes $kube"
    grep -oE '^\s*k8s\.io/[A-Za-z0-9._-]+ => \./staging/' "$gomod" | awk '{print $1}' | sort -u |
      while read -r m; do echo "replace $m => $m $staging"; done
  } > go.mod
  declare -A ctor=([kube-apiserver]=NewAPIServerCommand [kube-controller-manager]=NewControllerManagerCommand [kube-scheduler]=NewSchedulerCommand)
  for cmd in "${need[@]}"; do
    mkdir -p "cmd/$cmd"
    cat > "cmd/$cmd/main.go" <<SRC
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/$cmd/app"
)

func main() { os.Exit(cli.Run(app.${ctor[$cmd]}())) }
SRC
  done
  go mod tidy >&2
  minor=${kube#v1.}; minor=${minor%%.*}
  vflags="-X k8s.io/component-base/version.gitVersion=$kube -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  for cmd in "${need[@]}"; do
    say "building $cmd"
    go build -ldflags "$ldflags $vflags" -o "$work/$cmd.bin" "./cmd/$cmd" >&2
    mv "$work/$cmd.bin" "$bin/$cmd-$kube"
  done
fi

if [ ! -x "$bin/kwok-$kwok" ]; then
  say "kwok $kwok"
  GOBIN="$work/kwok-bin" go install -ldflags "$ldflags" "sigs.k8s.io/kwok/cmd/kwok@$kwok" >&2
  mv "$work/kwok-bin/kwok" "$bin/kwok-$kwok"
fi
say "ready in $bin"
