#!/usr/bin/env bash
# Runs a command with a real OS keychain: a private D-Bus session and an unlocked gnome-keyring
# (the Secret Service that keytar talks to through libsecret). Used by the tests and the bench on
# Linux machines without a desktop session. If a Secret Service is already reachable (a desktop
# session), the command runs as it is.
set -euo pipefail
if [ "${CLINIC_KEYRING_READY:-}" = "1" ]; then exec "$@"; fi
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "with-keyring: dbus-run-session and gnome-keyring-daemon are required (run scripts/setup.sh)" >&2
  exit 1
fi
# The keyring password only protects this throwaway, per-run keyring.
exec dbus-run-session -- bash -c '
  set -euo pipefail
  export HOME_KEYRING_DIR=$(mktemp -d)
  export XDG_DATA_HOME="$HOME_KEYRING_DIR"
  eval "$(printf "clinic-test-keyring" | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export CLINIC_KEYRING_READY=1
  status=0
  "$@" || status=$?
  rm -rf "$HOME_KEYRING_DIR"
  exit $status
' with-keyring "$@"
