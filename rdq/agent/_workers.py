"""The functions the loop runs in worker processes (module-level, so a process pool or Ray can pickle them).

Each takes ``(shared, item)``: ``shared`` is sent to a worker once per map (the panel), ``item`` is one unit
of work. A candidate that crashes the interpreter, hangs or eats memory takes only its worker down
(:mod:`rdq.agent._executor` records it as failed), never the loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from rdq.agent._evaluate import LibraryEval, ResearchData, evaluate_library
from rdq.agent._types import Candidate, CheckResult, ModelTask
from rdq.pipeline._config import MetricsSection, StrategySection
from rdq.sandbox import Limits

__all__ = ["LibraryJob", "library_worker", "screen_worker", "check_worker", "ScreenShared", "CheckShared"]


@dataclass(frozen=True)
class LibraryJob:
    """One pipeline evaluation: the factor set (name -> expression or Python factor source) and the model.

    ``limits``: the sandbox's, for the Python factors and a generated model module (``UserModule``).
    """

    factors: dict[str, str]
    model: ModelTask
    strategy: StrategySection
    metrics: MetricsSection
    objective: str
    seed: int = 0
    limits: Limits | None = None


def library_worker(shared: ResearchData, job: LibraryJob) -> LibraryEval:
    """Compute ``job.factors`` on the (sealed) panel and evaluate them with ``job.model`` on the validation span.

    Python factors run in the sandbox (:func:`rdq.agent._pyfactor.compute_codes`) on the same sealed panel.
    """
    from rdq.agent._pyfactor import compute_codes

    values = compute_codes(shared.panel, dict(job.factors), missing="skip", limits=job.limits)
    return evaluate_library(
        shared,
        values,
        model=job.model,
        strategy=job.strategy,
        metrics=job.metrics,
        objective=job.objective,
        span="valid",
        seed=job.seed,
        limits=job.limits,
    )


@dataclass(frozen=True)
class ScreenShared:
    """The train-span panel and label that expressions (and Python factors, sandboxed) are screened on."""

    panel: pl.DataFrame
    label: pl.DataFrame
    span: tuple[Any, Any]
    limits: Limits | None = None


def screen_worker(shared: ScreenShared, exprs: Mapping[str, str]) -> dict[str, dict[str, float] | None]:
    """Train-span IC and Rank IC of each expression (``None``: it failed)."""
    from rdq.agent._checks import screen_factors

    return screen_factors(
        shared.panel, dict(exprs), label=shared.label, dates=shared.span, limits=shared.limits
    )


@dataclass(frozen=True)
class CheckShared:
    """The debug slice and the values of the reference factors (base + accepted) on it; ``limits``: the
    sandbox's for Python factors."""

    slice: pl.DataFrame
    reference: pl.DataFrame | None
    config: Any
    reference_exprs: Mapping[str, str] | None = None
    limits: Limits | None = None


def check_worker(shared: CheckShared, candidate: Candidate) -> tuple[CheckResult, ...]:
    """Every check of a factor candidate on the debug slice (:func:`rdq.agent._checks.check_factor`)."""
    from rdq.agent._checks import check_factor

    return check_factor(
        candidate, shared.slice, reference_values=shared.reference, config=shared.config,
        reference_exprs=shared.reference_exprs, limits=shared.limits,
    )  # fmt: skip


def novelty_worker(shared: CheckShared, exprs: Sequence[str]) -> list[float | None]:
    """Max |rank corr| of each expression with the reference factors on the debug slice."""
    from rdq.agent._checks import novelty

    return novelty(shared.slice, shared.reference, exprs, limits=shared.limits)


def same_round_worker(shared: CheckShared, exprs: Sequence[str]) -> list[tuple[int, float] | None]:
    """Which candidates of a round copy an earlier one (:func:`rdq.agent._checks.same_round_copies`)."""
    from rdq.agent._checks import same_round_copies

    return same_round_copies(shared.slice, exprs, float(shared.config.dup_corr), limits=shared.limits)


def chunks(items: Sequence[Any], n: int) -> list[list[Any]]:
    """``items`` split into ``n`` nearly equal consecutive parts (no empty part)."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, i = [], 0
    for k in range(n):
        j = i + size + (1 if k < extra else 0)
        out.append(list(items[i:j]))
        i = j
    return [c for c in out if c]
