#!/usr/bin/env bash
# Builds the Go interop programs (real HashiCorp memberlist from Debian's
# golang-github-hashicorp-memberlist-dev) into interop/bin/. Offline: GOPATH mode only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v go >/dev/null 2>&1; then
  echo "interop/build.sh: Go is not installed; run .ci/run or: apt-get install -y golang-go golang-github-hashicorp-memberlist-dev" >&2
  exit 3
fi
if [ ! -d /usr/share/gocode/src/github.com/hashicorp/memberlist ]; then
  echo "interop/build.sh: memberlist source missing; run .ci/run or: apt-get install -y golang-github-hashicorp-memberlist-dev" >&2
  exit 3
fi
mkdir -p "$here/bin"
export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=
export GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/go-build}"
progs=("$@")
if [ ${#progs[@]} -eq 0 ]; then progs=(memberlist-peer wire-fixtures); fi
for prog in "${progs[@]}"; do
  (cd "$here/$prog" && go build -o "$here/bin/$prog.tmp.$$" . && mv -f "$here/bin/$prog.tmp.$$" "$here/bin/$prog")
done
