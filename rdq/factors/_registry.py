"""Python factors: functions for what an expression cannot say.

>>> import polars as pl
>>> @register_factor("gap")
... def gap(panel: pl.DataFrame) -> pl.Expr:
...     return pl.col("open") / pl.col("close").shift(1).over("asset") - 1

A registered name is usable in :func:`rdq.factors.compute` as a whole expression (``{"g": "gap"}``)
or inside one (``"CSRank(gap)"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import polars as pl

from rdq.errors import ConfigError

__all__ = ["register_factor", "registered_factors", "unregister_factor", "PythonFactor"]

#: ``panel -> values``: a Series aligned with the panel rows or an expression over its columns
PythonFactor: TypeAlias = Callable[[pl.DataFrame], "pl.Series | pl.Expr"]

_REGISTRY: dict[str, PythonFactor] = {}


def register_factor(name: str, *, overwrite: bool = False) -> Callable[[PythonFactor], PythonFactor]:
    """Decorator registering ``fn(panel) -> pl.Series | pl.Expr`` under ``name``.

    The function receives the (asset, date)-sorted working panel (``date, asset`` and fields; rows
    for calendar gaps inside an asset's history are present with null fields) and must return a
    Series of the same length or an expression; it must only use data up to each row's date.

    Raises
    ------
    ConfigError
        ``name`` is not an identifier, or is taken and ``overwrite`` is False.
    """
    if not name.isidentifier():
        raise ConfigError(f"factor name {name!r} is not an identifier (letters, digits, _)")

    def wrap(fn: PythonFactor) -> PythonFactor:
        if name in _REGISTRY and _REGISTRY[name] is not fn and not overwrite:
            raise ConfigError(f"a Python factor named {name!r} is already registered; pass overwrite=True")
        _REGISTRY[name] = fn
        return fn

    return wrap


def unregister_factor(name: str) -> None:
    """Remove a registered factor (no error when absent)."""
    _REGISTRY.pop(name, None)


def registered_factors() -> dict[str, PythonFactor]:
    """A copy of the registry: name -> function."""
    return dict(_REGISTRY)
