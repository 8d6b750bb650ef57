"""Every operator against qlib's own operator classes (golden values from the real peer).

qlib's ``ExpressionOps`` are called directly on pandas Series through a tiny ``Expression`` that
returns a fixed Series, so the reference is qlib's exact code (pandas rolling, cython kernels,
``rolling.apply`` lambdas) on data with missing values, infinities and flat stretches, per asset.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from qlib.data import ops as Q
from qlib.data.base import Expression

from rdq.errors import ExpressionError
from rdq.factors import compute


class _Fixed(Expression):
    """A qlib expression whose value is a fixed Series."""

    def __init__(self, series: pd.Series) -> None:
        self.series = series

    def __str__(self) -> str:
        return "fixed"

    def load(self, *args: object) -> pd.Series:  # type: ignore[override]
        return self.series

    def _load_internal(self, *args: object) -> pd.Series:
        return self.series

    def get_longest_back_rolling(self) -> int:
        return 0

    def get_extended_window_size(self) -> tuple[int, int]:
        return 0, 0


def _series(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 10 + np.cumsum(rng.normal(0, 1, n))
    y = rng.normal(0, 1, n)
    x[[3, 17, 18, 40]] = np.nan
    y[[5, 17, 33]] = np.nan
    x[25:32] = 7.0  # flat stretch: zero std, masked Corr/Rsquare
    y[50] = np.inf
    x[60] = -np.inf
    return x, y


@pytest.fixture(scope="module", autouse=True)
def _uncached_qlib_load() -> object:
    """Nested qlib ops call ``Expression.load`` (memory-cached by ``str(expr)``): compute directly."""
    original = Expression.load
    Expression.load = lambda self, *args: self._load_internal(*args)  # type: ignore[method-assign]
    yield
    Expression.load = original  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def data() -> tuple[pl.DataFrame, dict[str, tuple[pd.Series, pd.Series]]]:
    frames, per_asset = [], {}
    for k, n in enumerate([90, 75]):
        x, y = _series(n, k)
        asset = f"A{k}"
        dates = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)]
        frames.append(pl.DataFrame({"date": dates, "asset": asset, "x": x, "y": y}))
        per_asset[asset] = (pd.Series(x), pd.Series(y))
    # NaN -> null as in a canonical panel; inf stays
    panel = pl.concat(frames).with_columns(pl.col("x", "y").fill_nan(None))
    return panel, per_asset


def _golden(per_asset: dict, build) -> np.ndarray:  # type: ignore[no-untyped-def]
    parts = []
    for x, y in per_asset.values():
        with np.errstate(all="ignore"):
            out = build(_Fixed(x), _Fixed(y))._load_internal("i", 0, len(x) - 1)
        parts.append(pd.Series(out).astype(float).to_numpy())
    return np.concatenate(parts)


def _check(data: tuple, expr: str, build, rtol: float = 1e-8) -> None:  # type: ignore[no-untyped-def]
    panel, per_asset = data
    ours = compute(panel, {"f": expr})["f"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    ref = _golden(per_asset, build)
    ref = np.where(np.isnan(ref), np.nan, ref)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=f"missing positions of {expr}")
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=rtol, atol=1e-12, err_msg=expr)


ROLLING = ["Mean", "Sum", "Std", "Var", "Max", "Min", "IdxMax", "IdxMin", "Med", "Mad", "Rank", "Count",
           "Slope", "Rsquare", "Resi", "WMA", "Skew", "Kurt"]


@pytest.mark.parametrize("op", ROLLING)
@pytest.mark.parametrize("n", [5, 20])
def test_rolling_operator_equals_qlib(data: tuple, op: str, n: int) -> None:
    _check(data, f"{op}($x, {n})", lambda x, y: getattr(Q, op)(x, n), rtol=1e-7)


@pytest.mark.parametrize("op", ["Mean", "Sum", "Std", "Max", "Min", "Count", "Rank", "Med"])
def test_expanding_operator_equals_qlib(data: tuple, op: str) -> None:
    _check(data, f"{op}($x, 0)", lambda x, y: getattr(Q, op)(x, 0))


@pytest.mark.parametrize("n", [1, 3, -1, -2, 0])
def test_ref_and_delta(data: tuple, n: int) -> None:
    _check(data, f"Ref($x, {n})", lambda x, y: Q.Ref(x, n))
    if n >= 0:
        _check(data, f"Delta($x, {n})", lambda x, y: Q.Delta(x, n))


@pytest.mark.parametrize("q", [0.2, 0.5, 0.8])
def test_quantile(data: tuple, q: float) -> None:
    _check(data, f"Quantile($x, 10, {q})", lambda x, y: Q.Quantile(x, 10, q))


@pytest.mark.parametrize("n", [5, 0.3, 0])
def test_ema(data: tuple, n: float) -> None:
    _check(data, f"EMA($x, {n})", lambda x, y: Q.EMA(x, n))


@pytest.mark.parametrize("op", ["Corr", "Cov"])
@pytest.mark.parametrize("n", [5, 20])
def test_pair_rolling(data: tuple, op: str, n: int) -> None:
    _check(data, f"{op}($x, $y, {n})", lambda x, y: getattr(Q, op)(x, y, n), rtol=1e-7)


@pytest.mark.parametrize(
    ("expr", "build"),
    [
        ("$x + $y", lambda x, y: Q.Add(x, y)),
        ("$x - 2", lambda x, y: Q.Sub(x, 2)),
        ("2 * $y", lambda x, y: Q.Mul(2, y)),
        ("$x / $y", lambda x, y: Q.Div(x, y)),
        ("$y / 0", lambda x, y: Q.Div(y, 0)),
        ("$x ** 2", lambda x, y: Q.Power(x, 2)),
        ("Power($y, 0.5)", lambda x, y: Q.Power(y, 0.5)),
        ("Abs($y)", lambda x, y: Q.Abs(y)),
        ("Sign($y)", lambda x, y: Q.Sign(y)),
        ("Log($y)", lambda x, y: Q.Log(y)),
        ("Greater($x, $y)", lambda x, y: Q.Greater(x, y)),
        ("Less($y, 0)", lambda x, y: Q.Less(y, 0)),
        ("$x > $y", lambda x, y: Q.Gt(x, y)),
        ("$x >= 7", lambda x, y: Q.Ge(x, 7)),
        ("$y < 0", lambda x, y: Q.Lt(y, 0)),
        ("$x <= 7", lambda x, y: Q.Le(x, 7)),
        ("$x == 7", lambda x, y: Q.Eq(x, 7)),
        ("$x != 7", lambda x, y: Q.Ne(x, 7)),
        ("And($x > 7, $y > 0)", lambda x, y: Q.And(Q.Gt(x, 7), Q.Gt(y, 0))),
        ("Or($x > 7, $y > 0)", lambda x, y: Q.Or(Q.Gt(x, 7), Q.Gt(y, 0))),
        ("Not($y > 0)", lambda x, y: Q.Not(Q.Gt(y, 0))),
        ("If($y > 0, $x, -$x)", lambda x, y: Q.If(Q.Gt(y, 0), x, Q.Mul(x, -1))),
        ("Mean($x > Ref($x, 1), 5)", lambda x, y: Q.Mean(Q.Gt(x, Q.Ref(x, 1)), 5)),
        ("Sum(Greater($x - Ref($x, 1), 0), 5) / (Sum(Abs($x - Ref($x, 1)), 5) + 1e-12)",
         lambda x, y: Q.Div(Q.Sum(Q.Greater(Q.Sub(x, Q.Ref(x, 1)), 0), 5),
                            Q.Add(Q.Sum(Q.Abs(Q.Sub(x, Q.Ref(x, 1))), 5), 1e-12))),
    ],
)
def test_elementwise_and_composed_equal_qlib(data: tuple, expr: str, build) -> None:  # type: ignore[no-untyped-def]
    _check(data, expr, build, rtol=1e-12)


# -- hand-checkable cases ---------------------------------------------------------------------
def _one(values: list[float | None], expr: str, **cols: list[float | None]) -> list[float | None]:
    n = len(values)
    frame = pl.DataFrame(
        {"date": [dt.date(2021, 1, 1) + dt.timedelta(days=i) for i in range(n)], "asset": "A", "x": values, **cols},
        schema_overrides={"x": pl.Float64, **{k: pl.Float64 for k in cols}},
    )
    out = compute(frame, {"f": expr})["f"].to_list()
    return [None if v is None else round(v, 12) for v in out]


def test_hand_checked_values() -> None:
    assert _one([1, 2, 3, 4], "Mean($x, 2)") == [1.0, 1.5, 2.5, 3.5]
    assert _one([1, None, 3, 4], "Sum($x, 2)") == [1.0, 1.0, 3.0, 7.0]
    assert _one([1, 3, 2, 5], "IdxMax($x, 3)") == [1.0, 2.0, 2.0, 3.0]  # 1-based
    assert _one([1, 3, 2, 5], "Rank($x, 3)") == [1.0, 1.0, round(2 / 3, 12), 1.0]
    assert _one([1, 2, 3], "Slope($x, 3)") == [None, 1.0, 1.0]
    assert _one([2, 4, 8], "$x / Ref($x, 1) - 1") == [None, 1.0, 1.0]
    assert _one([0, 1, -1], "1 / $x") == [float("inf"), 1.0, -1.0]  # division by zero -> inf
    assert _one([0, 1, -1], "Log($x)") == [float("-inf"), 0.0, None]  # log of negative -> missing
    assert _one([1, 2, 3], "Std($x, 3)") == [None, round(np.std([1, 2], ddof=1), 12), 1.0]  # ddof=1
    assert _one([1, 2], "3") == [3.0, 3.0]  # constant broadcast


def test_cross_sectional_operators() -> None:
    d = dt.date(2021, 1, 4)
    frame = pl.DataFrame(
        {
            "date": [d] * 4,
            "asset": ["A", "B", "C", "D"],
            "x": [1.0, 2.0, 3.0, None],
            "g": [0.0, 0.0, 1.0, 1.0],
        }
    )
    out = compute(
        frame,
        {"r": "CSRank($x)", "z": "CSZScore($x)", "m": "CSDemean($x)", "n": "CSNeutralize($x, $g)"},
    )
    assert out["r"].to_list() == [1 / 3, 2 / 3, 1.0, None]
    assert out["z"].to_list() == [-1.0, 0.0, 1.0, None]
    assert out["m"].to_list() == [-1.0, 0.0, 1.0, None]
    assert out["n"].to_list() == [-0.5, 0.5, 0.0, None]


def test_mask_reads_another_instrument() -> None:
    dates = [dt.date(2021, 1, 4), dt.date(2021, 1, 5)]
    frame = pl.DataFrame({"date": dates * 2, "asset": ["A", "A", "SPY", "SPY"], "x": [1.0, 2.0, 10.0, 20.0]})
    out = compute(frame, {"f": "$x / Mask($x, 'spy')"}).sort("asset", "date")
    assert out["f"].to_list() == [0.1, 0.1, 1.0, 1.0]


@pytest.mark.parametrize(
    ("expr", "pos", "fragment"),
    [
        ("Meen($x, 5)", 0, "did you mean 'Mean'"),
        ("Mean($clse, 5)", 5, "unknown field '$clse'"),
        ("Mean($x)", 0, "Mean takes 2 arguments, got 1"),
        ("Mean($x, $x)", 9, "window of Mean must be a number"),
        ("Mean($x, 2.5)", 9, "must be an integer"),
        ("Mean($x, -1)", 9, "must be >= 0"),
        ("Skew($x, 2)", 9, "must be >= 3"),
        ("Quantile($x, 5, 2)", 16, "q of Quantile must be a number in [0, 1]"),
        ("CSNeutralize($x, 3)", 17, "needs a $field"),
        ("Mask($x, 3)", 9, "quoted instrument"),
        ("x + 1", 0, "did you mean '$x'"),
        ("Mean + 1", 0, "operator Mean needs arguments"),
    ],
)
def test_compile_errors(expr: str, pos: int, fragment: str) -> None:
    frame = pl.DataFrame({"date": [dt.date(2021, 1, 4)], "asset": ["A"], "x": [1.0]})
    with pytest.raises(ExpressionError) as exc:
        compute(frame, {"f": expr})
    assert exc.value.pos == pos, str(exc.value)
    assert fragment in str(exc.value)
    assert "factor 'f'" in str(exc.value)


def test_unknown_field_suggests_the_nearest() -> None:
    frame = pl.DataFrame({"date": [dt.date(2021, 1, 4)], "asset": ["A"], "close": [1.0], "volume": [1.0]})
    with pytest.raises(ExpressionError, match=r"did you mean 'close'"):
        compute(frame, {"f": "$clsoe"})


def test_rolling_corr_cov_stay_on_the_two_pass_values_over_long_series() -> None:
    # the O(1) kernel keeps running sums around an anchor: over 20,000 rows of a trending,
    # rounded (ties, flat stretches) random walk it must not drift from the exact two-pass sums
    from rdq.factors import _kernels as K

    rng = np.random.default_rng(7)
    n = 20_000
    x = np.round(100 * np.exp(np.cumsum(rng.normal(0.001, 0.01, n))), 2)
    x[5000:5100] = x[5000]
    y = rng.normal(size=n) + 0.001 * x
    x[rng.random(n) < 0.02] = np.nan
    starts = np.array([0, 7000, n], dtype=np.int64)
    for w in (5, 20, 60):
        got_c = K.rolling_corr(x, y, starts, w)
        got_v = K.rolling_cov(x, y, starts, w)
        for i in range(0, n, 37):
            g = 0 if i < 7000 else 1
            lo = max(starts[g], i - w + 1)
            xs, ys = x[lo : i + 1], y[lo : i + 1]
            ok = ~(np.isnan(xs) | np.isnan(ys))
            xs, ys = xs[ok], ys[ok]
            if len(xs) < 2:
                assert np.isnan(got_c[i]) and np.isnan(got_v[i])
                continue
            if np.all(xs == xs[0]):  # flat: rounding noise or missing (qlib masks these rows)
                assert np.isnan(got_c[i]) or abs(got_c[i]) < 1e-9
                assert abs(got_v[i]) < 1e-9
                continue
            dx, dy = xs - xs.mean(), ys - ys.mean()
            assert abs(got_c[i] - (dx * dy).sum() / np.sqrt((dx * dx).sum() * (dy * dy).sum())) < 1e-9
            assert abs(got_v[i] - (dx * dy).sum() / (len(xs) - 1)) <= 1e-9 * max(1.0, abs(got_v[i]))
