"""rdq's Alpha158 / Alpha360 against qlib's own handlers on the same data (the key test).

One qlib data folder holds two panels on the same calendar: 20 real S&P 500 stocks over 300 days
(including tickers with missing days and NaN prices) and a synthetic random walk with planted
edge cases (a flat price stretch, zero volume, a missing-days gap, NaN fields). qlib computes the
raw features through ``qlib.contrib.data.handler.Alpha158``/``Alpha360`` with no processors; rdq
computes ``load_library(...)`` with ``precision="qlib"``. Every column must match with relative
error <= 1e-5 and identical missing positions.

Documented difference: with ``precision="float64"`` (rdq's default) element-wise arithmetic runs
in float64 instead of qlib's float32, so factors that cancel nearly equal numbers (``CORR``,
``CORD``, ``WVMA``, ``VSUMD``: correlations near 0, ``|x/Ref(x,1) - 1|``) differ from qlib by
float32 rounding noise (up to ~1e-4 absolute); rdq's float64 values are the more accurate ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.factors import compute, load_library

from .conftest import random_walk_panel

pytestmark = [pytest.mark.slow]

FIELDS = ["open", "high", "low", "close", "volume", "vwap"]


def _sp500_slice(path: Path) -> pl.DataFrame:
    from rdq.data import load_panel

    p = load_panel(path, allow=["high_below_low"])  # AOS 2014-05-19 has high < low, as qlib reads it
    p = p.with_columns(((pl.col("high") + pl.col("low") + pl.col("close")) / 3).alias("vwap"))
    dates = p["date"].unique().sort()
    lo, hi = dates[100], dates[399]
    p = p.filter((pl.col("date") >= lo) & (pl.col("date") <= hi))
    # tickers with missing days or NaN prices in the window, then alphabetical ones
    counts = p.group_by("asset").agg(pl.len().alias("n"), pl.col("open").null_count().alias("nn"))
    odd = counts.filter((pl.col("n") < 300) | (pl.col("nn") > 0)).sort("asset")["asset"].to_list()[:4]
    rest = [a for a in p["asset"].unique().sort().to_list() if a not in odd][: 20 - len(odd)]
    return p.filter(pl.col("asset").is_in(odd + rest)).select("date", "asset", *FIELDS)


def _synthetic(dates: list) -> pl.DataFrame:
    p = random_walk_panel(8, len(dates), seed=7, dates=dates)
    idx = pl.int_range(pl.len()).over("asset")
    # a flat stretch: Std/Corr/Rsquare masking and zero-range candles
    p = p.with_columns(
        pl.when((pl.col("asset") == "SYN001") & idx.is_between(50, 70)).then(42.0).otherwise(pl.col(c)).alias(c)
        for c in ("open", "high", "low", "close", "vwap")
    )
    p = p.with_columns(
        pl.when((pl.col("asset") == "SYN002") & idx.is_between(30, 34)).then(0.0).otherwise(pl.col("volume")).alias("volume")
    )
    p = p.with_columns(
        pl.when((pl.col("asset") == "SYN003") & (idx == 40)).then(None).otherwise(pl.col("close")).alias("close")
    )
    # missing days inside an asset's history
    return p.filter(~((pl.col("asset") == "SYN004") & idx.is_between(100, 110)))


@pytest.fixture(scope="session")
def parity_data(sp500_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from rdq.data import write_qlib_dir

    real = _sp500_slice(sp500_path)
    synth = _synthetic(real["date"].unique().sort().to_list())
    panel = pl.concat([real, synth]).sort(["asset", "date"])
    # qlib stores float32: give rdq the same numbers
    panel = panel.with_columns([pl.col(c).cast(pl.Float32).cast(pl.Float64) for c in FIELDS])
    qdir = write_qlib_dir(panel, tmp_path_factory.mktemp("qlib") / "us")

    import qlib
    from qlib.contrib.data.handler import Alpha158, Alpha360

    qlib.init(provider_uri=str(qdir), region="us", kernels=1, joblib_backend="sequential")
    span = {"start_time": str(panel["date"].min()), "end_time": str(panel["date"].max())}
    out = {"panel": panel}
    for name, handler in (("alpha158", Alpha158), ("alpha360", Alpha360)):
        h = handler(instruments="all", infer_processors=[], learn_processors=[], **span)
        q = h.fetch(col_set="feature").reset_index()
        out[name] = (
            pl.from_pandas(q)
            .rename({"datetime": "date", "instrument": "asset"})
            .with_columns(pl.col("date").cast(pl.Date))
        )
    return out


def _compare(ours: pl.DataFrame, theirs: pl.DataFrame, names: list[str], *, rtol: float, atol: float) -> list[str]:
    j = ours.join(theirs, on=["date", "asset"], how="inner", suffix="_q")
    assert j.height == ours.height, "every rdq row must exist in qlib's output"
    bad = []
    for name in names:
        a = j[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        b = j[name + "_q"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        na, nb = np.isnan(a), np.isnan(b)
        if (na != nb).any():
            i = int(np.flatnonzero(na != nb)[0])
            bad.append(f"{name}: missing differs at {j['asset'][i]} {j['date'][i]}: rdq={a[i]} qlib={b[i]}")
            continue
        ok = ~na
        same = (a[ok] == b[ok]) | (np.abs(a[ok] - b[ok]) <= rtol * np.abs(b[ok]) + atol)
        if not same.all():
            i = int(np.flatnonzero(ok)[np.flatnonzero(~same)[0]])
            bad.append(f"{name}: {int((~same).sum())} values differ, e.g. rdq={a[i]!r} qlib={b[i]!r}")
    return bad


@pytest.mark.parametrize("library", ["alpha158", "alpha360"])
def test_library_equals_qlib_handler(parity_data: dict, library: str) -> None:
    lib = load_library(library)
    theirs = parity_data[library]
    assert [c for c in theirs.columns if c not in ("date", "asset")] == list(lib), "qlib's names and order"
    ours = compute(parity_data["panel"], lib, precision="qlib")
    assert ours.height == parity_data["panel"].height
    assert _compare(ours, theirs, list(lib), rtol=1e-5, atol=0.0) == []


def test_qlib_rows_beyond_ours_are_calendar_gaps(parity_data: dict) -> None:
    """qlib also reports the calendar days an asset misses inside its range; rdq keeps the panel's rows."""
    theirs = parity_data["alpha158"].select("date", "asset")
    extra = theirs.join(parity_data["panel"].select("date", "asset"), on=["date", "asset"], how="anti")
    assert extra.height > 0  # SYN004's gap and the real tickers' missing days
    assert "SYN004" in extra["asset"].to_list()


def test_float64_precision_close_to_qlib(parity_data: dict) -> None:
    lib = load_library("alpha158")
    ours = compute(parity_data["panel"], lib)  # float64
    # float32 rounding noise only (see the module docstring)
    assert _compare(ours, parity_data["alpha158"], list(lib), rtol=1e-5, atol=2e-4) == []
    exact = [n for n in lib if not n.startswith(("CORR", "CORD", "WVMA", "VSUMD"))]
    assert _compare(ours, parity_data["alpha158"], exact, rtol=1e-5, atol=0.0) == []


@pytest.mark.parametrize(("library", "n_skipped"), [("alpha158", 1), ("alpha360", 60)])
def test_library_without_vwap_equals_qlib_on_every_column_it_computes(
    parity_data: dict, library: str, n_skipped: int, tmp_path: Path
) -> None:
    """OHLCV data (the S&P 500 file has no vwap): the VWAP factors are skipped, the rest equal qlib's
    handler exactly as with vwap, through the streamed file ``rdq factors compute`` writes."""
    from rdq.factors import compute_to_parquet

    lib = load_library(library)
    res = compute_to_parquet(
        parity_data["panel"].drop("vwap"), lib, tmp_path / "f.parquet", precision="qlib", chunk_rows=1000
    )
    assert sorted(res.skipped) == sorted(n for n in lib if n.startswith("VWAP")) and len(res.skipped) == n_skipped
    ours = pl.read_parquet(res.path)
    assert ours.height == parity_data["panel"].height and res.chunks > 1
    assert _compare(ours, parity_data[library], list(res.factors), rtol=1e-5, atol=0.0) == []
