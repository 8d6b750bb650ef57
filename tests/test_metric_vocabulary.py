"""The one vocabulary of metric names (rdq/metrics.py): public strings pinned, no raw metric-name literals
anywhere else in rdq/, one function per metric checked against hand-computed values."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import math
import re
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.backtest import RiskAnalysis, risk_analysis, summarize
from rdq.backtest import _metrics as bt
from rdq.metrics import (
    BACKTEST_METRICS,
    RISK_METRICS,
    SIGNAL_METRICS,
    Direction,
    EvalMetric,
    Metric,
    RiskSeries,
    decay_column,
    metric_key,
    metrics_markdown,
    signal_key,
)
from rdq.signal import _ic as sig
from rdq.signal import ic_summary
from rdq.store._schema import REPORT_METRIC_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rdq"
VOCABULARY = PACKAGE / "metrics.py"

#: the public strings: report columns, JSON keys, store columns, metrics.json keys. Never change them.
PUBLIC_NAMES = {
    "IC": "ic",
    "RANK_IC": "rank_ic",
    "ICIR": "icir",
    "RANK_ICIR": "rank_icir",
    "IC_TSTAT": "ic_tstat",
    "RANK_IC_TSTAT": "rank_ic_tstat",
    "IC_HIT_RATE": "ic_hit_rate",
    "RANK_IC_HIT_RATE": "rank_ic_hit_rate",
    "N_DAYS": "n_days",
    "TOP_RETURN": "top_return",
    "BOTTOM_RETURN": "bottom_return",
    "LONG_SHORT": "long_short",
    "LONG_SHORT_IR": "long_short_ir",
    "AUTOCORR": "autocorr",
    "TOP_TURNOVER": "top_turnover",
    "MEAN": "mean",
    "STD": "std",
    "ANNUALIZED_RETURN": "annualized_return",
    "INFORMATION_RATIO": "information_ratio",
    "MAX_DRAWDOWN": "max_drawdown",
    "CALMAR": "calmar",
    "TURNOVER": "turnover",
    "COST": "cost",
}

#: metric names that are also ordinary words of other vocabularies (the backtest records' ``cost`` and
#: ``turnover`` columns, ``mean``/``std`` fields of a summary, a dataset's ``n_days``): a bare literal of
#: one of these is not necessarily a metric, so the scan below flags them only inside a metric key
#: (``"excess_with_cost.mean"``)
GENERIC = frozenset({"mean", "std", "cost", "turnover", "n_days"})


# --------------------------------------------------------------------------- names


def test_public_names_never_change() -> None:
    assert {m.name: m.value for m in Metric} == PUBLIC_NAMES
    assert [s.value for s in RiskSeries] == ["excess_without_cost", "excess_with_cost", "absolute_with_cost"]
    assert [m.value for m in EvalMetric] == ["loss", "ic"]
    assert EvalMetric.IC == Metric.IC  # early stopping on "ic" watches the reported IC
    assert metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO) == "excess_with_cost.information_ratio"
    assert signal_key(Metric.RANK_IC) == "signal.rank_ic"
    assert decay_column(Metric.RANK_IC, 5) == "rank_ic_h5"
    with pytest.raises(ValueError, match="IC and RANK_IC only"):
        decay_column(Metric.ICIR, 5)


def test_groups_partition_the_vocabulary() -> None:
    assert len(set(SIGNAL_METRICS)) == len(SIGNAL_METRICS) == 15
    assert set(SIGNAL_METRICS) | set(RISK_METRICS) | set(BACKTEST_METRICS) == set(Metric)
    assert not set(SIGNAL_METRICS) & set(RISK_METRICS)
    # the store's frozen migration-1 columns are the signal metrics, in order
    assert REPORT_METRIC_COLUMNS == tuple(m.value for m in SIGNAL_METRICS)
    # a RiskAnalysis has one field per risk metric, in order
    assert tuple(f.name for f in dataclasses.fields(RiskAnalysis)) == tuple(m.value for m in RISK_METRICS)


def test_every_package_sees_the_same_class() -> None:
    import rdq.backtest
    import rdq.signal

    assert rdq.signal.Metric is Metric and rdq.backtest.Metric is Metric
    assert rdq.signal.SUMMARY_METRICS == SIGNAL_METRICS


def test_vocabulary_is_the_bottom_layer() -> None:
    """rdq.metrics imports nothing of rdq, so every package can import it without a cycle."""
    code = "import sys, rdq.metrics; print(sorted(m for m in sys.modules if m.startswith('rdq')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['rdq', 'rdq.metrics']"


def test_info_of_every_metric() -> None:
    for m in Metric:
        info = m.info
        assert info.label and info.description and info.computed_by, m
        assert isinstance(info.direction, Direction)
        for path in info.computed_by:  # every named function exists and is callable
            module, _, name = path.rpartition(".")
            assert callable(getattr(importlib.import_module(module), name)), path


def test_better_follows_the_direction() -> None:
    assert Metric.RANK_IC.better(0.05, 0.01) and not Metric.RANK_IC.better(0.01, 0.05)
    assert Metric.MAX_DRAWDOWN.better(-0.1, -0.2)  # drawdowns are <= 0: closer to 0 is better
    assert Metric.TURNOVER.better(0.1, 0.2) and Metric.TOP_TURNOVER.better(0.1, 0.2)
    assert not Metric.IC.better(math.nan, 0.0) and Metric.IC.better(0.0, math.nan)
    assert not Metric.IC.better(0.03, 0.03)
    with pytest.raises(ValueError, match="no direction"):
        Metric.N_DAYS.better(3, 2)


def test_markdown_table_is_in_the_architecture_doc() -> None:
    table = metrics_markdown()
    assert table.count("\n") == len(Metric) + 1
    assert "| `icir` | ICIR | higher |" in table and "`rdq.signal._ic.icir`" in table
    assert table in (ROOT / "docs" / "ARCHITECTURE.md").read_text(), (
        "docs/ARCHITECTURE.md must hold the output of rdq.metrics.metrics_markdown()"
    )


# --------------------------------------------------------------------------- no raw literals


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def _all_lists(tree: ast.AST) -> set[int]:
    """Constants inside ``__all__ = [...]`` (function names such as ``top_turnover`` are not metrics)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            out |= {id(c) for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
    return out


_NAMES = {m.value for m in Metric} | {s.value for s in RiskSeries}
_PREFIXES = "|".join(re.escape(p) for p in [*(s.value for s in RiskSeries), "signal"])
_KEY = re.compile(rf"^({_PREFIXES})\.({'|'.join(map(re.escape, sorted(_NAMES)))})?$")


def raw_metric_literals(source: str) -> list[tuple[int, str]]:
    """``(line, literal)`` of every string constant of code (not docstrings, not ``__all__``) that is a metric
    name (:data:`GENERIC` ones excepted), a risk-series name, or a metric key / key prefix."""
    tree = ast.parse(source)
    skip = _docstrings(tree) | _all_lists(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            v = node.value
            if (v in _NAMES and v not in GENERIC) or _KEY.match(v):
                hits.append((node.lineno, v))
    return sorted(hits)


def test_scanner_finds_what_it_must() -> None:
    """The scan below can fail: each kind of literal it forbids is found in a snippet."""
    snippet = '''
"""docstring mentioning "ic" and excess_with_cost.information_ratio is fine"""
__all__ = ["top_turnover"]
a = frame["rank_ic"]
b = {"max_drawdown": 1.0, "mean": 2.0}
c = m["excess_with_cost.mean"]
d = f"signal.{name}"
e = "excess_without_cost"
f = fill_null(strategy="mean")
'''
    assert raw_metric_literals(snippet) == [
        (4, "rank_ic"),
        (5, "max_drawdown"),
        (6, "excess_with_cost.mean"),
        (7, "signal."),
        (8, "excess_without_cost"),
    ]


def test_no_raw_metric_names_outside_the_vocabulary() -> None:
    """Metric names in rdq/ are Metric / RiskSeries members (or metric_key / signal_key), never literals."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == VOCABULARY:
            continue
        for line, value in raw_metric_literals(path.read_text()):
            found.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert not found, "use rdq.metrics constants instead of:\n" + "\n".join(found)


# --------------------------------------------------------------------------- one function per metric

# three days of a daily series, 0.1, -0.2, 0.3 (plus a null and a NaN that are skipped): by hand,
# mean = 1/15, deviations 1/30, -8/30, 7/30, var = 114/900 / 2 = 57/900, std = sqrt(57)/30,
# ICIR = (1/15) / (sqrt(57)/30) = 2/sqrt(57), t = ICIR * sqrt(3) = 2/sqrt(19), hit rate 2/3
DAILY = pl.Series([0.1, -0.2, None, 0.3, float("nan")])


def test_signal_statistics_by_hand() -> None:
    assert sig.icir(0.02, 0.1, 250) == pytest.approx(0.2, rel=1e-15)
    assert math.isnan(sig.icir(0.02, 0.1, 1)) and math.isnan(sig.icir(0.02, 0.0, 9))
    assert sig.t_stat(0.02, 0.1, 25) == pytest.approx(1.0, rel=1e-15)
    assert math.isnan(sig.t_stat(0.02, 0.0, 25))
    assert sig.hit_rate(3, 4) == 0.75 and math.isnan(sig.hit_rate(0, 0))
    assert sig.annualized_icir(0.01, 0.02, 10, days=252) == pytest.approx(0.5 * math.sqrt(252), rel=1e-15)

    s = sig.daily_summary(DAILY)
    assert s.n == 3 and s.mean == pytest.approx(1 / 15, rel=1e-14)
    assert s.std == pytest.approx(math.sqrt(57) / 30, rel=1e-14)
    assert s.ir == pytest.approx(2 / math.sqrt(57), rel=1e-14)
    assert s.tstat == pytest.approx(2 / math.sqrt(19), rel=1e-14)
    assert s.hit_rate == pytest.approx(2 / 3, rel=1e-15)
    assert ic_summary(DAILY) == s.to_dict()  # the public dict is the same summary
    one = sig.daily_summary(pl.Series([0.4]))
    assert one.mean == 0.4 and math.isnan(one.std) and math.isnan(one.ir) and one.hit_rate == 1.0


def test_ic_family_maps_summaries_to_metrics() -> None:
    a, b = sig.daily_summary(DAILY), sig.daily_summary(pl.Series([-0.1, -0.3]))
    m = sig.ic_family(a, b)
    assert m[Metric.ICIR] == a.ir and m[Metric.RANK_ICIR] == b.ir and m[Metric.RANK_IC] == pytest.approx(-0.2)
    assert m[Metric.RANK_IC_HIT_RATE] == 0.0 and m[Metric.N_DAYS] == 3


def test_signal_report_uses_the_same_functions() -> None:
    """ICIR, t-stat, hit rate and L-S IR of a report equal the functions applied to its own daily series."""
    from rdq.signal import signal_report

    rng = np.random.default_rng(3)
    dates = pl.date_range(pl.date(2021, 1, 1), pl.date(2021, 2, 28), eager=True)
    n = 12
    frame = pl.DataFrame(
        {"date": np.repeat(dates.to_numpy(), n), "asset": [f"A{i:02d}" for i in range(n)] * dates.len()}
    ).with_columns(pl.col("date").cast(pl.Date))
    x = rng.normal(size=frame.height)
    factors = frame.with_columns(pl.Series("f", x))
    label = frame.with_columns(pl.Series("label", 0.3 * x + rng.normal(size=frame.height)))
    rep = signal_report(factors, label, quantiles=3, horizons=())
    daily = rep.daily
    for metric, column in ((Metric.IC, Metric.IC), (Metric.RANK_IC, Metric.RANK_IC)):
        s = sig.daily_summary(daily[column])
        assert rep["f"][metric] == pytest.approx(s.mean, rel=1e-12)
    ic = sig.daily_summary(daily[Metric.IC])
    assert rep["f"][Metric.ICIR] == pytest.approx(sig.icir(ic.mean, ic.std, int(ic.n)), rel=1e-12)
    assert rep["f"][Metric.IC_TSTAT] == pytest.approx(sig.t_stat(ic.mean, ic.std, int(ic.n)), rel=1e-12)
    ls = sig.daily_summary(daily[Metric.LONG_SHORT])
    assert rep["f"][Metric.LONG_SHORT_IR] == pytest.approx(
        sig.annualized_icir(ls.mean, ls.std, int(ls.n), days=252), rel=1e-12
    )


R = np.array([0.01, -0.02, 0.03])


def test_risk_metrics_sum_mode_by_hand() -> None:
    # mean = 1/150; std = sqrt(57)/300 (the DAILY shape / 10); cumsum 0.01, -0.01, 0.02 -> drawdown -0.02
    assert bt.mean_return(R) == pytest.approx(1 / 150, rel=1e-14)
    assert bt.std_return(R) == pytest.approx(math.sqrt(57) / 300, rel=1e-14)
    assert bt.annualized_return(R, n=238) == pytest.approx(238 / 150, rel=1e-14)
    assert bt.information_ratio(R, n=238) == pytest.approx(2 / math.sqrt(57) * math.sqrt(238), rel=1e-14)
    assert bt.max_drawdown(R) == pytest.approx(-0.02, rel=1e-12)
    assert bt.calmar(R, n=238) == pytest.approx((238 / 150) / 0.02, rel=1e-12)
    assert math.isnan(bt.calmar(np.array([0.01, 0.02]), n=238))  # no drawdown
    assert math.isnan(bt.information_ratio(np.array([0.01, 0.01])))  # std 0
    assert all(math.isnan(f(np.array([]))) for f in (bt.mean_return, bt.std_return, bt.max_drawdown))


def test_risk_metrics_product_mode_by_hand() -> None:
    curve = [1.01, 1.01 * 0.98, 1.01 * 0.98 * 1.03]
    logs = [math.log(1.01), math.log(0.98), math.log(1.03)]
    assert bt.mean_return(R, mode="product") == pytest.approx(curve[-1] ** (1 / 3) - 1, rel=1e-12)
    assert bt.std_return(R, mode="product") == pytest.approx(statistics.stdev(logs), rel=1e-12)
    assert bt.annualized_return(R, n=252, mode="product") == pytest.approx(curve[-1] ** (252 / 3) - 1, rel=1e-12)
    assert bt.max_drawdown(R, mode="product") == pytest.approx(curve[1] / curve[0] - 1, rel=1e-12)
    assert bt.information_ratio(R, n=252, mode="product") == pytest.approx(
        (curve[-1] ** (1 / 3) - 1) / statistics.stdev(logs) * math.sqrt(252), rel=1e-12
    )


@pytest.mark.parametrize("mode", ["sum", "product"])
def test_risk_analysis_is_the_per_metric_functions(mode: str) -> None:
    r = np.random.default_rng(7).normal(0.0005, 0.01, size=300)
    ra = risk_analysis(r, n=252, mode=mode)  # type: ignore[arg-type]
    fns = {
        Metric.MEAN: lambda: bt.mean_return(r, mode=mode),  # type: ignore[arg-type]
        Metric.STD: lambda: bt.std_return(r, mode=mode),  # type: ignore[arg-type]
        Metric.ANNUALIZED_RETURN: lambda: bt.annualized_return(r, n=252, mode=mode),  # type: ignore[arg-type]
        Metric.INFORMATION_RATIO: lambda: bt.information_ratio(r, n=252, mode=mode),  # type: ignore[arg-type]
        Metric.MAX_DRAWDOWN: lambda: bt.max_drawdown(r, mode=mode),  # type: ignore[arg-type]
        Metric.CALMAR: lambda: bt.calmar(r, n=252, mode=mode),  # type: ignore[arg-type]
    }
    for metric in RISK_METRICS:
        assert ra[metric] == fns[metric](), metric  # bit for bit: the same functions
    with pytest.raises(KeyError, match="not a risk metric"):
        ra[Metric.IC]


def test_backtest_metric_keys() -> None:
    records = pl.DataFrame(
        {"return": [0.01, -0.02, 0.03], "cost": [0.001, 0.0, 0.002], "bench": [0.0, 0.01, 0.0], "turnover": [1.0, 0.0, 0.5]}
    )
    d = summarize(records).to_dict()
    expected = {metric_key(s, m) for s in RiskSeries for m in RISK_METRICS} | {m.value for m in BACKTEST_METRICS}
    assert set(d) == expected | {"mode", "n"}
    assert d[metric_key(RiskSeries.ABSOLUTE_WITH_COST, Metric.MEAN)] == pytest.approx((0.009 - 0.02 + 0.028) / 3)
    assert d[Metric.TURNOVER] == 0.5 and d[Metric.COST] == pytest.approx(0.001) and d[Metric.N_DAYS] == 3
