"""render_charts draws outside pyplot: a notebook's backend (inline plots) survives a tear sheet."""

from __future__ import annotations

import datetime as dt

import matplotlib
import numpy as np
import polars as pl

from rdq.report import CHARTS, TearSheet, render_charts


def test_render_charts_keeps_the_callers_backend() -> None:
    n = 30
    rng = np.random.default_rng(0)
    ret = rng.normal(0.0005, 0.01, n)
    records = pl.DataFrame(
        {
            "date": [dt.date(2021, 1, 4) + dt.timedelta(days=i) for i in range(n)],
            "account": 1e6 * np.cumprod(1 + ret),
            "return": ret,
            "cost": np.zeros(n),
            "turnover": np.full(n, 0.1),
            "bench": np.zeros(n),
        }
    )
    before = matplotlib.get_backend()
    matplotlib.use("svg")  # any backend but Agg: the old render_charts switched every caller to Agg
    try:
        import matplotlib.pyplot as plt

        open_figures = plt.get_fignums()
        images = render_charts(TearSheet(records, {"turnover": 0.1}))
        assert matplotlib.get_backend() == "svg"
        assert plt.get_fignums() == open_figures  # nothing left open in pyplot either
    finally:
        matplotlib.use(before)
    assert set(images) == set(CHARTS) - {"ic", "quantiles"}
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in images.values())
