"""qSQL templates: select / exec / update / delete."""

from __future__ import annotations

from typing import Any

from rdq.qlang._values import QError

__all__ = ["run_sql"]


def run_sql(interp: Any, n: Any, loc: dict[str, Any] | None) -> Any:
    raise QError("nyi")
