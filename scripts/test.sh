#!/usr/bin/env bash
# Lint, type-check and run the test suite (the README's test command runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"
.venv/bin/ruff check rdq tests benchmarks strategies
echo "== mypy"
.venv/bin/mypy rdq
echo "== pytest"
.venv/bin/pytest -n 2 -q "$@"
