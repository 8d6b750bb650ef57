#!/usr/bin/env bash
# Create .venv and install rdq with everything it needs. Idempotent: a second run only checks a stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.rdq-setup-$(cat pyproject.toml scripts/setup.sh | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "setting up .venv (first run takes a few minutes) ..."
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and pinned: this machine serves a CPU wheel for exactly 2.13.0
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.rdq-setup-*
  touch "$stamp"
fi
