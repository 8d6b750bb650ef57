"""Errors raised at rdq's boundaries.

Every error says *where* (file, row, column, position in an expression) and *what to do*
(the fix, or the nearest valid name).  The CLI prints them without a traceback and exits
with a non-zero code; library users can catch :class:`RdqError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "RdqError",
    "DataError",
    "SchemaError",
    "ValidationError",
    "ExpressionError",
    "ConfigError",
    "did_you_mean",
]


def did_you_mean(name: str, choices: Iterable[str], *, n: int = 1) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""`` when none is close.

    Examples
    --------
    >>> did_you_mean("Meen", ["Mean", "Max"])
    " (did you mean 'Mean'?)"
    """
    pool = list(choices)
    close = difflib.get_close_matches(name, pool, n=n, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)]
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"


class RdqError(Exception):
    """Base class of every error rdq raises on purpose.

    ``str(error)`` may span lines (an expression with a caret under the bad position);
    :meth:`one_line` is what the CLI prints: the same facts on one line.
    """

    def one_line(self) -> str:
        """The message on a single line (``rdq`` prints this to stderr and exits 2)."""
        return " ".join(part.strip() for part in str(self).splitlines() if part.strip())


class DataError(RdqError):
    """Bad input data: names the file, row and column where known, and the fix.

    Parameters
    ----------
    message:
        What is wrong.
    file, row, column:
        Where it is (any may be ``None``). ``row`` is 1-based in the source file's data rows.
    fix:
        What the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(self._render())

    def one_line(self) -> str:
        """``where: message; fix: ...`` on one line."""
        text = " ".join(part.strip() for part in self._render(sep="; fix: ").splitlines() if part.strip())
        return text

    def _render(self, *, sep: str = "\n  fix: ") -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = self.message
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.fix:
            text += f"{sep}{self.fix}"
        return text


class SchemaError(DataError):
    """A required column is missing or has the wrong type."""


class ValidationError(DataError):
    """A fatal data-quality problem (duplicate rows, non-positive prices, ...)."""


class ExpressionError(RdqError):
    """A factor expression that cannot be parsed or compiled.

    The message shows the expression with a caret under ``pos`` (0-based).
    """

    def __init__(self, message: str, *, expr: str, pos: int | None = None, hint: str = "") -> None:
        self.expr = expr
        self.pos = pos
        self.hint = hint
        self.message = message
        text = message + hint
        if pos is not None:
            text += f"\n  {expr}\n  {' ' * pos}^"
        super().__init__(text)

    def one_line(self) -> str:
        """The message, the hint and where: ``... (at character N of 'EXPR')`` on one line."""
        text = " ".join(part.strip() for part in (self.message + self.hint).splitlines() if part.strip())
        if self.pos is not None:
            text += f" (at character {self.pos + 1} of {self.expr!r})"
        return text


class ConfigError(RdqError):
    """A config file or option that cannot be used; names the key and the fix."""
