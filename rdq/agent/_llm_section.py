"""The research config's LLM sections: ``proposer``, ``coder`` and ``llm``.

::

    proposer: {factor: llm, model: optuna}   # gp | llm and optuna | llm; absent: llm where an llm is configured
    coder: {max_attempts: 3, workers: 2, language: auto}    # Co-STEER (factor proposer llm only)
    llm: openai:gpt-4o-mini                  # PROVIDER:MODEL, or a mapping:
    llm:
      model: openai:gpt-4o-mini              # PROVIDER:MODEL (what --llm takes)
      base_url: null                         # an OpenAI-compatible server (what --llm-base-url takes)
      config: null                           # a configs/llm file instead of the shipped <provider>.yaml
      budget_usd: 1.0                        # the run's hard caps (total over resumes)
      max_tokens: null
      knowledge_cutoff: "2023-10"            # any rdq.llm.LLMConfig setting overrides the file's

The offline loop (``gp`` factors, ``optuna`` models) is the default and needs none of these.
The LLM settings are read by :func:`rdq.llm.load_llm_config` (prices, cutoff, call settings): not
copied here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from rdq.errors import ConfigError

__all__ = [
    "ProposerSection",
    "CoderSection",
    "LLMSection",
    "FACTOR_PROPOSERS",
    "MODEL_PROPOSERS",
    "LANGUAGES",
    "parse_proposer",
    "parse_coder",
    "parse_llm",
    "llm_sections_from_dict",
]

FACTOR_PROPOSERS = ("gp", "llm")
MODEL_PROPOSERS = ("optuna", "llm")
LANGUAGES = ("expression", "python", "auto")
_PROPOSER = ("factor", "model")
_CODER = ("max_attempts", "workers", "language")
_LLM_OWN = ("model", "base_url", "config", "budget_usd", "max_tokens")
_RESOLVED: dict[str, Any] = {}


@dataclass(frozen=True)
class ProposerSection:
    """Which proposer each branch uses; ``None``: ``llm`` when an LLM is configured, else ``gp`` / ``optuna``."""

    factor: Literal["gp", "llm"] | None = None
    model: Literal["optuna", "llm"] | None = None

    def resolved(self, has_llm: bool) -> tuple[str, str]:
        """``(factor, model)`` proposer names for a run with (``has_llm``) or without an LLM."""
        return (self.factor or ("llm" if has_llm else "gp"), self.model or ("llm" if has_llm else "optuna"))


@dataclass(frozen=True)
class CoderSection:
    """The Co-STEER coder: attempts per task, tasks implemented in parallel, the factor language."""

    max_attempts: int = 3
    workers: int = 2
    language: Literal["expression", "python", "auto"] = "auto"


@dataclass(frozen=True)
class LLMSection:
    """The model of a run: ``model`` is ``PROVIDER:MODEL``; ``settings`` override the LLM config file's.

    Attributes
    ----------
    model:
        ``"openai:gpt-4o-mini"``, ``"ollama:llama3.1"``, ``"local:NAME"``, ...
    base_url:
        An OpenAI-compatible server's URL.
    config:
        A YAML file in ``configs/llm/``'s format used instead of the shipped ``<provider>.yaml``.
    budget_usd, max_tokens:
        The run's caps (``None``: no cap); the amount spent carries over a resume.
    settings:
        :class:`rdq.llm.LLMConfig` fields (``knowledge_cutoff``, ``timeout_s``, ``structured`` ...).
    """

    model: str
    base_url: str | None = None
    config: str | None = None
    budget_usd: float | None = None
    max_tokens: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def llm_config(self) -> Any:
        """The resolved :class:`rdq.llm.LLMConfig` (file prices and settings, then ``settings``).

        Raises
        ------
        ConfigError
            A malformed ``model``, a missing config file, an unknown or bad setting.
        """
        import json

        from rdq.llm import load_llm_config
        from rdq.llm._config import _fields  # noqa: PLC2701 - the LLM layer's own settings reader

        key = json.dumps([self.model, self.base_url, self.config, self.settings], sort_keys=True, default=str)
        if key not in _RESOLVED:  # resolved once per process (a model without a price warns once)
            cfg = load_llm_config(self.model, base_url=self.base_url, config=self.config)
            extra = _fields(dict(self.settings), "llm") if self.settings else {}
            _RESOLVED[key] = dataclasses.replace(cfg, **extra) if extra else cfg
        return _RESOLVED[key]

    def with_caps(self, *, budget_usd: float | None, max_tokens: int | None) -> LLMSection:
        """A copy whose caps are replaced where the argument is not ``None``."""
        return dataclasses.replace(
            self,
            budget_usd=self.budget_usd if budget_usd is None else float(budget_usd),
            max_tokens=self.max_tokens if max_tokens is None else int(max_tokens),
        )


def _fail(source: str, where: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {message}")


def _mapping(source: str, raw: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    from rdq.errors import did_you_mean

    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(source, where, f"expected a mapping with keys {list(keys)}, got {raw!r}")
    for k in raw:
        if k not in keys:
            raise _fail(
                source, f"{where}.{k}", f"unknown key{did_you_mean(str(k), keys)}; valid keys: {list(keys)}"
            )
    return dict(raw)


def _choice(source: str, value: Any, where: str, choices: tuple[str, ...]) -> Any:
    from rdq.errors import did_you_mean

    if value is None:
        return None
    if value not in choices:
        raise _fail(
            source, where, f"must be one of {list(choices)}{did_you_mean(str(value), choices)}, got {value!r}"
        )
    return value


def _int(source: str, value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(source, where, f"must be an integer >= {minimum}, got {value!r}")
    return int(value)


def parse_proposer(raw: Any, *, source: str) -> ProposerSection:
    """The ``proposer`` section (absent: both branches default)."""
    m = _mapping(source, raw, "proposer", _PROPOSER)
    return ProposerSection(
        factor=_choice(source, m.get("factor"), "proposer.factor", FACTOR_PROPOSERS),
        model=_choice(source, m.get("model"), "proposer.model", MODEL_PROPOSERS),
    )


def parse_coder(raw: Any, *, source: str) -> CoderSection:
    """The ``coder`` section (absent: 3 attempts, 2 workers, auto)."""
    m = _mapping(source, raw, "coder", _CODER)
    return CoderSection(
        max_attempts=_int(source, m.get("max_attempts", 3), "coder.max_attempts", 1),
        workers=_int(source, m.get("workers", 2), "coder.workers", 1),
        language=_choice(source, m.get("language", "auto"), "coder.language", LANGUAGES),
    )


def parse_llm(raw: Any, *, source: str) -> LLMSection | None:
    """The ``llm`` section: ``PROVIDER:MODEL`` or a mapping (see the module docstring); ``None`` when absent.

    The section is resolved once here (through :func:`rdq.llm.load_llm_config`) so a bad setting fails
    before the run starts.

    Raises
    ------
    ConfigError
        Unknown key, a missing ``model``, a bad cap or setting (names the file and the key).
    """
    import dataclasses as dc

    from rdq.errors import did_you_mean
    from rdq.llm import LLMConfig

    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"model": raw}
    if not isinstance(raw, Mapping):
        raise _fail(source, "llm", f"expected PROVIDER:MODEL or a mapping, got {raw!r}")
    settings_names = tuple(
        f.name for f in dc.fields(LLMConfig) if f.name not in ("provider", "model", "base_url")
    )
    allowed = (*_LLM_OWN, *settings_names)
    for k in raw:
        if k not in allowed:
            raise _fail(
                source, f"llm.{k}", f"unknown key{did_you_mean(str(k), allowed)}; valid keys: {list(allowed)}"
            )
    if not isinstance(raw.get("model"), str) or ":" not in raw["model"]:
        raise _fail(
            source, "llm.model", f"give PROVIDER:MODEL, e.g. openai:gpt-4o-mini, got {raw.get('model')!r}"
        )
    caps: dict[str, Any] = {}
    for key, kind in (("budget_usd", float), ("max_tokens", int)):
        v = raw.get(key)
        if v is not None and (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or v < 0
            or (kind is int and not isinstance(v, int))
        ):
            raise _fail(
                source,
                f"llm.{key}",
                f"must be a non-negative {'integer' if kind is int else 'number'} or null, got {v!r}",
            )
        caps[key] = None if v is None else kind(v)
    sec = LLMSection(
        model=raw["model"],
        base_url=None if raw.get("base_url") is None else str(raw["base_url"]),
        config=None if raw.get("config") is None else str(raw["config"]),
        settings={k: raw[k] for k in settings_names if k in raw},
        **caps,
    )
    try:
        sec.llm_config()
    except ConfigError as exc:
        raise _fail(source, "llm", str(exc)) from None
    return sec


def llm_sections_from_dict(d: Mapping[str, Any]) -> dict[str, Any]:
    """``proposer``, ``coder``, ``llm`` from a config's ``to_dict()`` form (absent keys: the defaults)."""
    p = d.get("proposer") or {}
    c = d.get("coder") or {}
    m = d.get("llm")
    return {
        "proposer": ProposerSection(factor=p.get("factor"), model=p.get("model")),
        "coder": CoderSection(**c) if c else CoderSection(),
        "llm": None
        if m is None
        else LLMSection(
            model=m["model"],
            base_url=m.get("base_url"),
            config=m.get("config"),
            budget_usd=m.get("budget_usd"),
            max_tokens=m.get("max_tokens"),
            settings=dict(m.get("settings") or {}),
        ),
    }
