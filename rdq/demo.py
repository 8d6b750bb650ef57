"""``rdq demo``: the main job on the embedded default data.

Runs the demo scenario (``backtests/demo.yaml``) on the seeded synthetic market: Alpha158 -> LightGBM
(qlib's benchmark settings) -> top-50 dropout-5 backtest with costs -> tear sheet, then the signal
report of the Alpha158 factors and a check that the engine rediscovers every planted alpha at the
strength the simulation put in. Everything lands in the workspace (``.rdq/``): the run folder with
records, scores, report.html, and the DuckDB catalog with the run and every factor's metrics.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from rdq.resources import builtin_file

if TYPE_CHECKING:
    from rdq.pipeline import ScenarioConfig

__all__ = ["DemoConfig", "DemoResult", "DEMO_SCENARIO", "demo_scenario", "run_demo", "register"]

log = logging.getLogger(__name__)

#: the scenario the demo runs: the built-in ``demo`` (``backtests/demo.yaml``; installed: ``rdq/_builtin/backtests``)
DEMO_SCENARIO = builtin_file("backtests", "demo")
_WARMUP_DAYS = 60  # Alpha158's longest window


@dataclass(frozen=True)
class DemoConfig:
    """Settings of the demo.

    Attributes
    ----------
    workspace:
        Project folder; outputs go to ``<workspace>/.rdq/``.
    n_assets, n_days, seed:
        Size and seed of the synthetic market (``None``: as ``backtests/demo.yaml`` says).
    top:
        How many Alpha158 factors to show, by absolute Rank IC.
    progress:
        Report progress (:mod:`rdq.progress`: bars on a terminal, else INFO log lines).
    """

    workspace: Path = Path(".")
    n_assets: int | None = None
    n_days: int | None = None
    seed: int | None = None
    top: int = 12
    progress: bool = True


@dataclass
class DemoResult:
    """What the demo produced: paths, timings and the summary figures."""

    paths: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    backtest: dict[str, Any] = field(default_factory=dict)
    planted: list[dict[str, Any]] = field(default_factory=list)
    top_factors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def demo_scenario(config: DemoConfig) -> ScenarioConfig:
    """``backtests/demo.yaml`` with the market size/seed of ``config``.

    When the number of days changes, the segments are re-cut on the synthetic calendar: after a
    60-day warm-up, 60% train, 20% valid, 20% test.
    """
    from rdq.data import synth_market
    from rdq.pipeline import SegmentSection, load_scenario

    scn = load_scenario(DEMO_SCENARIO)
    spec = scn.data.synthetic
    assert spec is not None, "backtests/demo.yaml must use the synthetic market"
    new = dataclasses.replace(
        spec,
        assets=config.n_assets or spec.assets,
        days=config.n_days or spec.days,
        seed=spec.seed if config.seed is None else config.seed,
    )
    if new == spec:
        return scn
    scn = dataclasses.replace(scn, data=dataclasses.replace(scn.data, synthetic=new))
    if new.days != spec.days:
        dates = synth_market(n_assets=2, n_days=new.days, seed=new.seed).panel["date"].unique().sort().to_list()
        usable = dates[_WARMUP_DAYS:]
        a, b = int(len(usable) * 0.6), int(len(usable) * 0.8)
        segments = SegmentSection(
            train=(usable[0], usable[a - 1]), valid=(usable[a], usable[b - 1]), test=(usable[b], usable[-1])
        )
        scn = dataclasses.replace(scn, segments=segments)
    return scn


def _signal_tables(
    factors: pl.DataFrame, label: pl.DataFrame, panel: pl.DataFrame, *, truth: dict[str, Any], top: int
) -> tuple[Any, Any, Table, Table, list[dict[str, Any]], list[dict[str, Any]]]:
    """Signal reports of the library and of the planted alphas, and their tables."""
    from rdq.factors import compute
    from rdq.signal import Metric, signal_report

    report = signal_report(factors, label, panel=panel, horizons=(1, 5, 20))
    # the truth's IC is measured once every planted alpha is defined (after the warm-up days)
    first = panel["date"].unique().sort()[int(truth["warmup_days"])]
    exprs = {a["name"]: a["expr"] for a in truth["alphas"]}
    planted = compute(panel, exprs).filter(pl.col("date") >= first)
    planted_report = signal_report(planted, label, horizons=())

    frame = report.to_frame()
    ranked = frame.with_columns(pl.col(Metric.RANK_IC.value).abs().alias("_abs"))
    best = ranked.sort("_abs", descending=True, nulls_last=True).head(top).drop("_abs")
    shown = (Metric.IC, Metric.RANK_IC, Metric.ICIR, Metric.RANK_ICIR, Metric.IC_TSTAT)
    table = Table(title=f"Alpha158 on the synthetic market: top {top} factors by |Rank IC|")
    table.add_column("factor")
    for m in shown:
        table.add_column(m.value, justify="right")
    for row in best.iter_rows(named=True):
        table.add_row(row["factor"], *(_fmt(row[m.value]) for m in shown))
    top_rows = best.select("factor", *(m.value for m in shown)).to_dicts()

    ptable = Table(title="Planted alphas: what the simulation put in, what the engine measures")
    for head in ("alpha", "expression", "target IC", "IC", "Rank IC", "t(IC)"):
        ptable.add_column(head, justify="left" if head in ("alpha", "expression") else "right")
    planted_rows = []
    targets = {a["name"]: a["target_ic"] for a in truth["alphas"]}
    for sig in planted_report.factors:
        row = {
            "name": sig.name,
            "expr": exprs[sig.name],
            "target_ic": targets[sig.name],
            Metric.IC.value: sig[Metric.IC],
            Metric.RANK_IC.value: sig[Metric.RANK_IC],
            Metric.IC_TSTAT.value: sig[Metric.IC_TSTAT],
        }
        planted_rows.append(row)
        ptable.add_row(
            sig.name, row["expr"], f"{row['target_ic']:.3f}", *(_fmt(row[m]) for m in (Metric.IC, Metric.RANK_IC, Metric.IC_TSTAT))
        )
    return report, planted_report, table, ptable, top_rows, planted_rows


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def run_demo(config: DemoConfig = DemoConfig(), *, console: Console | None = None) -> DemoResult:
    """Run the demo; returns paths, timings and figures (see :class:`DemoResult`)."""
    from rdq.data import synth_market
    from rdq.factors import load_library
    from rdq.pipeline import run_scenario
    from rdq.report import metrics_table
    from rdq.store import Store, default_store_path

    con = console or Console(quiet=True)
    out = DemoResult()
    scn = demo_scenario(config)
    spec, segments = scn.data.synthetic, scn.segments
    assert spec is not None and segments is not None, "backtests/demo.yaml: synthetic data with segments"
    con.print(
        f"[bold]rdq demo[/]: synthetic market {spec.assets} assets x {spec.days} days (seed {spec.seed}), "
        f"Alpha158 -> LightGBM -> top-{scn.strategy.topk} dropout-{scn.strategy.n_drop} backtest"
    )

    t0 = time.perf_counter()
    result = run_scenario(scn, workspace=config.workspace, progress=config.progress)
    out.seconds["scenario"] = time.perf_counter() - t0
    out.backtest = result.metrics
    out.paths.update(
        run_dir=str(result.run_dir),
        records=str(result.run_dir / "records.parquet"),
        report=str(result.report.html),
        factors=str(result.stage_files["factors"]),
        panel=str(result.stage_files["data"]),
    )
    con.print(metrics_table(result.metrics, title=f"Backtest on the test span {segments.test[0]} .. {segments.test[1]}"))

    t0 = time.perf_counter()
    panel = pl.read_parquet(result.stage_files["data"])
    factors = pl.read_parquet(result.stage_files["factors"])
    label = pl.read_parquet(result.stage_files["label"])
    truth = synth_market(n_assets=spec.assets, n_days=spec.days, seed=spec.seed).truth
    report, planted_report, table, ptable, out.top_factors, out.planted = _signal_tables(
        factors, label, panel, truth=truth, top=config.top
    )
    out.seconds["signal"] = time.perf_counter() - t0
    signal_path = result.run_dir / "alpha158_signal.parquet"
    report.to_frame().write_parquet(signal_path)
    out.paths["signal_report"] = str(signal_path)
    con.print(table)
    con.print(ptable)

    store_path = default_store_path(config.workspace) if Path(config.workspace).name != ".rdq" else Path(config.workspace) / "rdq.duckdb"
    with Store(store_path).transaction() as tx:
        fingerprint = tx.add_dataset(panel, source=f"synthetic:{spec}")
        tx.add_signal_report(report, dataset=fingerprint, expressions=load_library("alpha158"), library="alpha158")
        exprs = {a["name"]: a["expr"] for a in truth["alphas"]}
        tx.add_signal_report(planted_report, dataset=fingerprint, expressions=exprs, library="planted")
    out.paths["store"] = str(store_path)
    con.print(f"tear sheet: {result.report.html}\ncatalog: {store_path}   ({sum(out.seconds.values()):.0f} s in all)")
    return out


def register(app: typer.Typer) -> None:
    """Add ``rdq demo`` to the CLI."""

    @app.command("demo")
    def demo(
        workspace: Path = typer.Option(Path("."), help="Project folder; outputs go to WORKSPACE/.rdq/."),
        assets: int | None = typer.Option(None, help="Synthetic assets (default: as backtests/demo.yaml)."),
        days: int | None = typer.Option(None, help="Synthetic trading days (default: as backtests/demo.yaml)."),
        seed: int | None = typer.Option(None, help="Seed of the synthetic market."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON summary instead of tables."),
    ) -> None:
        """The main job on the embedded data: synthetic market -> Alpha158 -> LightGBM -> backtest -> reports."""
        cfg = DemoConfig(workspace=workspace, n_assets=assets, n_days=days, seed=seed, progress=True)
        result = run_demo(cfg, console=Console(quiet=as_json))
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
