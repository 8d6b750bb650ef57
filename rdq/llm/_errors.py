"""The errors of the LLM layer: a failed call, a refusal, a spent budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdq.errors import RdqError

if TYPE_CHECKING:
    from rdq.llm._exchange import Exchange

__all__ = ["LLMError", "LLMRefusal", "BudgetExhausted"]


class LLMError(RdqError):
    """A model call that failed for good: retries used up, a reply that never validated, a replay gap.

    Parameters
    ----------
    message:
        What failed and the fix.
    exchange:
        The recorded exchange of the failed call, when there is one.
    """

    def __init__(self, message: str, *, exchange: Exchange | None = None) -> None:
        self.exchange = exchange
        super().__init__(message)


class LLMRefusal(LLMError):
    """The model declined (a refusal phrase, an empty reply, a content filter); ``exchange.refusal`` is true."""


class BudgetExhausted(RdqError):
    """A cap of the :class:`~rdq.llm.Budget` is reached; raised *before* a call, so no step is half done.

    Not an :class:`LLMError`: code that treats a failed call as a failed candidate must let this one
    through, so the run stops cleanly, saves its state and can resume with a larger budget.
    """
