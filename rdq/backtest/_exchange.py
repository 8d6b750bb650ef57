"""Market rules and trading costs, as qlib's ``Exchange`` defines them (daily frequency).

One frozen dataclass holds everything the exchange decides: deal price, costs, lot size and price
limits. The presets :meth:`Exchange.cn` and :meth:`Exchange.us` are the two settings rdq checks
against qlib (see ``tests/backtest/test_qlib_parity.py``).

Cost of one deal (qlib's ``Exchange._calc_trade_info_by_order``)::

    cost = max(value * (open_cost | close_cost) + value * impact_cost * (value / (volume * price))**2, min_cost)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from rdq.errors import ConfigError

__all__ = ["Exchange", "DealPrice"]

DealPrice = Literal["close", "open"]


@dataclass(frozen=True)
class Exchange:
    """Deal price, costs, lot size and limits of a simulated exchange.

    Parameters
    ----------
    open_cost, close_cost:
        Cost rate of a buy / a sell, as a fraction of the traded value (0.0005 = 5 bps).
    min_cost:
        Minimum cost of one deal, in account currency.
    impact_cost:
        qlib's market-impact rate: adds ``impact_cost * (value / (volume * price))**2`` to the rate.
    trade_unit:
        Lot size in *unadjusted* shares (100 in China); ``None`` trades fractional shares. With an
        adjustment factor ``f`` (the panel's ``factor`` column, 1.0 if absent) the lot in adjusted shares
        is ``trade_unit / f``.
    limit_threshold:
        A stock whose ``change`` (close / previous close - 1) is ``>= limit_threshold`` cannot be bought
        and one ``<= -limit_threshold`` cannot be sold that day; ``None`` switches limits off.
    deal_price:
        Price of every deal: the day's ``close`` or ``open`` (a missing or non-positive open falls back to
        the close, as qlib does).
    """

    open_cost: float = 0.0005
    close_cost: float = 0.0015
    min_cost: float = 5.0
    impact_cost: float = 0.0
    trade_unit: int | None = 100
    limit_threshold: float | None = 0.095
    deal_price: DealPrice = "close"

    def __post_init__(self) -> None:
        for name in ("open_cost", "close_cost", "min_cost", "impact_cost"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name} must be a finite number >= 0, got {value!r} (costs cannot be negative)")
        if self.trade_unit is not None and (not isinstance(self.trade_unit, int) or self.trade_unit <= 0):
            raise ConfigError(
                f"trade_unit must be a positive integer or None, got {self.trade_unit!r}"
                " (use None / --trade-unit 0 to trade fractional shares)"
            )
        if self.limit_threshold is not None and not (
            math.isfinite(self.limit_threshold) and self.limit_threshold > 0
        ):
            raise ConfigError(
                f"limit_threshold must be > 0 or None, got {self.limit_threshold!r}"
                " (use None / --limit-threshold none to switch limits off)"
            )
        if self.deal_price not in ("close", "open"):
            raise ConfigError(f"deal_price must be 'close' or 'open', got {self.deal_price!r}")

    @classmethod
    def cn(cls, **overrides: object) -> Exchange:
        """China A-shares as in qlib's examples: lots of 100, limit 9.5%, 5 / 15 bps, minimum 5."""
        base: dict[str, object] = dict(
            open_cost=0.0005, close_cost=0.0015, min_cost=5.0, trade_unit=100, limit_threshold=0.095
        )
        base.update(overrides)
        return cls(**base)  # type: ignore[arg-type]

    @classmethod
    def us(cls, **overrides: object) -> Exchange:
        """US-style: fractional shares, no price limits, same cost rates as :meth:`cn`."""
        base: dict[str, object] = dict(
            open_cost=0.0005, close_cost=0.0015, min_cost=5.0, trade_unit=None, limit_threshold=None
        )
        base.update(overrides)
        return cls(**base)  # type: ignore[arg-type]

    def qlib_kwargs(self) -> dict[str, object]:
        """The ``exchange_kwargs`` that make qlib's backtest use these rules."""
        return {
            "freq": "day",
            "open_cost": self.open_cost,
            "close_cost": self.close_cost,
            "min_cost": self.min_cost,
            "impact_cost": self.impact_cost,
            "trade_unit": self.trade_unit,
            "limit_threshold": self.limit_threshold,
            "deal_price": self.deal_price,
        }
