"""SharpeRatio@k and the assessment metrics on hand-checkable candidates."""

from __future__ import annotations

import numpy as np
import pytest

from rdq.errors import ConfigError, DataError
from rdq.ope import assess_estimator, sharpe_ratio_at_k, topk_metrics

TRUE = np.array([1.0, 4.0, 2.0, 3.0])
EST = np.array([3.0, 2.0, 0.0, 1.0])    # deploys policies 0, 1, 3, 2 in that order


def test_sharpe_ratio_scope_rl_form_by_hand() -> None:
    # top-2 true values (1, 4): best 4, std ddof=1 = 2.1213..; J_b = 2.5
    sr = sharpe_ratio_at_k(estimated=EST, true=TRUE, behavior_value=2.5, k=2, variant="scope_rl")
    assert sr == pytest.approx(1.5 / np.std([1.0, 4.0], ddof=1))
    assert np.isnan(sharpe_ratio_at_k(estimated=EST, true=TRUE, behavior_value=2.5, k=1))
    # numerator clipped at 0 when even the best deployed policy loses to the behaviour policy
    assert sharpe_ratio_at_k(estimated=EST, true=TRUE, behavior_value=10.0, k=3) == 0.0


def test_sharpe_ratio_paper_form_by_hand() -> None:
    sr = sharpe_ratio_at_k(estimated=EST, true=TRUE, behavior_value=2.5, k=3, variant="paper")
    assert sr == pytest.approx((4.0 - 2.5) / np.std([1.0, 4.0, 3.0]))
    assert sharpe_ratio_at_k(estimated=EST, true=TRUE, behavior_value=10.0, k=3, variant="paper") < 0
    assert sharpe_ratio_at_k(estimated=EST, true=TRUE, behavior_value=2.5, k=1, variant="paper") == -np.inf   # (1 - 2.5) / 0


def test_topk_table_by_hand() -> None:
    t = topk_metrics(EST, TRUE, safety_threshold=2.5)
    np.testing.assert_allclose(t["k-th"], [1, 4, 3, 2])
    np.testing.assert_allclose(t["best"], [1, 4, 4, 4])
    np.testing.assert_allclose(t["worst"], [1, 1, 1, 1])
    np.testing.assert_allclose(t["mean"], [1, 2.5, 8 / 3, 2.5])
    np.testing.assert_allclose(t["safety_violation_rate"], [1, 0.5, 1 / 3, 0.5])
    assert np.isnan(t["std"][0]) and t["std"][3] == pytest.approx(np.std(TRUE, ddof=1))


def test_assessment_by_hand() -> None:
    a = assess_estimator(EST, TRUE, behavior_value=2.5, k=2, safety_threshold=2.5)
    assert a.mse == pytest.approx(np.mean((EST - TRUE) ** 2))
    assert a.nmse == pytest.approx(a.mse / 9.0)
    assert a.regret_at_k == pytest.approx((4 + 3) - (1 + 4))
    assert a.nregret_at_k == 0.0                       # the best policy is among the top-2
    assert assess_estimator(EST, TRUE, behavior_value=2.5, k=1).nregret_at_k == pytest.approx(1.0)
    # safe: policies 1 (4.0) and 3 (3.0); estimated safe: policy 0 (3.0) -> both safe ones missed
    assert a.type_i_error_rate == 1.0
    assert a.type_ii_error_rate == 0.5
    # ranks of EST (4, 3, 1, 2) against TRUE (1, 4, 2, 3): d^2 = 12, rho = 1 - 6*12/(4*15)
    assert a.rank_correlation == pytest.approx(-0.2)
    perfect = assess_estimator(TRUE, TRUE, behavior_value=2.5, k=2)
    assert perfect.mse == 0.0 and perfect.rank_correlation == pytest.approx(1.0) and perfect.regret_at_k == 0.0


def test_named_errors() -> None:
    with pytest.raises(ConfigError, match="k = 5"):
        sharpe_ratio_at_k(estimated=EST, true=TRUE, behavior_value=0.0, k=5)
    with pytest.raises(ConfigError, match="variant"):
        sharpe_ratio_at_k(estimated=EST, true=TRUE, behavior_value=0.0, k=2, variant="sortino")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="one value per candidate"):
        assess_estimator(EST[:3], TRUE, behavior_value=0.0)
