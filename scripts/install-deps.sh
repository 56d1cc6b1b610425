#!/usr/bin/env bash
# Installs every system and npm dependency Weft needs on Debian 12.
# Idempotent: skips apt when every package is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang-14 clang-format libclang-rt-14-dev
  libboost-dev libboost-system-dev libsodium-dev libsqlite3-dev sqlite3 libpqxx-dev libhiredis-dev
  liblz4-dev libzstd-dev zlib1g-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  chromium  # headless browser for the web app's end-to-end tests (tests/e2e)
)
# Node.js: use the machine's node/npm when present (it may come from another apt source).
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm packages (each folder pins exact versions in package.json + package-lock.json):
# the interop tests and benchmarks, the web app (Vite, yjs, providers), the
# end-to-end tests (playwright-core, which drives Debian's chromium: no browser download).
for dir in tests/interop web tests/e2e; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
