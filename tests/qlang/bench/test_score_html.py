"""BenchResult ``_repr_html_``: pass@k and its CI per group, as computed."""

from __future__ import annotations

import pytest
from html_tables import parse_tables

from rdq.qlang.bench import BenchResult, ProblemResult, SampleResult, estimate


def _problem(pid: str, difficulty: str, passed: list[bool]) -> ProblemResult:
    return ProblemResult(pid, difficulty, ("array",), tuple(SampleResult(i, ok) for i, ok in enumerate(passed)))


def test_bench_html_shows_pass_at_k_per_group() -> None:
    problems = (
        _problem("p1", "easy", [True, False]),
        _problem("p2", "easy", [True, True]),
        _problem("p3", "hard", [False, False]),
    )
    ns, cs = [p.n for p in problems], [p.c for p in problems]
    overall = {k: estimate(ns, cs, k, n_boot=200) for k in (1, 2)}
    easy = {k: estimate([2, 2], [1, 2], k, n_boot=200) for k in (1, 2)}
    hard = {k: estimate([2], [0], k, n_boot=200) for k in (1, 2)}
    res = BenchResult(
        task="description_to_q", executor="embedded", model="m", ks=(1, 2), overall=overall,
        by_difficulty={"easy": easy, "hard": hard}, by_tag={"array": overall}, problems=problems,
    )
    (table,) = parse_tables(res._repr_html_())
    assert table.caption == "q bench: description_to_q on embedded, model m"
    assert table.header == ["group", "k", "value", "ci_low", "ci_high", "problems"]
    groups = [(r[0].text, r[1].text) for r in table.rows]
    assert groups == [(g, f"pass@{k}") for g in ("overall", "easy", "hard", "tag: array") for k in (1, 2)]
    cells = {(r[0].text, r[1].text): r for r in table.rows}
    # hand-computed: pass@1 = mean(1/2, 1, 0); pass@2 = mean(1, 1, 0) (n=2: one pass is enough)
    assert cells["overall", "pass@1"][2].value == pytest.approx(0.5, abs=1e-15)
    assert cells["overall", "pass@2"][2].value == pytest.approx(2 / 3, abs=1e-15)
    assert cells["easy", "pass@1"][2].value == pytest.approx(0.75, abs=1e-15)
    assert cells["hard", "pass@1"][2].text == "0"
    assert cells["overall", "pass@1"][3].value == overall[1].ci_low
    assert cells["overall", "pass@1"][4].value == overall[1].ci_high
    assert cells["easy", "pass@2"][5].value == 2
