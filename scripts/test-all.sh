#!/usr/bin/env bash
# Every check, in the order that fails fastest. Expects Node 24 on PATH and a keychain (run it
# through scripts/test.sh, or `npm test` after setup).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
step lint;             npx eslint . --max-warnings 0 && npx prettier --check . --log-level warn
step typecheck;        npx tsc --noEmit -p tsconfig.json
step "unit tests";     npx vitest run --project unit
step "integration tests"; npx vitest run --project integration
step build;            npx electron-vite build
step "end-to-end tests (Chromium)"; npx playwright test
