# Sourced by the scripts: puts Node 24 first on PATH when the system Node is older.
NODE24_DIR="${CLINIC_NODE_DIR:-$HOME/.cache/clinic-workstation/node24}"
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' 2>/dev/null; then
  export PATH="$NODE24_DIR/node_modules/node/bin:$PATH"
fi
