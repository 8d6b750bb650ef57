"""Alpha158: rdq's expression engine vs qlib's Alpha158 handler, same data, one run.

For each dataset (the shared S&P 500 file and a synthetic random-walk market), the panel is written
to qlib's binary format, then timed through

* qlib: ``qlib.contrib.data.handler.Alpha158`` with no processors (raw features), default kernels;
* rdq: ``rdq.factors.compute(panel, load_library("alpha158"), precision="qlib")`` (after a tiny
  warm-up call that loads the numba kernels), best of ``--repeat`` runs (timeit's convention: the
  least-disturbed run; qlib's single run is dominated by computation, and a second qlib run would hit
  its in-memory expression cache);

and the script prints both times, the speed ratio and the largest relative difference between the
two outputs (over values both report; the count of differing missing positions too).

Measured 2026-11-24 on the 2-core box, quiet (qlib with its default joblib kernels, rdq warm numba
cache, best of 3)::

    sp500        505 assets x 1225 days (619,040 rows):   qlib 48.94 s   rdq 1.23 s  ratio 39.9x  max rel diff 5.75e-07
    synthetic   1000 assets x 2500 days (2,500,000 rows): qlib 101.08 s  rdq 4.08 s  ratio 24.7x  max rel diff 5.53e-06

(no NaN-position mismatches in either). Timings vary by 30-50% run to run with the machine's load;
the same day, before the work listed below, the same run gave 33.5x / 20.0x (rdq 1.54 s / 5.34 s),
and in the morning 30.7x / 17.6x. What took rdq's synthetic time from 5.3 s to 4.1 s:

* the NaN->null UDF was ``is_elementwise``: polars' streaming engine then called it once per
  ~100k-row morsel, 4,000 GIL-bound calls that serialised the two threads (-15%);
* Sum/Mean/Std/Var of one input over several windows (Alpha158's 5/10/20/30/60 families) run as
  one multi-window kernel pass, bit-identical to the single-window kernels (55 Sum/Mean and 30 Std
  passes -> 11 and 6);
* only shared sub-expressions that run a kernel become temporary columns (5 column stages -> 2,
  i.e. fewer points where one thread waits for the other);
* kernel results keep NaN until an operator tells NaN from null; each field is rounded to
  float32 once (qlib precision) instead of at every use.

About 40% of rdq's CPU time on this VM is the kernel zeroing fresh pages (each 20 MB column
touched for the first time costs ~8 ms of system time here); allocator tuning (glibc ``mallopt``,
jemalloc ``_RJEM_MALLOC_CONF``, transparent huge pages) changed it by under 5% and was not kept.

Usage::

    .venv/bin/python benchmarks/alpha158_vs_qlib.py                       # full size (slow: qlib)
    .venv/bin/python benchmarks/alpha158_vs_qlib.py --sp500-assets 100 --assets 200 --days 1000
    .venv/bin/python benchmarks/alpha158_vs_qlib.py --data MY.parquet     # your data (+ the synthetic one)
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from _data import SP500, add_data_option, data_path, load_bench_panel  # benchmarks/_data.py

FIELDS = ["open", "high", "low", "close", "volume", "vwap"]


def sp500_panel(n_assets: int | None, path: Path = SP500) -> pl.DataFrame:
    """``path`` (default: the shared S&P 500 file); without vwap, vwap = (high + low + close) / 3."""
    p = load_bench_panel(path, n_assets=n_assets)
    if "vwap" not in p.columns:
        p = p.with_columns(((pl.col("high") + pl.col("low") + pl.col("close")) / 3).alias("vwap"))
    return p.select("date", "asset", *FIELDS)


def synthetic_panel(n_assets: int, n_days: int, seed: int = 0) -> pl.DataFrame:
    """A random-walk market (numpy), asset names SYN0000..."""
    rng = np.random.default_rng(seed)
    dates = pl.date_range(pl.date(2000, 1, 3), pl.date(2040, 1, 1), "1d", eager=True)
    dates = dates.filter(dates.dt.weekday() <= 5)[:n_days]
    ret = rng.normal(0.0003, 0.02, (n_assets, n_days))
    close = 50 * np.exp(np.cumsum(ret, axis=1))
    open_ = close * np.exp(rng.normal(0, 0.01, close.shape))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.008, close.shape)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.008, close.shape)))
    volume = np.round(rng.lognormal(13, 0.5, close.shape))
    return pl.DataFrame(
        {
            "date": np.tile(dates.to_numpy(), n_assets),
            "asset": np.repeat([f"SYN{i:04d}" for i in range(n_assets)], n_days),
            "open": open_.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "volume": volume.ravel(),
            "vwap": ((high + low + close) / 3).ravel(),
        }
    ).with_columns(pl.col("date").cast(pl.Date))


def compare(ours: pl.DataFrame, theirs: pl.DataFrame, names: list[str]) -> tuple[float, int]:
    j = ours.join(theirs, on=["date", "asset"], how="inner", suffix="_q")
    worst, nan_mismatch = 0.0, 0
    for n in names:
        a = j[n].cast(pl.Float64).fill_null(np.nan).to_numpy()
        b = j[n + "_q"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        na, nb = np.isnan(a), np.isnan(b)
        nan_mismatch += int((na != nb).sum())
        ok = ~na & ~nb & (a != b)
        if ok.any():
            with np.errstate(all="ignore"):
                rel = np.abs(a[ok] - b[ok]) / np.abs(b[ok])
            worst = max(worst, float(np.nanmax(rel)))
    return worst, nan_mismatch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_option(ap)
    ap.add_argument("--sp500-assets", type=int, default=0, help="first N assets of --data (0 = all)")
    ap.add_argument("--assets", type=int, default=1000, help="synthetic assets")
    ap.add_argument("--days", type=int, default=2500, help="synthetic days")
    ap.add_argument("--repeat", type=int, default=3, help="rdq runs per dataset (the best is reported)")
    ap.add_argument("--qlib-kernels", type=int, default=0, help="qlib joblib workers (0 = qlib's default)")
    args = ap.parse_args()
    logging.getLogger("qlib").setLevel(logging.WARNING)

    from rdq.data import write_qlib_dir
    from rdq.factors import compute, load_library

    lib = load_library("alpha158")
    datasets = {}
    path = data_path(args.data)
    if path is not None:
        datasets["sp500" if path == SP500 else path.stem] = sp500_panel(args.sp500_assets or None, path)
    datasets["synthetic"] = synthetic_panel(args.assets, args.days)
    datasets = {
        k: v.with_columns([pl.col(c).cast(pl.Float32).cast(pl.Float64) for c in FIELDS]).sort(["asset", "date"])
        for k, v in datasets.items()
    }
    tmp = Path(tempfile.mkdtemp(prefix="rdq-bench-"))
    both = pl.concat(list(datasets.values()))
    qdir = write_qlib_dir(both, tmp / "qlib")

    import qlib
    from qlib.contrib.data.handler import Alpha158

    kw = {"kernels": args.qlib_kernels} if args.qlib_kernels else {}
    qlib.init(provider_uri=str(qdir), region="us", **kw)
    compute(datasets["synthetic"].head(200), lib, precision="qlib")  # numba warm-up (cached kernels)

    for name, panel in datasets.items():
        assets = panel["asset"].unique().sort().to_list()
        t0 = time.perf_counter()
        h = Alpha158(
            instruments=assets,
            start_time=str(panel["date"].min()),
            end_time=str(panel["date"].max()),
            infer_processors=[],
            learn_processors=[],
        )
        q = h.fetch(col_set="feature").reset_index()
        t_qlib = time.perf_counter() - t0
        theirs = (
            pl.from_pandas(q).rename({"datetime": "date", "instrument": "asset"}).with_columns(pl.col("date").cast(pl.Date))
        )
        t_rdq = float("inf")
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            ours = compute(panel, lib, precision="qlib")
            t_rdq = min(t_rdq, time.perf_counter() - t0)
        worst, nan_mismatch = compare(ours, theirs, list(lib))
        n_assets, n_rows = len(assets), panel.height
        print(
            f"{name:10s} {n_assets:5d} assets x {n_rows // max(n_assets, 1):5d} days ({n_rows:,} rows): "
            f"qlib {t_qlib:8.2f} s   rdq {t_rdq:7.2f} s   ratio {t_qlib / t_rdq:6.1f}x   "
            f"max rel diff {worst:.2e}   NaN mismatches {nan_mismatch}",
            flush=True,
        )


if __name__ == "__main__":
    main()
