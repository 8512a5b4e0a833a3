#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine: set up, then lint, typecheck, unit,
# integration and end-to-end tests, inside a private D-Bus session with an unlocked
# gnome-keyring (the real OS keychain the vault uses). This is what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/node-env.sh
bash scripts/with-keyring.sh bash scripts/test-all.sh
