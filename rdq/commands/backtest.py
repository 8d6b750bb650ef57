"""``rdq backtest``: top-k dropout on given scores (or, with ``--config``, a whole scenario file).

Contract (stable)::

    rdq backtest --data PANEL.parquet --scores SCORES.parquet --topk K --n-drop D
        [--open-cost --close-cost --min-cost --trade-unit --limit-threshold --deal-price close|open
         --account --benchmark ASSET|equal_weight|none --start DATE --end DATE] --out RECORDS.parquet [--json]

writes daily records ``date, account, return, cost, turnover, bench``; ``--json`` prints the metrics.
``--trade-unit 0`` and ``--limit-threshold none`` switch lots and limits off.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from rdq.commands.data import ALLOW_HELP
from rdq.errors import ConfigError, DataError

__all__ = ["register"]


class DealPriceOpt(StrEnum):
    CLOSE = "close"
    OPEN = "open"


def _read_table(path: Path, *, what: str) -> pl.DataFrame:
    if not path.exists():
        raise DataError(f"{what} file not found", file=str(path), fix="check the path")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pl.read_csv(path, try_parse_dates=True)
    except Exception as exc:  # noqa: BLE001 - polars/arrow raise several types
        raise DataError(f"cannot read {what}: {str(exc).splitlines()[0]}", file=str(path),
                        fix="pass a Parquet or CSV file") from None
    raise DataError(f"unsupported {what} file type {suffix!r}", file=str(path), fix="use .parquet or .csv")


def _load_panel(path: Path, *, allow: tuple[str, ...] = ()) -> pl.DataFrame:
    from rdq.data import load_panel

    return load_panel(path, allow=allow)


def check_topk_options(topk: int, n_drop: int) -> None:
    """``--topk`` >= 1 and 1 <= ``--n-drop`` <= ``--topk`` (:class:`ConfigError` naming the option)."""
    if topk < 1:
        raise ConfigError(f"--topk {topk}: must be at least 1 (the number of names held)")
    if n_drop < 1:
        raise ConfigError(
            f"--n-drop {n_drop}: must be at least 1 (qlib's n_drop=0 sells the whole book every other day); "
            "use --n-drop 1 for a slow turnover"
        )
    if n_drop > topk:
        raise ConfigError(
            f"--n-drop {n_drop} is more than --topk {topk}: a day cannot replace more names than it holds"
        )


def check_date_options(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
    """``--start``/``--end`` as dates, the end not before the start (:class:`ConfigError` naming the option)."""
    from rdq.data._dates import check_span, parse_date

    lo = None if start is None else parse_date(start, "--start")
    hi = None if end is None else parse_date(end, "--end")
    check_span(lo, hi, "--start/--end")
    return lo, hi


def _limit(text: str) -> float | None:
    if text.strip().lower() in ("none", "off", "0", ""):
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--limit-threshold {text!r}: expected a number like 0.095 or 'none'") from None
    return value


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def register(app: typer.Typer) -> None:
    """Add the top-level ``backtest`` command to ``app``."""

    @app.command("backtest")
    def backtest_cmd(
        data: Annotated[Path | None, typer.Option("--data", help="Panel file or folder (anything rdq data loads).")] = None,
        scores: Annotated[Path | None, typer.Option("--scores", help="Scores: Parquet/CSV with date, asset, score.")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Where to write the daily records (.parquet).")] = None,
        topk: Annotated[int, typer.Option("--topk", help="Names held.")] = 50,
        n_drop: Annotated[int, typer.Option("--n-drop", help="Names replaced per day (>= 1).")] = 5,
        open_cost: Annotated[float, typer.Option("--open-cost", help="Buy cost rate.")] = 0.0005,
        close_cost: Annotated[float, typer.Option("--close-cost", help="Sell cost rate.")] = 0.0015,
        min_cost: Annotated[float, typer.Option("--min-cost", help="Minimum cost per deal.")] = 5.0,
        trade_unit: Annotated[int, typer.Option("--trade-unit", help="Lot size in shares; 0: fractional.")] = 100,
        limit_threshold: Annotated[
            str, typer.Option("--limit-threshold", help="Price-limit move, e.g. 0.095; 'none': no limits.")
        ] = "0.095",
        deal_price: Annotated[DealPriceOpt, typer.Option("--deal-price", help="Deal at the close or the open.")] = DealPriceOpt.CLOSE,
        account: Annotated[float, typer.Option("--account", help="Initial cash.")] = 1e8,
        benchmark: Annotated[
            str,
            typer.Option(
                "--benchmark",
                help="Benchmark: an asset of the panel, 'equal_weight' (the panel's equal-weighted index), or 'none'.",
            ),
        ] = "none",
        start: Annotated[str | None, typer.Option("--start", help="First trading day (YYYY-MM-DD).")] = None,
        end: Annotated[str | None, typer.Option("--end", help="Last trading day (YYYY-MM-DD).")] = None,
        n_year: Annotated[int, typer.Option("--n", help="Trading days a year for annualising (qlib: 238).")] = 238,
        as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
        config: Annotated[
            Path | None, typer.Option("--config", help="Run a scenario end to end instead: a YAML file or a built-in name (demo, smoke: rdq configs list).")
        ] = None,
        workspace: Annotated[Path, typer.Option("--workspace", help="Workspace for --config runs.")] = Path(".rdq"),
        fresh: Annotated[bool, typer.Option("--fresh", help="With --config: recompute every stage.")] = False,
        allow: Annotated[list[str] | None, typer.Option("--allow", help=ALLOW_HELP)] = None,
    ) -> None:
        """Backtest top-k dropout on given scores, with qlib's exact semantics; write daily records."""
        if config is not None:
            from rdq.commands.scenario import run_scenario_cli

            raise typer.Exit(run_scenario_cli(config, workspace, as_json, fresh=fresh))
        missing = [name for name, v in (("--data", data), ("--scores", scores), ("--out", out)) if v is None]
        if missing:
            raise ConfigError(f"missing option(s) {', '.join(missing)} (or pass --config SCENARIO: a YAML file or a built-in name, see rdq configs list)")
        assert data is not None and scores is not None and out is not None
        # every option is checked before any file is read
        from rdq.data._validate import check_allow

        check_topk_options(topk, n_drop)
        lo, hi = check_date_options(start, end)
        allowed = check_allow(allow)
        if n_year < 1:
            raise ConfigError(f"--n {n_year}: must be at least 1 (trading days a year, e.g. 238 or 252)")
        from rdq.backtest._exchange import Exchange
        from rdq.backtest._topk import TopkDropout, backtest_topk

        exchange = Exchange(
            open_cost=open_cost,
            close_cost=close_cost,
            min_cost=min_cost,
            trade_unit=trade_unit or None,
            limit_threshold=_limit(limit_threshold),
            deal_price=deal_price.value,
        )
        strategy = TopkDropout(topk=topk, n_drop=n_drop)
        panel = _load_panel(data, allow=allowed)
        if panel.height:
            from rdq.data._dates import check_within

            first, last = panel["date"].min(), panel["date"].max()
            check_within(lo, hi, first, last, what="--start/--end", data=str(data))  # type: ignore[arg-type]
        score_frame = _read_table(scores, what="scores")
        bench = None if benchmark.strip().lower() in ("none", "") else benchmark
        from rdq.backtest import EQUAL_WEIGHT, EQUAL_WEIGHT_ASSET, equal_weight_index

        if bench == EQUAL_WEIGHT:
            panel = pl.concat([panel, equal_weight_index(panel)], how="diagonal_relaxed")
            bench = EQUAL_WEIGHT_ASSET
        res = backtest_topk(
            panel,
            score_frame,
            strategy,
            exchange=exchange,
            account=account,
            benchmark=bench,
            start=start,
            end=end,
            source=str(scores),
        )
        res.to_parquet(out)
        metrics = res.summarize(n=n_year)
        if as_json:
            payload = {k: _clean(v) for k, v in metrics.to_dict().items()}
            payload["records"] = str(out)
            payload["final_account"] = float(res.records["account"][-1])
            typer.echo(json.dumps(payload, indent=2))
            return
        table = Table(title=f"top-{topk} dropout {n_drop}: {metrics.n_days} days -> {out}")
        table.add_column("series")
        from rdq.metrics import Metric, RiskSeries

        shown = (Metric.ANNUALIZED_RETURN, Metric.INFORMATION_RATIO, Metric.MAX_DRAWDOWN, Metric.CALMAR)
        for m in shown:
            table.add_column(m.value, justify="right")
        for series in RiskSeries:
            ra = getattr(metrics, series.value)
            table.add_row(series.value, *(f"{ra[m]:.4f}" for m in shown))
        console = Console()
        console.print(table)
        console.print(f"mean turnover {metrics.turnover:.4f}, mean cost {metrics.cost:.6f}")
