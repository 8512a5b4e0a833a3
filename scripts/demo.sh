#!/usr/bin/env bash
# The main job on a fresh Debian/Ubuntu machine: set up, build, and run Clinic Workstation's core
# with its real renderer in Chromium's reach (the dev web host), with a demo clinic in the
# encrypted cache. Open the printed URL in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/node-env.sh
npx electron-vite build >/dev/null
exec bash scripts/with-keyring.sh npx tsx dev/demo.ts "$@"
