#!/usr/bin/env bash
# The main job from a fresh machine: install, build the demo workspace on SQLite, serve it.
# The workspace goes to the default data directory, ./data of this checkout (or
# ACCOUNT360_DATA_DIR when set), so every `account360` command run from the checkout after
# `source .venv/bin/activate` works on the demo's database.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv" >&2
  python3 -m venv .venv
fi
echo "installing account360 into .venv" >&2
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
exec .venv/bin/account360 demo "$@"
