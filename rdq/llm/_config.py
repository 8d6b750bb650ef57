"""Which model, at what price, and how to build its langchain chat model.

``--llm PROVIDER:MODEL`` is read by :func:`load_llm_config`: the shipped ``configs/llm/<provider>.yaml``
(or a user file) gives the model's price per million tokens, its knowledge cutoff and the call
settings; :func:`make_chat_model` builds the chat model through ``langchain.chat_models.init_chat_model``.

A config file::

    provider: openai            # the langchain provider ("local" maps to openai + base_url)
    base_url: null              # an OpenAI-compatible server's URL (local.yaml sets one)
    defaults:                   # any LLMConfig field but provider / model
      timeout_s: 120
    free: false                 # true: every model costs 0 (ollama, local servers), no warning
    models:
      gpt-4o-mini: {price_input_per_mtok: 0.15, price_output_per_mtok: 0.60, knowledge_cutoff: "2023-10"}
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rdq import _yaml
from rdq.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["LLMConfig", "load_llm_config", "make_chat_model", "llm_config_dir"]

log = logging.getLogger(__name__)

_EXTRAS = {"openai": "openai", "anthropic": "anthropic", "ollama": "ollama"}
_CUTOFF = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
_DATED = re.compile(r"^-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$")
_FILE_KEYS = ("provider", "base_url", "defaults", "free", "models")
PLACEHOLDER_KEY = "not-needed"  # what a local OpenAI-compatible server gets when OPENAI_API_KEY is unset


@dataclass(frozen=True)
class LLMConfig:
    """One model and how it is called and charged.

    Attributes
    ----------
    provider, model:
        The langchain provider (``openai``, ``anthropic``, ``ollama``, ...) and the provider's model name.
    base_url:
        An OpenAI-compatible server (vLLM, llama.cpp server, LM Studio), e.g. ``http://127.0.0.1:8000/v1``.
    temperature:
        Sampling temperature (0: as repeatable as the provider allows).
    timeout_s:
        Per-attempt HTTP timeout.
    max_retries, backoff_s, max_backoff_s:
        Retries on 429 / 5xx / timeouts / connection errors, waiting ``backoff_s * 2**k`` (or the server's
        ``Retry-After``), at most ``max_backoff_s`` per wait.
    price_input_per_mtok, price_output_per_mtok:
        US dollars per million input / output tokens (0: cost not counted).
    knowledge_cutoff:
        ``"YYYY-MM"`` or ``"YYYY-MM-DD"``: the end of the model's training data, told to the user.
    structured:
        ``"tool"``: ``with_structured_output``; ``"json"``: JSON in the reply, validated and repaired;
        ``"auto"``: tool where the model supports tools, else json.
    max_repairs:
        How many times an invalid JSON reply is sent back with its validation error.
    max_output_tokens:
        Cap on each reply's length (``max_tokens`` of the provider); ``None``: the provider's default.
    """

    provider: str
    model: str
    base_url: str | None = None
    temperature: float = 0.0
    timeout_s: float = 120.0
    max_retries: int = 4
    backoff_s: float = 1.0
    price_input_per_mtok: float = 0.0
    price_output_per_mtok: float = 0.0
    knowledge_cutoff: str | None = None
    structured: Literal["auto", "json", "tool"] = "auto"
    max_repairs: int = 2
    max_output_tokens: int | None = None
    max_backoff_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.provider or not self.model:
            raise ConfigError(
                f"LLM config needs a provider and a model, got {self.provider!r}:{self.model!r}"
            )
        if self.structured not in ("auto", "json", "tool"):
            raise ConfigError(f"LLM config structured={self.structured!r}; use 'auto', 'json' or 'tool'")
        if self.knowledge_cutoff is not None and not _CUTOFF.match(self.knowledge_cutoff):
            raise ConfigError(
                f"LLM config knowledge_cutoff={self.knowledge_cutoff!r}; write it as YYYY-MM or YYYY-MM-DD"
            )
        for name in (
            "timeout_s",
            "backoff_s",
            "max_backoff_s",
            "price_input_per_mtok",
            "price_output_per_mtok",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"LLM config {name}={getattr(self, name)!r} must be >= 0")
        if self.max_retries < 0 or self.max_repairs < 0:
            raise ConfigError("LLM config max_retries and max_repairs must be >= 0")

    @property
    def spec(self) -> str:
        """``"provider:model"`` (what ``--llm`` takes)."""
        return f"{self.provider}:{self.model}"

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        """Dollars for this usage at the config's prices."""
        return (input_tokens * self.price_input_per_mtok + output_tokens * self.price_output_per_mtok) / 1e6

    @property
    def knowledge_note(self) -> str:
        """One sentence for the scenario about the cutoff (``""`` when the config gives none)."""
        if self.knowledge_cutoff is None:
            return ""
        return (
            f"The model {self.spec} was trained on data up to about {self.knowledge_cutoff}: it may remember "
            f"market history before then (a look-ahead risk on those dates) and knows nothing after it."
        )


def llm_config_dir() -> Path:
    """The folder of the shipped LLM configs (``configs/llm/``; ``rdq._builtin.configs.llm`` in a wheel)."""
    from rdq.resources import builtin_dir

    return builtin_dir("configs") / "llm"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = _yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read LLM config {path}: {e}") from e
    except Exception as e:  # yaml.YAMLError
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: an LLM config is a mapping with keys {list(_FILE_KEYS)}")
    unknown = [k for k in data if k not in _FILE_KEYS]
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}{did_you_mean(str(unknown[0]), _FILE_KEYS)}")
    return data


_FIELDS = {f.name: f for f in dataclasses.fields(LLMConfig)}


def _fields(raw: Any, where: str) -> dict[str, Any]:
    """Checked LLMConfig fields from a ``defaults`` or per-model mapping."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, got {raw!r}")
    out: dict[str, Any] = {}
    allowed = [n for n in _FIELDS if n not in ("provider", "model", "base_url")]
    for key, value in raw.items():
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown setting {key!r}{did_you_mean(str(key), allowed)}; use {allowed}"
            )
        if isinstance(value, _dt.date):  # YAML reads 2023-10-01 as a date
            value = value.isoformat()
        if key in ("temperature", "timeout_s", "backoff_s", "max_backoff_s") or key.startswith("price_"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
            value = float(value)
        elif key in ("max_retries", "max_repairs", "max_output_tokens"):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{where}.{key}: expected an integer, got {value!r}")
        elif key == "knowledge_cutoff" and value is not None:
            value = str(value)
        out[key] = value
    return out


def _lookup(models: dict[str, Any], model: str) -> tuple[str, Any] | None:
    """The entry for ``model``: exact, else a dated / ``-latest`` version of a listed name."""
    if model in models:
        return model, models[model]
    for name in sorted(models, key=len, reverse=True):
        if model.startswith(name) and _DATED.match(model[len(name) :]):
            return name, models[name]
    return None


def load_llm_config(spec: str, *, base_url: str | None = None, config: str | Path | None = None) -> LLMConfig:
    """The :class:`LLMConfig` for ``--llm PROVIDER:MODEL``.

    Parameters
    ----------
    spec:
        ``"openai:gpt-4o-mini"``, ``"anthropic:claude-3-5-haiku-20241022"``, ``"ollama:llama3.1"``,
        ``"local:NAME"`` (an OpenAI-compatible server at ``local.yaml``'s URL), ...
    base_url:
        An OpenAI-compatible server's URL (``--llm-base-url``); overrides the file's.
    config:
        A YAML file in the format above, used instead of the shipped ``configs/llm/<provider>.yaml``.

    Returns
    -------
    LLMConfig
        Prices and knowledge cutoff from the file; a model the file does not list gets price 0 and a
        logged warning that its cost is not counted (no warning for a ``free: true`` file).

    Raises
    ------
    ConfigError
        A malformed spec (names the ``PROVIDER:MODEL`` form) or a bad config file (names the key).
    """
    provider, sep, model = str(spec).strip().partition(":")
    provider, model = provider.strip().lower(), model.strip()
    if not sep or not provider or not model or not re.fullmatch(r"[a-z][a-z0-9_\-]*", provider):
        raise ConfigError(
            f"LLM {spec!r}: expected PROVIDER:MODEL, e.g. openai:gpt-4o-mini, anthropic:claude-3-5-haiku-20241022, "
            "ollama:llama3.1 (or openai:NAME with a base_url for an OpenAI-compatible server)"
        )
    if config is not None:
        path = Path(config).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"LLM config {path} does not exist; give a YAML file (see configs/llm/) or leave it out"
            )
        data = _read_yaml(path)
    else:
        path = llm_config_dir() / f"{provider}.yaml"
        data = _read_yaml(path) if path.is_file() else {}
    where = str(path)
    lc_provider = str(data.get("provider") or provider)
    url = base_url or data.get("base_url") or None
    kw = _fields(data.get("defaults"), f"{where}: defaults")
    models = data.get("models") or {}
    if not isinstance(models, dict):
        raise ConfigError(f"{where}: models must map a model name to its settings")
    found = _lookup(models, model)
    if found is not None:
        kw.update(_fields(found[1], f"{where}: models.{found[0]}"))
    elif not data.get("free"):
        log.warning(
            "no price for %s:%s in %s: its cost is not counted (a USD budget cannot stop it; a token budget can); "
            "add it to a config file with price_input_per_mtok / price_output_per_mtok%s (a local server costs "
            "nothing: local:NAME with a base_url says so and stays quiet)",
            provider,
            model,
            where if data else "the shipped configs",
            did_you_mean(model, models),
        )
    return LLMConfig(provider=lc_provider, model=model, base_url=url, **kw)


def make_chat_model(cfg: LLMConfig) -> BaseChatModel:
    """The langchain chat model for ``cfg`` (``init_chat_model``; it never retries: :class:`LLMClient` does).

    Raises
    ------
    ConfigError
        The provider's package is missing (names ``pip install 'rdq[openai]'`` etc.), or the client refuses
        its settings (a missing API key: names the environment variable).
    """
    from langchain.chat_models import init_chat_model

    kw: dict[str, Any] = {"temperature": cfg.temperature}
    if cfg.provider == "ollama":  # ChatOllama: timeout through the httpx client, length as num_predict
        kw["client_kwargs"] = {"timeout": cfg.timeout_s}
        if cfg.max_output_tokens is not None:
            kw["num_predict"] = cfg.max_output_tokens
    else:
        kw["timeout"] = cfg.timeout_s
        kw["max_retries"] = 0
        if cfg.max_output_tokens is not None:
            kw["max_tokens"] = cfg.max_output_tokens
    if cfg.base_url:
        kw["base_url"] = cfg.base_url
        if cfg.provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
            kw["api_key"] = PLACEHOLDER_KEY  # a local server needs none; the client insists on one
    try:
        return init_chat_model(cfg.model, model_provider=cfg.provider, **kw)
    except ImportError as e:
        extra = _EXTRAS.get(cfg.provider)
        fix = (
            f"pip install 'rdq[{extra}]'"
            if extra
            else f"pip install langchain-{cfg.provider.replace('_', '-')}"
        )
        raise ConfigError(
            f"LLM {cfg.spec}: the {cfg.provider} provider's package is not installed; {fix}"
        ) from e
    except ValueError as e:
        raise ConfigError(f"LLM {cfg.spec}: {e}") from e
    except Exception as e:  # the provider's client: typically a missing API key
        env = f"{cfg.provider.upper()}_API_KEY"
        raise ConfigError(
            f"LLM {cfg.spec}: the {cfg.provider} client could not be built ({type(e).__name__}: {e}); "
            f"set {env} in the environment (or give a base_url for a local server)"
        ) from e
