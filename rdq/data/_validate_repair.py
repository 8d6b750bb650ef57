"""Explicit repairs of a panel: :func:`repair_panel` (``rdq data validate --repair ACTION``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

import polars as pl

from rdq.data._validate_checks import _high_low_inconsistent
from rdq.data.schema import OPTIONAL_COLUMNS, PRICE_COLUMNS
from rdq.errors import ConfigError, did_you_mean

__all__ = ["RepairAction", "REPAIR_ACTIONS", "repair_panel"]

#: the logger of ``rdq.data._validate``, where this code lived (log lines keep their name)
log = logging.getLogger("rdq.data._validate")

RepairAction = Literal["duplicates", "high_low", "nan", "nonpositive"]
REPAIR_ACTIONS: tuple[str, ...] = ("duplicates", "high_low", "nan", "nonpositive")


def repair_panel(
    panel: pl.DataFrame,
    actions: Iterable[RepairAction | str],
    *,
    max_fill: int = 5,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Repair soft (and some fatal) problems, explicitly.

    Parameters
    ----------
    panel:
        A canonical panel sorted by ``(asset, date)`` (source order kept among duplicate keys).
    actions:
        Any of ``"duplicates"`` (drop duplicate ``(date, asset)`` rows keeping the last),
        ``"high_low"`` (raise high / lower low to bracket open and close),
        ``"nan"`` (forward-fill runs of at most ``max_fill`` missing values within an asset),
        ``"nonpositive"`` (blank non-positive prices), or ``"all"``.
    max_fill:
        Longest run of missing values that ``"nan"`` fills.

    Returns
    -------
    (panel, changes)
        The repaired panel and the number of rows/cells changed per action.
    """
    acts = list(actions)
    if "all" in acts:
        acts = list(REPAIR_ACTIONS)
    for a in acts:
        if a not in REPAIR_ACTIONS:
            raise ConfigError(
                f"unknown repair action {a!r}{did_you_mean(a, REPAIR_ACTIONS)}; "
                f"choose from {', '.join(REPAIR_ACTIONS)} or 'all'"
            )
    changes: dict[str, int] = {}
    if "duplicates" in acts:
        before = panel.height
        panel = panel.unique(subset=["asset", "date"], keep="last", maintain_order=True)
        changes["duplicates"] = before - panel.height
    if "nonpositive" in acts:
        n = int(
            panel.select(
                pl.sum_horizontal([(pl.col(c) <= 0).fill_null(False) for c in PRICE_COLUMNS]).sum()
            ).item()
        )
        panel = panel.with_columns(
            [pl.when(pl.col(c) <= 0).then(None).otherwise(pl.col(c)).alias(c) for c in PRICE_COLUMNS]
        )
        changes["nonpositive"] = n
    if "nan" in acts:
        fields = [c for c in (*PRICE_COLUMNS, "volume", *OPTIONAL_COLUMNS) if c in panel.columns]
        before_nulls = sum(panel[c].null_count() for c in fields)
        exprs = []
        for c in fields:
            isn = pl.col(c).is_null()
            run_len = pl.len().over("asset", isn.rle_id().over("asset"))
            exprs.append(
                pl.when(isn & (run_len <= max_fill))
                .then(pl.col(c).forward_fill().over("asset"))
                .otherwise(pl.col(c))
                .alias(c)
            )
        panel = panel.with_columns(exprs)
        changes["nan"] = before_nulls - sum(panel[c].null_count() for c in fields)
    if "high_low" in acts:
        bad = _high_low_inconsistent().fill_null(False)
        changes["high_low"] = int(panel.select(bad.sum()).item())
        panel = panel.with_columns(
            pl.when(pl.col("high").is_null())
            .then(None)
            .otherwise(pl.max_horizontal("high", "open", "close", "low"))
            .alias("high"),
            pl.when(pl.col("low").is_null())
            .then(None)
            .otherwise(pl.min_horizontal("low", "open", "close", "high"))
            .alias("low"),
        )
    log.info("repaired panel: %s", changes)
    return panel, changes
