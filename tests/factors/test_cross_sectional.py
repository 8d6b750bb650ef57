"""Cross-sectional operators composed with time-series ones (issue 9, section 1).

``CSRank(Ref($close, 5))`` used to run the ``Ref`` kernel under ``.over("date")``: polars called it
once per date with that date's few rows, while the kernel's asset boundaries index the whole
working frame, so it wrote far outside its buffers (``free(): corrupted unsorted chunks``,
SIGSEGV). ``CSRank(Corr(...))`` next to ``Corr(...)`` placed the shared ``Corr`` column in the
same stage as the ``Std`` column it reads (``unable to find column "__rdq_t0"``).

Each result is checked against the inner expression computed alone (the time-series path the
qlib parity tests cover) with the cross-sectional step done in pandas, per date.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from shared_data import shared_path

from rdq.errors import ExpressionError
from rdq.factors import compute
from rdq.factors._compile import REAL, CompileContext, compile_expr
from rdq.factors._compute import working_frame

from .conftest import random_walk_panel

#: every composition quoted in the issue, as (outer operator, inner expression)
ISSUE_CASES = [
    ("CSRank", "Ref($close,5)"),
    ("CSRank", "Mean($close,5)"),
    ("CSZScore", "Std($close,20)"),
    ("CSRank", "Mean(CSZScore($volume),5)"),
    ("CSRank", "Corr($close,$volume,10)"),
]


def _sp500_slice(n_assets: int = 5, n_days: int = 100) -> pl.DataFrame:
    path = shared_path("data", "sp500_5yr_daily.parquet")
    raw = pl.read_parquet(path).rename({"symbol": "asset"})
    raw = raw.with_columns(pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume"))
    assets = sorted(raw["asset"].unique().to_list())[:n_assets]
    return raw.filter(pl.col("asset").is_in(assets)).sort("asset", "date").group_by("asset", maintain_order=True).head(n_days)


def _cross_section(op: str, values: pd.Series, dates: pd.Series) -> np.ndarray:
    """The cross-sectional step, per date, in pandas (NaN = missing)."""
    grouped = values.groupby(dates.to_numpy())
    if op == "CSRank":
        out = grouped.rank(method="average") / grouped.transform("count")
    elif op == "CSZScore":
        out = (values - grouped.transform("mean")) / grouped.transform(lambda s: s.std(ddof=1))
    else:  # pragma: no cover - only the two operators above are used
        raise AssertionError(op)
    return out.to_numpy(dtype=float)


def _check_composed(panel: pl.DataFrame, op: str, inner: str) -> None:
    together = compute(panel, {"r": f"{op}({inner})"})
    alone = compute(panel, {"x": inner})
    expected = _cross_section(op, alone["x"].to_pandas().astype(float), alone["date"].to_pandas())
    got = together["r"].to_numpy().astype(float)
    assert np.isfinite(got).sum() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize(("op", "inner"), ISSUE_CASES)
def test_cross_sectional_over_time_series_on_sp500(op: str, inner: str) -> None:
    _check_composed(_sp500_slice(), op, inner)


@pytest.mark.parametrize(("op", "inner"), ISSUE_CASES)
def test_cross_sectional_over_time_series_with_gaps_and_short_assets(op: str, inner: str) -> None:
    panel = random_walk_panel(7, 90, seed=3)
    # calendar gaps inside some assets' ranges, one asset shorter than every window, NaNs
    panel = panel.filter(~((pl.col("asset") == "SYN001") & (pl.int_range(pl.len()).over("asset") % 7 == 3)))
    panel = panel.filter((pl.col("asset") != "SYN002") | (pl.int_range(pl.len()).over("asset") < 3))
    panel = panel.with_columns(
        pl.when(pl.int_range(pl.len()) % 11 == 5).then(None).otherwise(pl.col("close")).alias("close")
    )
    _check_composed(panel, op, inner)


def test_inner_expression_next_to_the_composed_one() -> None:
    # the forms the issue reports: with the inner expression as its own factor (shared), and
    # Corr's shared near-constant Std columns one stage before the shared Corr column
    panel = _sp500_slice()
    out = compute(panel, {"x": "Corr($close,$volume,10)", "c": "CSRank(Corr($close,$volume,10))"})
    expected = _cross_section("CSRank", out["x"].to_pandas().astype(float), out["date"].to_pandas())
    np.testing.assert_allclose(out["c"].to_numpy().astype(float), expected, rtol=1e-12, equal_nan=True)
    out = compute(panel, {"x": "Ref($close,5)", "a": "CSRank(Ref($close,5))"})
    expected = _cross_section("CSRank", out["x"].to_pandas().astype(float), out["date"].to_pandas())
    np.testing.assert_allclose(out["a"].to_numpy().astype(float), expected, rtol=1e-12, equal_nan=True)


def test_mask_of_a_time_series_expression() -> None:
    panel = random_walk_panel(4, 40, seed=5)
    out = compute(panel, {"m": "Mask(Ref($close,2),'SYN001')"})  # Ref used once: not shared
    alone = compute(panel, {"r": "Ref($close,2)"})
    ref = alone.filter(pl.col("asset") == "SYN001").select("date", pl.col("r").alias("want"))
    joined = out.join(ref, on="date", how="left")
    assert joined["want"].drop_nulls().len() > 0
    np.testing.assert_array_equal(joined["m"].to_numpy().astype(float), joined["want"].to_numpy().astype(float))


def test_kernel_given_a_window_of_rows_is_an_error_not_a_crash() -> None:
    # what the compiler must never build: a kernel under .over("date"). The kernel refuses a
    # column that is not the whole working frame (before this guard: out-of-bounds writes)
    panel = random_walk_panel(5, 30, seed=0)
    work, starts = working_frame(panel)
    ctx = CompileContext(fields=frozenset({"close"}), starts=starts, max_len=30)
    expr = compile_expr("Ref($close,5)", ctx)
    with pytest.raises((ExpressionError, pl.exceptions.PolarsError), match="time-series kernel was given 5 rows"):
        work.select(pl.when(pl.col(REAL)).then(expr).rank().over("date"))


def _cli(panel_path: Path, out: Path, *exprs: str) -> subprocess.CompletedProcess[str]:
    args = ["factors", "compute", "--data", str(panel_path), "--out", str(out)]
    for e in exprs:
        args += ["--expr", e]
    return subprocess.run(
        [sys.executable, "-c", "from rdq.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "exprs",
    [
        # inner expressions used once each (the crashing form)
        ("r=CSRank(Ref($close,5))", "m=CSRank(Mean($close,5))", "z=CSZScore(Std($close,20))",
         "n=CSRank(Mean(CSZScore($volume),5))"),
        ("x=Corr($close,$volume,10)", "c=CSRank(Corr($close,$volume,10))"),
        ("x=Ref($close,5)", "a=CSRank(Ref($close,5))"),
    ],
    ids=["alone", "corr-shared", "ref-shared"],
)
def test_cli_computes_the_issue_expressions(tmp_path: Path, exprs: tuple[str, ...]) -> None:
    panel = _sp500_slice().rename({"asset": "symbol"})
    path = tmp_path / "panel.parquet"
    panel.write_parquet(path)
    out = tmp_path / "f.parquet"
    proc = _cli(path, out, *exprs)
    # a native crash is a signal (negative return code), not an exception
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    frame = pl.read_parquet(out)
    assert frame.height == panel.height
    for e in exprs:
        name = e.split("=", 1)[0]
        assert frame[name].drop_nulls().len() > 0, name
