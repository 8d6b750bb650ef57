"""Fast paths shared by the evaluator and assignment: long-atom arithmetic and comparison without dispatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rdq.qlang._values import A

__all__ = ["FAST", "MISSING", "LNULL"]

#: a dictionary default that no q value is
MISSING: Any = object()

_T1 = A(1, 1)
_F1 = A(1, 0)
_LMAX = 2**63
_LNULL = -_LMAX
LNULL = _LNULL


def _wrap7(v: int) -> A:
    if -_LMAX < v < _LMAX:
        return A(7, v)
    return A(7, ((v + _LMAX) % (2 * _LMAX)) - _LMAX)


def _add(a: int, b: int) -> A:
    if a == _LNULL or b == _LNULL:
        return A(7, _LNULL)
    v = a + b
    return A(7, v) if -_LMAX < v < _LMAX else _wrap7(v)


def _sub(a: int, b: int) -> A:
    if a == _LNULL or b == _LNULL:
        return A(7, _LNULL)
    v = a - b
    return A(7, v) if -_LMAX < v < _LMAX else _wrap7(v)


def _mul(a: int, b: int) -> A:
    if a == _LNULL or b == _LNULL:
        return A(7, _LNULL)
    v = a * b
    return A(7, v) if -_LMAX < v < _LMAX else _wrap7(v)


#: ``x op y`` of two long atoms' values (nulls propagate through + - *, which wrap as 64-bit integers)
FAST: dict[str, Callable[[int, int], Any]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "<": lambda a, b: _T1 if a < b else _F1,
    ">": lambda a, b: _T1 if a > b else _F1,
    "=": lambda a, b: _T1 if a == b else _F1,
    "<=": lambda a, b: _T1 if a <= b else _F1,
    ">=": lambda a, b: _T1 if a >= b else _F1,
    "<>": lambda a, b: _T1 if a != b else _F1,
    "&": lambda a, b: A(7, a if a < b else b),
    "|": lambda a, b: A(7, a if a > b else b),
}
