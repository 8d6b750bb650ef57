"""One request and its reply as the catalog stores it, with API keys removed (:func:`redact`)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rdq.errors import ConfigError

__all__ = ["Exchange", "redact", "as_request"]

_ROLES = ("system", "user", "assistant")

# sk-ant-... (Anthropic), sk-proj-... / sk-... (OpenAI), "Bearer <token>" (any HTTP API)
_PATTERNS = (
    (re.compile(r"sk-ant-[A-Za-z0-9_\-]{6,}"), "sk-ant-***"),
    (re.compile(r"sk-[A-Za-z0-9_\-]{12,}"), "sk-***"),
    (re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._~+/=\-]{6,}"), "Bearer ***"),
)
_SECRET_ENV = re.compile(r"(_API_KEY|_API_TOKEN|_SECRET_KEY|_ACCESS_TOKEN)$|^API_KEY$")


def redact(text: str) -> str:
    """``text`` without API keys: ``sk-...``, ``sk-ant-...``, ``Bearer ...`` and the values of ``*_API_KEY`` variables.

    The values of environment variables named ``*_API_KEY`` (also ``*_API_TOKEN``, ``*_SECRET_KEY``,
    ``*_ACCESS_TOKEN``) of 6 characters or more are replaced wherever they appear, whatever their form.

    Examples
    --------
    >>> redact("key sk-abcdefghijklmnop1234 and Bearer abc.def-123")
    'key sk-*** and Bearer ***'
    """
    out = text
    for name, value in os.environ.items():
        if _SECRET_ENV.search(name) and len(value) >= 6 and value in out:
            out = out.replace(value, f"<{name}>")
    for pattern, replacement in _PATTERNS:
        out = pattern.sub(replacement, out)
    return out


def as_request(messages: Sequence[tuple[str, str]]) -> tuple[dict[str, str], ...]:
    """``(role, content)`` pairs -> the stored form ``({"role": ..., "content": ...}, ...)``, redacted.

    Raises
    ------
    ConfigError
        A role other than ``system``, ``user``, ``assistant`` (names the position).
    """
    out = []
    for i, pair in enumerate(messages):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise ConfigError(f"message {i} must be a (role, content) pair, got {pair!r}")
        role, content = pair
        if role not in _ROLES:
            raise ConfigError(f"message {i} has role {role!r}; use one of {list(_ROLES)}")
        out.append({"role": str(role), "content": redact(str(content))})
    return tuple(out)


@dataclass(frozen=True)
class Exchange:
    """One model request and its reply (what the catalog stores; keys redacted).

    Attributes
    ----------
    purpose:
        What the call was for: ``"propose.factor"``, ``"code.factor"``, ``"explain"``, ``"repair"``, ...
        A replay checks it, so a run that asks in a different order fails loudly.
    request:
        The messages sent, ``({"role": "system"|"user"|"assistant", "content": ...}, ...)``.
    reply:
        The reply's text (for a tool-call structured reply: the tool arguments as JSON); ``""`` on error.
    input_tokens, output_tokens:
        From the reply's usage metadata (0 when the provider gives none).
    usd:
        ``input_tokens * price_in / 1e6 + output_tokens * price_out / 1e6`` from the config's price table.
    seconds:
        Wall time of the call, retries and their waits included.
    attempts:
        HTTP attempts made (1 + retries).
    error:
        The final error (type and message, redacted) of a call that failed; ``None`` on success.
    refusal:
        The model declined (refusal phrase, empty reply, content filter, stop reason ``refusal``).
    model:
        The model name the provider reported (or the configured one).
    """

    purpose: str
    request: tuple[dict[str, str], ...]
    reply: str
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    seconds: float = 0.0
    attempts: int = 1
    error: str | None = None
    refusal: bool = False
    model: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Provider facts kept for the audit (finish reason, tool mode); not used by a replay."""

    @property
    def ok(self) -> bool:
        """A reply that can be used: no error, no refusal."""
        return self.error is None and not self.refusal

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``request`` as a list)."""
        d = asdict(self)
        d["request"] = [dict(m) for m in self.request]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Exchange:
        """The exchange :meth:`to_dict` wrote (a stored catalog row).

        Raises
        ------
        ConfigError
            A missing ``purpose`` / ``request`` / ``reply`` or an unknown key.
        """
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - names)
        missing = sorted({"purpose", "request", "reply"} - set(d))
        if unknown or missing:
            raise ConfigError(
                f"stored LLM exchange has unknown keys {unknown} / lacks {missing}; expected keys {sorted(names)}"
            )
        kw = dict(d)
        kw["request"] = tuple({"role": str(m["role"]), "content": str(m["content"])} for m in d["request"])
        kw["extra"] = dict(d.get("extra") or {})
        return cls(**kw)
