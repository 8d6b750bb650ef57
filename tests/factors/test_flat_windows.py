"""Alpha158's ``STD*`` and ``WVMA*`` in windows where prices are flat: rdq against qlib and a slow reference.

qlib computes ``Std`` and ``Mean`` with pandas' online rolling algorithms (values added and removed
as the window moves). For many windows of identical values pandas returns an exact 0, but not for
all: on some (here: after a volatile walk, with zero volume, at a large price level) the residue
of the values that left the window remains, ``STD10``..``STD30`` ~1e-8 instead of 0; ``WVMA*``, a
std over a mean of such residues, then becomes a ratio of ~1e-17 terms. rdq's kernels return the
exact 0. This test pins what ``factors/README.md`` documents:

* missing positions are identical to qlib's on every row, flat or not (flat stretches with a NaN
  close, a missing day, zero volume, a flat first day where ``Std`` of one value is missing);
* every value equals qlib's (relative 1e-5) except where rdq is exactly 0, and there the window's
  valid inputs are all identical (a slow per-asset reference in numpy says so): 0 is the exact
  answer and qlib's value is float noise; rdq is exactly 0 on every flat window.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.factors import compute, load_library

pytestmark = [pytest.mark.slow]

N_DAYS = 160
FLAT = slice(60, 100)
WINDOWS = (5, 10, 20, 30, 60)
NAMES = [f"{k}{w}" for k in ("STD", "WVMA") for w in WINDOWS]


def _flat_panel() -> pl.DataFrame:
    """Random walks with a flat stretch (days 60..99) in several variants; float32-exact values."""
    rng = np.random.default_rng(11)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(N_DAYS)]
    frames = []

    def add(name: str, close: np.ndarray, volume: np.ndarray | None = None) -> None:
        vol = rng.uniform(1e5, 1e6, N_DAYS) if volume is None else volume
        frames.append(
            pl.DataFrame({"date": dates, "asset": name, "close": close, "volume": vol}).with_columns(
                open=pl.col("close"), high=pl.col("close"), low=pl.col("close"), vwap=pl.col("close")
            )
        )

    def walk() -> np.ndarray:
        return 40 * np.exp(np.cumsum(rng.normal(0, 0.02, N_DAYS)))

    c = walk()
    c[FLAT] = 42.0
    add("FLAT", c)  # flat; days 80..84 are removed below (a gap inside the flat stretch)
    for i in range(6):  # flat with one NaN close, after walks of several volatilities
        c = 40 * np.exp(np.cumsum(rng.normal(0, 0.01 * (i + 1), N_DAYS)))
        c[FLAT] = 42.0
        c[75 + i] = np.nan
        add(f"FLATNAN{i}", c)
    c = walk()
    c[FLAT] = 42.0
    v = rng.uniform(1e5, 1e6, N_DAYS)
    v[FLAT] = 0.0
    add("FLATZV", c, v)  # flat with zero volume
    c = walk()
    c[:30] = 42.0
    add("FLATSTART", c)  # flat from the first day (one observation: Std is missing)
    c = walk() * 1e3
    c[FLAT] = 42123.0
    add("BIGFLAT", c)
    add("WALK", walk())
    panel = pl.concat(frames).select("date", "asset", "open", "high", "low", "close", "volume", "vwap")
    panel = panel.filter(~((pl.col("asset") == "FLAT") & pl.col("date").is_between(dates[80], dates[84])))
    cols = ["open", "high", "low", "close", "volume", "vwap"]
    return panel.with_columns([pl.col(c).cast(pl.Float32).cast(pl.Float64) for c in cols]).sort("asset", "date")


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    pytest.importorskip("qlib")
    from rdq.data import write_qlib_dir

    panel = _flat_panel()
    qdir: Path = write_qlib_dir(panel, tmp_path_factory.mktemp("qlib_flat") / "us")
    import qlib
    from qlib.data import D

    qlib.init(provider_uri=str(qdir), region="us", kernels=1, joblib_backend="sequential")
    lib = load_library("alpha158")
    q = D.features(
        D.instruments("all"),
        [lib[n] for n in NAMES],
        start_time=str(panel["date"].min()),
        end_time=str(panel["date"].max()),
    )
    q.columns = NAMES
    theirs = (
        pl.from_pandas(q.reset_index())
        .rename({"datetime": "date", "instrument": "asset"})
        .with_columns(pl.col("date").cast(pl.Date), *[pl.col(n).cast(pl.Float64) for n in NAMES])
    )
    return {"panel": panel, "qlib": theirs, "reference": _reference(panel)}


def _reference(panel: pl.DataFrame) -> pl.DataFrame:
    """Slow reference on qlib's calendar (a missing day is NaN): the window inputs, and whether each is flat."""
    calendar = panel["date"].unique().sort().to_list()
    rows = []
    for asset in panel["asset"].unique().sort().to_list():
        p = panel.filter(pl.col("asset") == asset)
        present = dict(zip(p["date"].to_list(), zip(p["close"].to_list(), p["volume"].to_list(), strict=True), strict=True))
        first, last = p["date"].min(), p["date"].max()
        days = [d for d in calendar if first <= d <= last]
        close = np.array([present.get(d, (np.nan, np.nan))[0] for d in days], dtype=float)
        volume = np.array([present.get(d, (np.nan, np.nan))[1] for d in days], dtype=float)
        prev = np.concatenate([[np.nan], close[:-1]])
        with np.errstate(invalid="ignore", divide="ignore"):
            wv = np.abs(close / prev - 1) * volume
        for t, d in enumerate(days):
            if d not in present:
                continue
            row: dict[str, object] = {"date": d, "asset": asset}
            for w in WINDOWS:
                for key, x in (("STD", close), ("WVMA", wv)):
                    win = x[max(0, t - w + 1) : t + 1]
                    win = win[np.isfinite(win)]
                    row[f"{key}{w}_flat"] = bool(win.size >= 2 and np.ptp(win) == 0.0)
            rows.append(row)
    return pl.DataFrame(rows)


@pytest.mark.parametrize("precision", ["qlib", "float64"])
def test_missing_positions_identical_and_zeros_only_in_flat_windows(
    frames: dict[str, pl.DataFrame], precision: str
) -> None:
    lib = load_library("alpha158")
    ours = compute(frames["panel"], {n: lib[n] for n in NAMES}, precision=precision)  # type: ignore[arg-type]
    j = ours.join(frames["qlib"], on=["date", "asset"], how="inner", suffix="_q").join(
        frames["reference"], on=["date", "asset"], how="inner"
    )
    assert j.height == ours.height == frames["panel"].height
    noise_rows = 0
    for name in NAMES:
        a = j[name].fill_null(np.nan).to_numpy()
        b = j[name + "_q"].fill_null(np.nan).to_numpy()
        flat = j[name + "_flat"].to_numpy()
        na, nb = np.isnan(a), np.isnan(b)
        assert (na == nb).all(), f"{name}: missing positions differ at {j.filter(pl.Series(na != nb)).head(3)}"
        ok = ~na
        tol = 1e-5 if precision == "qlib" else 2e-4  # float64 mode: float32 noise of WVMA (factors/README)
        same = (a[ok] == b[ok]) | (np.abs(a[ok] - b[ok]) <= tol * np.abs(b[ok]))
        differ = np.flatnonzero(ok)[~same]
        # every disagreement is rdq's exact 0 on a window of identical values
        assert (a[differ] == 0.0).all(), f"{name}: rdq={a[differ][:3]} qlib={b[differ][:3]}"
        assert flat[differ].all(), f"{name}: a disagreement outside a flat window: {j[differ][:3]}"
        # and rdq is exactly 0 on every flat window
        assert (a[flat & ok] == 0.0).all(), f"{name}: not 0 on a flat window"
        noise_rows += differ.size
    # the case the README documents is really exercised: qlib's noise where rdq has 0
    assert noise_rows > 0
