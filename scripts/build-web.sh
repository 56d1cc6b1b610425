#!/usr/bin/env bash
# Builds the web app (web/) into web/dist, which `weft serve` serves at `/`.
# Needs the npm packages scripts/install-deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/../web"
npx --no-install vite build --logLevel warn
echo "web app built: web/dist ($(find dist -type f | wc -l) files)"
