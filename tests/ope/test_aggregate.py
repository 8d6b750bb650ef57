"""IQM, stratified-bootstrap intervals, performance profiles and P(improvement) against rliable's values.

``golden/rliable.json`` was written by ``golden/make_rliable_golden.py`` with rliable itself (side venv).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rdq.errors import ConfigError, DataError
from rdq.ope import interval_estimates, iqm, performance_profile, probability_of_improvement

GOLDEN = json.loads((Path(__file__).parent / "golden" / "rliable.json").read_text())
SCORES = {k: np.array(v) for k, v in GOLDEN["scores"].items()}
AGGS = ("mean", "median", "iqm", "optimality_gap")


def test_point_estimates_and_intervals_equal_rliable() -> None:
    got = interval_estimates(SCORES, aggregates=AGGS, reps=GOLDEN["reps"], seed=GOLDEN["seed"])
    for agent in SCORES:
        for agg in AGGS:
            point, lo, hi = got[agent][agg]
            assert point == pytest.approx(GOLDEN["aggregates"][agent][agg], abs=1e-12)
            assert (lo, hi) == pytest.approx(tuple(GOLDEN["intervals"][agent][agg]), abs=1e-12), (agent, agg)
            assert lo <= point <= hi or agg == "median"


def test_performance_profiles_equal_rliable() -> None:
    got = performance_profile(SCORES, GOLDEN["taus"], reps=300, seed=11)
    for agent in SCORES:
        profile, lo, hi = got[agent]
        np.testing.assert_allclose(profile, GOLDEN["profiles"][agent], atol=1e-12)
        np.testing.assert_allclose(lo, GOLDEN["profile_intervals"][agent][0], atol=1e-12)
        np.testing.assert_allclose(hi, GOLDEN["profile_intervals"][agent][1], atol=1e-12)


def test_probability_of_improvement_equals_rliable() -> None:
    p = probability_of_improvement(SCORES["qtnet"], SCORES["expert"])
    assert p == pytest.approx(GOLDEN["probability_of_improvement"], abs=1e-12)
    assert probability_of_improvement(SCORES["expert"], SCORES["expert"]) == 0.5


def test_iqm_by_hand() -> None:
    # 8 values: the middle 4 (3, 4, 5, 6) after trimming 2 from each end
    assert iqm(np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 70.0, 80.0]])) == pytest.approx(4.5)


def test_named_errors() -> None:
    with pytest.raises(ConfigError, match="unknown aggregate"):
        interval_estimates(SCORES, aggregates=("iqr",))
    with pytest.raises(DataError, match="n_runs, n_tasks"):
        interval_estimates({"a": np.ones(3)})
    with pytest.raises(DataError, match="NaN"):
        interval_estimates({"a": np.array([[1.0, np.nan]])}, reps=10)
