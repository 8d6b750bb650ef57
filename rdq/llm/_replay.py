"""A run repeated from its stored exchanges, without any model: same replies, so the same candidates."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from rdq.llm._budget import Budget
from rdq.llm._errors import LLMError, LLMRefusal
from rdq.llm._exchange import Exchange, as_request
from rdq.llm._structured import BaseModelT, structured_loop, with_instructions

__all__ = ["ReplayClient"]


class ReplayClient:
    """Serves stored exchanges through the :class:`~rdq.llm.LLMClient` interface.

    Each request takes the first unserved stored exchange with the same ``purpose`` and the same (redacted)
    messages, so requests made in parallel (the coder's tasks, in threads) get their own replies whatever
    order they arrive in; when no stored request is identical, the next unserved exchange in order, whose
    ``purpose`` must match. A stored failure is
    raised again as :class:`LLMError`, a stored refusal as :class:`LLMRefusal`, so the replayed run
    takes the same path. A budget is charged with the stored usage, so it stops where the original did.
    ``structured`` always takes the JSON path over the stored replies (a tool call's reply was stored
    as its arguments' JSON), with the same repairs.

    Parameters
    ----------
    exchanges:
        The original run's exchanges, in the order they were made (``Exchange.from_dict`` of the catalog rows).
    budget:
        Optional; checked before and charged after each served exchange.
    record:
        Called with each served exchange (the replayed run's own catalog).
    max_repairs:
        Repairs allowed in :meth:`structured` (the original run's ``cfg.max_repairs``).

    Attributes
    ----------
    calls:
        Always 0: no model is called. ``served`` counts the exchanges handed out.
    """

    def __init__(
        self,
        exchanges: Sequence[Exchange],
        *,
        budget: Budget | None = None,
        record: Callable[[Exchange], None] | None = None,
        max_repairs: int = 2,
    ) -> None:
        self.stored = tuple(exchanges)
        self.budget = budget
        self.record = record
        self.max_repairs = max_repairs
        self.calls = 0
        self.served = 0
        self._per_purpose: dict[str, int] = {}
        self._used = [False] * len(self.stored)
        self._lock = threading.Lock()

    def _next(self) -> int | None:
        """The first unserved stored exchange (``None``: all used)."""
        return next((i for i, used in enumerate(self._used) if not used), None)

    def _take(self, purpose: str, messages: Sequence[tuple[str, str]], n: int) -> Exchange:
        """Mark and return the exchange for this request (see the class docstring)."""
        request: tuple[dict[str, str], ...] | None
        try:
            request = as_request(messages)
        except Exception:  # noqa: BLE001 - a malformed message list: order only
            request = None
        with self._lock:
            hit = next(
                (
                    i for i, ex in enumerate(self.stored)
                    if not self._used[i] and ex.purpose == purpose and request is not None and ex.request == request
                ),
                None,
            )  # fmt: skip
            if hit is None:
                hit = self._next()
                if hit is None:
                    raise LLMError(
                        f"the replay has no reply for {purpose} #{n}: all {len(self.stored)} stored exchanges are "
                        "used; the replayed run asks more than the original (a different config or code?)"
                    )
                if self.stored[hit].purpose != purpose:
                    raise LLMError(
                        f"the replay has no reply for {purpose} #{n}: stored exchange {hit + 1} of "
                        f"{len(self.stored)} is for {self.stored[hit].purpose!r}; the replayed run asks in a "
                        "different order than the original (a different config or code?)"
                    )
            self._used[hit] = True
            self.served += 1
            self._per_purpose[purpose] = n
            return self.stored[hit]

    @property
    def remaining(self) -> int:
        """Stored exchanges not served yet."""
        return len(self.stored) - self.served

    def complete(self, messages: Sequence[tuple[str, str]], *, purpose: str) -> Exchange:
        """The next stored exchange (``messages`` are not compared: only the purpose).

        Raises
        ------
        LLMError
            ``"the replay has no reply for <purpose> #n"``: the stored exchanges ran out, or the next one
            was for another purpose (``n`` counts this purpose's requests, from 1). Also a stored failure.
        LLMRefusal
            The stored exchange was a refusal.
        BudgetExhausted
            A cap of ``budget`` is reached.
        """
        n = self._per_purpose.get(purpose, 0) + 1
        if self.budget is not None:
            self.budget.check()
        ex = self._take(purpose, messages, n)
        if self.budget is not None and (
            ex.error is None or ex.extra.get("cut")
        ):  # charged as the original was
            self.budget.charge(input_tokens=ex.input_tokens, output_tokens=ex.output_tokens, usd=ex.usd)
        if self.record is not None:
            self.record(ex)
        if ex.error is not None:
            raise LLMError(f"{purpose}: (replayed) the call failed: {ex.error}", exchange=ex)
        if ex.refusal:
            raise LLMRefusal(f"{purpose}: (replayed) the model refused ({ex.reply[:200]!r})", exchange=ex)
        return ex

    def structured(
        self, messages: Sequence[tuple[str, str]], schema: type[BaseModelT], *, purpose: str
    ) -> BaseModelT:
        """``schema`` from the stored replies, with the same repairs as the original run.

        A stored tool request that was rejected and made the original switch to JSON
        (``extra["fallback"]``) is passed over here the same way.
        """
        with self._lock:
            i = self._next()
            ex = None if i is None else self.stored[i]
            if i is not None and ex is not None and ex.purpose == purpose and ex.extra.get("fallback"):
                self._used[i] = True
                self.served += 1
            else:
                ex = None
        if ex is not None and self.record is not None:
            self.record(ex)
        return structured_loop(
            self.complete,
            with_instructions(messages, schema),
            schema,
            purpose=purpose,
            max_repairs=self.max_repairs,
        )
