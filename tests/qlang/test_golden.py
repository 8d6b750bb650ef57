"""The interpreter against real q output: console examples from the q reference (KX, CC BY 4.0).

Two kinds of checks:

- ``test_core_pass_rate``: the share of non-skipped ``golden_core_dev`` rows whose display equals what
  real q printed must stay at or above ``CORE_FLOOR`` (raised as the interpreter grows; target 95%).
- ``test_core_row``: one test per row listed in ``golden_regress.txt`` (rows that pass today), so a
  regression names the row.

Skipped rows (``golden_skip.tsv``) are doc typos, nondeterministic rows, or rows that need state the
row does not carry. Print the full report with ``python -m rdq.qlang.golden --per-file``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from shared_data import shared_path

from rdq.qlang.golden import GoldenRow, load_rows, load_skips, run_row

HERE = Path(__file__).resolve().parent
CORE_FLOOR = 0.95
#: guard against a row that never terminates (a hang, not a speed assertion)
HANG_GUARD_S = 120
REGRESS = [ln.strip() for ln in (HERE / "golden_regress.txt").read_text().splitlines() if ln.strip()]


@cache
def _core_rows() -> dict[str, GoldenRow]:
    path = shared_path("qgolden", "golden_core_dev.jsonl")
    return {r.id: r for r in load_rows(path)}


@cache
def _skips() -> dict[str, str]:
    return load_skips(HERE / "golden_skip.tsv")


def test_skip_list_is_reviewed() -> None:
    rows = _core_rows()
    for rid, reason in _skips().items():
        assert reason, f"skip entry {rid} has no reason"
        assert rid in rows or rid.startswith("docs/"), rid


def test_core_pass_rate() -> None:
    rows = [r for rid, r in _core_rows().items() if rid not in _skips()]
    passed = sum(1 for r in rows if run_row(r, timeout_s=HANG_GUARD_S)[0])
    rate = passed / len(rows)
    assert rate >= CORE_FLOOR, f"golden core pass rate {rate:.3f} < floor {CORE_FLOOR}"


@pytest.mark.parametrize("row_id", REGRESS)
def test_core_row(row_id: str) -> None:
    rows = _core_rows()
    if row_id not in rows:
        pytest.skip(f"{row_id} not in this golden file")
    ok, actual = run_row(rows[row_id], timeout_s=HANG_GUARD_S)
    assert ok, f"{row_id}: {rows[row_id].input!r}\nexpected:\n{rows[row_id].expected}\nactual:\n{actual}"
