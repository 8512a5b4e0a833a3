#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for Clinic Workstation development, idempotently:
# the Debian packages (keychain, D-Bus, Chromium, libsecret headers for keytar), Node.js 24 when
# the system Node is older (from the npm registry), and the project's npm dependencies.
# Prints the PATH line to use Node 24 afterwards. Needs root or sudo for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(libsecret-1-dev dbus dbus-x11 gnome-keyring chromium python3 make g++)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Node 24: the runtime inside Electron 45 and what the native modules need.
NODE24_DIR="${CLINIC_NODE_DIR:-$HOME/.cache/clinic-workstation/node24}"
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major node)" -lt 24 ]; then
  if [ "$(node_major "$NODE24_DIR/node_modules/node/bin/node")" -lt 24 ]; then
    echo "setup: fetching Node.js 24 from the npm registry into $NODE24_DIR" >&2
    mkdir -p "$NODE24_DIR"
    npm i --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$NODE24_DIR" node@24 >/dev/null
  fi
  export PATH="$NODE24_DIR/node_modules/node/bin:$PATH"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: ready (node $(node --version))" >&2
