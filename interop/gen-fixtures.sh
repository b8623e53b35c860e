#!/usr/bin/env bash
# Regenerates interop/fixtures/memberlist-0.2.2.json from the real Go library (see
# interop/wire-fixtures/main.go). The recorded traffic has random nonces, sequence numbers and
# ports, so the file changes on every run; the tests only depend on what it decodes to.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/build.sh" wire-fixtures
mkdir -p "$here/fixtures"
"$here/bin/wire-fixtures" gen > "$here/fixtures/memberlist-0.2.2.json.tmp"
mv -f "$here/fixtures/memberlist-0.2.2.json.tmp" "$here/fixtures/memberlist-0.2.2.json"
# Keep `prettier --check .` quiet about the generated file.
(cd "$here/.." && npx --no-install prettier --log-level warn --write interop/fixtures/memberlist-0.2.2.json)
