#!/usr/bin/env bash
# The main job from a fresh machine: install, build the demo workspace on SQLite, serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
export ACCOUNT360_DATA_DIR="${ACCOUNT360_DATA_DIR:-$(pwd)/data/demo}"
exec .venv/bin/account360 demo "$@"
