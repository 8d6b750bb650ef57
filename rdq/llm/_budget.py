"""Token and dollar accounting with hard caps, saved with the run so a resume keeps what was spent."""

from __future__ import annotations

import math
from typing import Any

from rdq.errors import ConfigError
from rdq.llm._errors import BudgetExhausted

__all__ = ["Budget"]


def _cap(value: float | int | None, name: str) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise ConfigError(f"budget {name} must be a non-negative number or unset, got {value!r}")


class Budget:
    """What the model calls of a run may spend (``max_*``) and have spent (``used_*``); mutable.

    A cap is checked *before* each call (:meth:`check`), so one call can overshoot it by its own
    size; the run then stops between steps. ``None`` means no cap.

    Parameters
    ----------
    max_usd, max_tokens:
        Caps on dollars (from the config's price table) and on input + output tokens.
    used_usd, used_tokens, calls:
        What earlier calls spent (a resumed run passes the saved figures).
    used_input_tokens, used_output_tokens:
        The two parts of ``used_tokens`` (kept for the report; ``used_tokens`` is what the cap reads).

    Examples
    --------
    >>> b = Budget(max_tokens=100)
    >>> b.charge(input_tokens=60, output_tokens=40, usd=0.0)
    >>> b.exhausted
    True
    >>> Budget.from_dict(b.with_caps(max_usd=None, max_tokens=200).to_dict()).exhausted
    False
    """

    def __init__(
        self,
        *,
        max_usd: float | None = None,
        max_tokens: int | None = None,
        used_usd: float = 0.0,
        used_tokens: int = 0,
        calls: int = 0,
        used_input_tokens: int = 0,
        used_output_tokens: int = 0,
    ) -> None:
        _cap(max_usd, "max_usd")
        _cap(max_tokens, "max_tokens")
        self.max_usd = None if max_usd is None else float(max_usd)
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.used_usd = float(used_usd)
        self.used_tokens = int(used_tokens)
        self.calls = int(calls)
        self.used_input_tokens = int(used_input_tokens)
        self.used_output_tokens = int(used_output_tokens)

    @property
    def exhausted(self) -> bool:
        """Whether a cap is reached (``used >= max``)."""
        return (self.max_usd is not None and self.used_usd >= self.max_usd) or (
            self.max_tokens is not None and self.used_tokens >= self.max_tokens
        )

    def check(self) -> None:
        """Raise :class:`BudgetExhausted` when a cap is reached (call it before each model call)."""
        if self.max_usd is not None and self.used_usd >= self.max_usd:
            raise BudgetExhausted(
                f"the LLM budget is spent: ${self.used_usd:.4f} of ${self.max_usd:.4f} used in {self.calls} "
                "calls; the run stopped between steps with its state saved: resume it with a larger USD budget (llm.budget_usd)"
            )
        if self.max_tokens is not None and self.used_tokens >= self.max_tokens:
            raise BudgetExhausted(
                f"the LLM token budget is spent: {self.used_tokens} of {self.max_tokens} tokens used in "
                f"{self.calls} calls; the run stopped between steps with its state saved: resume it with a "
                "larger token budget (llm.max_tokens)"
            )

    def charge(self, *, input_tokens: int, output_tokens: int, usd: float) -> None:
        """Add one reply's usage (one call)."""
        self.used_input_tokens += int(input_tokens)
        self.used_output_tokens += int(output_tokens)
        self.used_tokens += int(input_tokens) + int(output_tokens)
        self.used_usd += float(usd)
        self.calls += 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (:meth:`from_dict` reads them back)."""
        return {
            "max_usd": self.max_usd,
            "max_tokens": self.max_tokens,
            "used_usd": self.used_usd,
            "used_tokens": self.used_tokens,
            "used_input_tokens": self.used_input_tokens,
            "used_output_tokens": self.used_output_tokens,
            "calls": self.calls,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Budget:
        """The budget :meth:`to_dict` wrote (missing keys take their defaults)."""
        known = (
            "max_usd",
            "max_tokens",
            "used_usd",
            "used_tokens",
            "calls",
            "used_input_tokens",
            "used_output_tokens",
        )
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ConfigError(f"saved LLM budget has unknown keys {unknown}; expected some of {list(known)}")
        return cls(**{k: d[k] for k in known if k in d})

    def with_caps(self, *, max_usd: float | None, max_tokens: int | None) -> Budget:
        """A copy with new caps and the same spending (resume with a larger budget)."""
        return Budget(
            max_usd=max_usd,
            max_tokens=max_tokens,
            used_usd=self.used_usd,
            used_tokens=self.used_tokens,
            calls=self.calls,
            used_input_tokens=self.used_input_tokens,
            used_output_tokens=self.used_output_tokens,
        )

    def __repr__(self) -> str:
        return (
            f"Budget(used_usd={self.used_usd:.6f}, used_tokens={self.used_tokens}, calls={self.calls}, "
            f"max_usd={self.max_usd}, max_tokens={self.max_tokens})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Budget) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable
