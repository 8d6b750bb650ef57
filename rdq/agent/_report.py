"""``rdq research report RUN``: the one evaluation of a run on the sealed test span.

The first call trains the final model (SOTA model, base + accepted factors) and the base set alone (same model)
on the train span, scores the **test** span once, and records the figures, the time and the rdq commit in the
run folder (``report.json``) and the catalog. Every later call prints the recorded figures and says
"test span evaluated once on DATE"; ``--force`` re-evaluates and is recorded as forced.

JSON (a public contract)::

    {run_id, n_trials, n_screened, evaluated_at, forced, evaluations, message,
     test:      {ic, rank_ic, icir, arr, ir, mdd, ir_ci: [lo, hi], rank_ic_ci: [lo, hi]},
     base_test: {... the same for the base factor set alone ...},
     deflated_sharpe: the DSR (a probability) of the daily excess-return difference final - base, or null,
     deflated_sharpe_detail: {dsr, sr, sr0, n_trials, n_days},
     improvement: {objective, delta, lower, upper},
     significant: bool, verdict, html: path,
     accepted_test: [{name, rank_ic, rank_ic_ci, excludes_zero}], any_accepted_ic_significant: bool,
     planted: [{alpha, expression, best_factor, best_expression, rank_corr, base_factor, base_rank_corr,
                in_base, rediscovered}], rediscovered: count              (synthetic market only),
     oracle_test: {...}, oracle_rank_ic_ratio                                 (synthetic, alphas planted),
     knowledge_cutoff, memorisation_warning                                   (a run with an LLM)}

``memorisation_warning`` (text, else null) is set when the LLM's knowledge cutoff (from its config) is after
the test span's start on a user's panel: the model may have read that market history.

``significant`` is true only if the final library beats the base set on test in the run's objective: the paired
stationary-bootstrap interval of the improvement (IR objective: of the IR of the daily excess return; IC
objectives: of the daily IC series) excludes 0 **and** the deflated Sharpe ratio of the daily difference
(final - base of that series), deflated for ``n_trials`` candidates, is above 0.95.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rdq.agent._evaluate import LibraryEval, ResearchData, evaluate_library
from rdq.agent._honesty import finite_or_none as _f
from rdq.agent._state import RunFolder, find_run, read_json, write_json
from rdq.metrics import Metric, RiskSeries, metric_key, signal_key

__all__ = ["research_report", "report_summary", "memorisation_check", "SIGNIFICANCE_DSR"]

log = logging.getLogger(__name__)

#: the deflated Sharpe ratio (a probability) above which the improvement counts as significant
SIGNIFICANCE_DSR = 0.95

_SHORT = {
    Metric.IC.value: signal_key(Metric.IC),
    Metric.RANK_IC.value: signal_key(Metric.RANK_IC),
    Metric.ICIR.value: signal_key(Metric.ICIR),
    "arr": metric_key(RiskSeries.EXCESS_WITH_COST, Metric.ANNUALIZED_RETURN),
    "ir": metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO),
    "mdd": metric_key(RiskSeries.EXCESS_WITH_COST, Metric.MAX_DRAWDOWN),
}


def report_summary(ev: LibraryEval, *, n_per_year: int, seed: int = 0) -> dict[str, Any]:
    """``ic, rank_ic, icir, arr, ir, mdd`` of a test evaluation with ``ir_ci`` / ``rank_ic_ci`` (95% bootstrap)."""
    from rdq.agent._honesty import finite_mean
    from rdq.agent._stats import annualized_ir, bootstrap_ci

    out: dict[str, Any] = {k: _f(ev.metrics.get(v)) for k, v in _SHORT.items()}

    def ir(x: np.ndarray) -> float:
        x = x[np.isfinite(x)]
        return float(annualized_ir(x, n_per_year)) if len(x) > 1 else math.nan

    out["ir_ci"] = [_f(v) for v in bootstrap_ci(ev.daily, ir, seed=seed)]
    out["rank_ic_ci"] = [_f(v) for v in bootstrap_ci(ev.daily_rank_ic, finite_mean, seed=seed)]
    out["n_days"] = len(ev.dates)
    return out


def memorisation_check(cfg: Any, test_start: Any) -> dict[str, Any]:
    """``{knowledge_cutoff, memorisation_warning}`` of a run whose config names an LLM (``{}`` without one).

    The warning (text) is set when the test span starts before the end of the cutoff's month on a user's
    panel; on the synthetic market (alphas no model has seen) it is null and the cutoff is only reported.
    """
    import datetime as dt

    sec = getattr(cfg, "llm", None)
    if sec is None:
        return {}
    try:
        cutoff = sec.llm_config().knowledge_cutoff
    except Exception:  # noqa: BLE001 - a config file gone since the run: no cutoff to compare
        cutoff = None
    out: dict[str, Any] = {"knowledge_cutoff": cutoff, "memorisation_warning": None}
    if cutoff is None:
        return out
    parts = [int(x) for x in cutoff.split("-")]
    if len(parts) == 3:
        end = dt.date(*parts) + dt.timedelta(days=1)
    else:
        end = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)  # the first day after the month
    start = dt.date.fromisoformat(str(test_start))
    if start < end and cfg.data.synthetic is None:
        out["memorisation_warning"] = (
            f"the test span starts on {start}, before the knowledge cutoff of {sec.model} ({cutoff}): the model "
            "may have read this market's history, so its factors can be memories of what worked (look-ahead); "
            "the synthetic market (rdq research run --config synthetic) is the memorisation-free check"
        )
    return out


def _commit() -> str | None:
    import subprocess

    import rdq

    root = Path(rdq.__file__).resolve().parents[1]
    try:
        got = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        got = None
    if got is not None and got.returncode == 0 and got.stdout.strip():
        return got.stdout.strip()
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"rdq {version('rdq')}"
    except PackageNotFoundError:
        return None


def research_report(run: str, *, workspace: str | Path = ".", force: bool = False) -> dict[str, Any]:
    """The sealed test evaluation of ``run`` (computed once; see the module docstring)."""
    folder = find_run(workspace, run)
    if folder.report_file.is_file() and not force:
        rep: dict[str, Any] = read_json(folder.report_file)
        rep["message"] = f"test span evaluated once on {rep['evaluated_at']}; showing the recorded figures"
        return rep
    previous = read_json(folder.report_file) if folder.report_file.is_file() else None
    rep = _evaluate_test(folder, Path(workspace))
    rep["forced"] = previous is not None
    rep["evaluations"] = (int(previous.get("evaluations", 1)) + 1) if previous else 1
    from rdq.agent._loop import _store_path
    from rdq.store import Store
    from rdq.store._research import add_research_report

    at = add_research_report(
        Store(_store_path(Path(workspace))),
        folder.run_id,
        test=rep,
        forced=rep["forced"],
        commit=rep["commit"],
    )
    rep["evaluated_at"] = at.isoformat(timespec="seconds") + "Z"
    rep["message"] = (
        f"test span re-evaluated (--force, evaluation {rep['evaluations']}) on {rep['evaluated_at']}"
        if rep["forced"]
        else f"test span evaluated once on {rep['evaluated_at']}"
    )
    write_json(folder.report_file, rep)
    return rep


def _evaluate_test(folder: RunFolder, workspace: Path) -> dict[str, Any]:
    from rdq.agent._config import config_from_dict
    from rdq.agent._decide import objective_series
    from rdq.agent._loop import load_panel_for
    from rdq.agent._pyfactor import compute_codes
    from rdq.agent._stats import deflated_sharpe_ratio, paired_improvement_test
    from rdq.agent._types import ModelTask
    from rdq.errors import ConfigError
    from rdq.pipeline._config import SegmentSection

    cfg = config_from_dict(folder.config()["config"])
    st = folder.state()
    if st is None:
        raise ConfigError(f"run {folder.run_id} has no finished state yet; run or resume it first")
    seg = st["segments"]
    import datetime as dt

    def span(x: list[str]) -> tuple[dt.date, dt.date]:
        return dt.date.fromisoformat(str(x[0])), dt.date.fromisoformat(str(x[1]))

    segments = SegmentSection(span(seg["train"]), span(seg["valid"]), span(seg["test"]))
    panel = load_panel_for(cfg)
    data = ResearchData.build(
        panel, segments=segments, label_expr=cfg.label, strategy=cfg.strategy, sealed=False
    )
    model = ModelTask(**st["sota_model"])
    final = dict(cfg.base_factors) | {a["name"]: a["expression"] for a in st["accepted"]}

    values = compute_codes(data.panel, final, missing="skip")  # Python factors: in the sandbox, full panel

    def run(vals: pl.DataFrame, names: list[str]) -> LibraryEval:
        cols = [n for n in names if n in vals.columns]
        return evaluate_library(
            data, vals.select(["date", "asset", *cols]), model=model, strategy=cfg.strategy, metrics=cfg.metrics,
            objective=cfg.objective, span="test", seed=cfg.seed,
        )  # fmt: skip

    ev_final = run(values, list(final))
    ev_base = ev_final if final == dict(cfg.base_factors) else run(values, list(cfg.base_factors))
    honesty = _honesty_figures(cfg, data, values, st, model=model, run=run)
    n = cfg.metrics.n
    series, statistic = objective_series(cfg.objective)  # the run's objective decides, as in the loop
    a, b = getattr(ev_final, series), getattr(ev_base, series)
    diff = a - b
    n_trials = max(1, int(st["n_trials"]))
    dsr = deflated_sharpe_ratio(diff, n_trials=n_trials) if np.nanstd(diff) > 0 else None
    imp = paired_improvement_test(a, b, statistic=statistic, seed=cfg.seed)
    significant = bool(
        dsr is not None and math.isfinite(imp.lower) and imp.lower > 0 and dsr.dsr > SIGNIFICANCE_DSR
    )
    html = _write_html(folder, ev_final, ev_base, significant, honesty.pop("_daily_ic"))
    test = report_summary(ev_final, n_per_year=n, seed=cfg.seed)
    if "oracle_test" in honesty:
        final_ic, oracle_ic = test[Metric.RANK_IC.value], honesty["oracle_test"][Metric.RANK_IC.value]
        honesty["oracle_rank_ic_ratio"] = (
            _f(final_ic / oracle_ic) if final_ic is not None and oracle_ic else None
        )
    return {
        "run_id": folder.run_id,
        "n_trials": n_trials,
        "n_screened": int(st.get("n_screened", 0)),
        "accepted_factors": [a["name"] for a in st["accepted"]],
        "test": test,
        "base_test": report_summary(ev_base, n_per_year=n, seed=cfg.seed),
        "deflated_sharpe": None if dsr is None else _f(dsr.dsr),
        "deflated_sharpe_detail": None
        if dsr is None
        else {
            "dsr": _f(dsr.dsr),
            "sr": _f(dsr.sr),
            "sr0": _f(dsr.sr0),
            "n_trials": dsr.n_trials,
            "n_days": dsr.n_days,
        },
        "improvement": {
            "objective": cfg.objective,
            "delta": _f(imp.delta),
            "lower": _f(imp.lower),
            "upper": _f(imp.upper),
        },
        "significant": significant,
        "verdict": "the final library beats the base set on the test span, after deflation for the trials"
        if significant
        else "the run found nothing significant: the final library does not beat the base set on test "
        "once the number of trials is accounted for",
        "commit": _commit(),
        "html": str(html),
        "test_span": [str(segments.test[0]), str(segments.test[1])],
        **memorisation_check(cfg, segments.test[0]),
        **honesty,
    }


def _honesty_figures(
    cfg: Any, data: ResearchData, values: pl.DataFrame, st: dict[str, Any], *, model: Any, run: Any
) -> dict[str, Any]:
    """``accepted_test`` (each accepted factor's test Rank IC with its CI), ``any_accepted_ic_significant``;
    on the synthetic market ``planted`` (rediscovery) and ``oracle_test`` / ``oracle_rank_ic_ratio`` (the same
    model on the planted alphas' true expressions); ``_daily_ic`` (valid + test, for the plot)."""
    from rdq.agent._honesty import factor_ics, rediscovery
    from rdq.data import PLANTED_ALPHAS
    from rdq.factors import compute

    seg = data.segments
    names = [a["name"] for a in st["accepted"] if a["name"] in values.columns]
    _, acc = factor_ics(values, data.label, names, span=seg.test, seed=cfg.seed)
    daily, _ = factor_ics(values, data.label, names, span=(seg.valid[0], seg.test[1]), seed=cfg.seed)
    out: dict[str, Any] = {
        "accepted_test": acc,
        "any_accepted_ic_significant": any(a["excludes_zero"] for a in acc),
        "_daily_ic": daily,
    }
    syn = cfg.data.synthetic
    if syn is None:
        return out
    planted = {a.name: a.expr for a in PLANTED_ALPHAS}
    rows = rediscovery(
        data.panel, {a["name"]: a["expression"] for a in st["accepted"] if a.get("expression")}, planted
    )
    in_base = rediscovery(data.panel, dict(cfg.base_factors), planted)
    bound = float(cfg.checks.get("dup_corr", 0.7))
    for r, b in zip(rows, in_base, strict=True):  # an alpha the base set already carries cannot be "found"
        r["base_rank_corr"], r["base_factor"] = b["rank_corr"], b["best_factor"]
        r["in_base"] = b["rank_corr"] is not None and b["rank_corr"] >= bound
        r["rediscovered"] = not r["in_base"] and r["rank_corr"] is not None and r["rank_corr"] >= bound
    out["planted"] = rows
    out["rediscovered"] = sum(r["rediscovered"] for r in rows)
    if syn.alpha_scale != 0:
        oracle = run(compute(data.panel, planted), list(planted))
        out["oracle_test"] = report_summary(oracle, n_per_year=cfg.metrics.n, seed=cfg.seed)
    return out


def _write_html(
    folder: RunFolder, final: LibraryEval, base: LibraryEval, significant: bool, daily_ic: pl.DataFrame
) -> Path:
    """report.html + report.png: the objective per round, the cumulative test excess return and each accepted
    factor's daily Rank IC (20-day mean) over the validation and test spans."""
    import html as _html

    from matplotlib.figure import Figure

    rounds = folder.rounds()
    fig = Figure(figsize=(10, 10))
    ax1, ax2, ax3 = fig.subplots(3, 1)
    xs = [r["round"] for r in rounds]
    ys = [r["decision"]["value"] if r["decision"]["value"] is not None else np.nan for r in rounds]
    acc = [r["decision"]["accepted"] for r in rounds]
    # SOTA after each round: the accepted candidate's value, else the SOTA the round was compared with
    sota = [
        (y if a else (r["decision"]["sota_value"] if r["decision"]["sota_value"] is not None else np.nan))
        for y, a, r in zip(ys, acc, rounds, strict=True)
    ]
    ax1.plot(xs, sota, drawstyle="steps-post", label="SOTA after the round (validation)")
    from matplotlib.ticker import MaxNLocator

    ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.scatter(
        xs, ys, c=["tab:green" if a else "tab:gray" for a in acc], label="candidate (green: accepted)"
    )
    ax1.set_title("objective per round (validation span)")
    ax1.set_xlabel("round")
    ax1.legend(loc="best")
    ax2.plot(final.dates, np.nancumsum(final.daily), label="final library")
    ax2.plot(base.dates, np.nancumsum(base.daily), label="base set")
    ax2.set_title("cumulative excess return with cost (test span, evaluated once)")
    ax2.legend(loc="best")
    names = [c for c in daily_ic.columns if c != "date"]
    for name in names[:12]:
        ax3.plot(
            daily_ic["date"].to_list(), daily_ic[name].rolling_mean(20, min_samples=5).to_numpy(), label=name
        )
    if names:
        ax3.axvline(final.dates[0], color="black", linestyle=":", label="test span starts")
        ax3.axhline(0.0, color="gray", linewidth=0.5)
        ax3.legend(loc="best", fontsize=7)
    ax3.set_title("accepted factors: daily Rank IC with the label, 20-day mean (validation, then test)")
    fig.tight_layout()
    png = folder.path / "report.png"
    fig.savefig(png, dpi=90)
    rows = "".join(
        f"<tr><td>{r['round']}</td><td>{r['branch']}</td><td>{'yes' if r['decision']['accepted'] else 'no'}</td>"
        f"<td>{_html.escape(r['decision']['explanation'])}</td></tr>"
        for r in rounds
    )
    text = (
        f"<html><head><meta charset='utf-8'><title>research {_html.escape(folder.run_id)}</title></head><body>"
        f"<h1>Research run {folder.run_id}</h1><p>significant: <b>{significant}</b></p>"
        f"<img src='report.png'><h2>Rounds</h2><table border=1><tr><th>round</th><th>branch</th>"
        f"<th>accepted</th><th>decision</th></tr>{rows}</table></body></html>"
    )
    from rdq.pipeline._cache import atomic_write_text

    out = folder.path / "report.html"
    atomic_write_text(out, text)
    return out
