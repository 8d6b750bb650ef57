"""Forked runs with limits: results come back, runaway runs are killed."""

from __future__ import annotations

import time

from rdq.qlang.bench._sandbox import MAX_OUTPUT_BYTES, run_forked


def test_result_comes_back() -> None:
    res = run_forked(lambda: ("out\n", "", 0), timeout_s=5, memory_mb=256)
    assert (res.stdout, res.stderr, res.exit_code, res.timed_out) == ("out\n", "", 0, False)


def test_timeout_kills_the_child() -> None:
    res = run_forked(lambda: (time.sleep(60), ("", "", 0))[1], timeout_s=0.3, memory_mb=None)
    assert res.timed_out and res.exit_code is None


def test_memory_limit_applies_in_the_child() -> None:
    def hog() -> tuple[str, str, int]:
        blob = bytearray(3 * 1024**3)
        return str(len(blob)), "", 0

    res = run_forked(hog, timeout_s=10, memory_mb=200)
    assert res.exit_code == 1 and "out of memory" in res.stderr
    # the parent is untouched: it can still allocate
    assert len(bytearray(300 * 1024**2)) > 0


def test_exceptions_become_stderr_errors() -> None:
    def bad() -> tuple[str, str, int]:
        raise ZeroDivisionError("nope")

    res = run_forked(bad, timeout_s=5, memory_mb=None)
    assert res.exit_code == 1 and "error" in res.stderr and "ZeroDivisionError" in res.stderr


def test_huge_output_is_cut() -> None:
    res = run_forked(lambda: ("x" * (3 * MAX_OUTPUT_BYTES), "", 0), timeout_s=10, memory_mb=None)
    assert len(res.stdout) == MAX_OUTPUT_BYTES
