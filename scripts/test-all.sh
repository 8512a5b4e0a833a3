#!/usr/bin/env bash
# Every check, in the order that fails fastest. Expects Node 24 on PATH and a keychain (run it
# through scripts/test.sh, or `npm test` after setup).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
# Each runner also writes a JSON report to test-reports/ (the console output stays as it was):
# `ws compliance report` reads them as the last run's automated evidence. Cleared first, so a
# report left from an older run never passes for this one.
REPORTS=test-reports
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
json() { printf -- '--reporter=default --reporter=json --outputFile.json=%s/%s.json' "$REPORTS" "$1"; }
step lint;             npx eslint . --max-warnings 0 && npx prettier --check . --log-level warn
step typecheck;        npx tsc --noEmit -p tsconfig.json
# shellcheck disable=SC2046 # json prints three separate arguments
step "unit tests";     npx vitest run --project unit $(json vitest-unit)
step "integration tests"; npx vitest run --project integration $(json vitest-integration)
# The sync suite (pull, push and conflicts, the kill tests, several workstations) and the audit
# shipping once more, against dev central behaving like HAPI FHIR (dev/central/personality.ts):
# the app must sync with any real FHIR server, not only with Medplum's ways. 1 to 2 minutes.
step "sync tests against the HAPI FHIR personality"
CENTRAL_PERSONALITY=hapi npx vitest run --project integration $(json vitest-integration-hapi) tests/integration/sync- tests/integration/audit-ship
step build;            npx electron-vite build
step "end-to-end tests (Chromium)"; npx playwright test
