# The two quick-start commands: `make demo` and `make test`.
.PHONY: setup demo test lint

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/rdq demo

test:
	bash scripts/test.sh

lint: setup
	.venv/bin/ruff check rdq tests benchmarks strategies && .venv/bin/mypy rdq
