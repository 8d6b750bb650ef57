"""Pydantic objects from replies: the JSON instructions, a tolerant JSON reader, the repair loop.

The loop runs over any ``complete(messages, purpose=...) -> Exchange``, so the live client and the
replay take the same path through the same stored replies (repairs included).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pydantic

from rdq.llm._errors import LLMError
from rdq.llm._exchange import Exchange

__all__ = [
    "BaseModelT",
    "json_instructions",
    "with_instructions",
    "extract_json",
    "parse_reply",
    "structured_loop",
]

BaseModelT = TypeVar("BaseModelT", bound=pydantic.BaseModel)

Complete = Callable[..., Exchange]

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)
_MAX_ERROR = 2000
REPAIR_PURPOSE = "repair"


def json_instructions(schema: type[pydantic.BaseModel]) -> str:
    """The text appended to the last user message in JSON mode: reply with one object of this JSON schema."""
    text = json.dumps(schema.model_json_schema(), indent=1, sort_keys=True)
    return (
        f"Reply with exactly one JSON object (no prose around it) that validates against this JSON schema "
        f"of {schema.__name__}:\n{text}"
    )


def with_instructions(
    messages: Sequence[tuple[str, str]], schema: type[pydantic.BaseModel]
) -> list[tuple[str, str]]:
    """``messages`` with :func:`json_instructions` added to the last user message (or as a new one)."""
    out = [(str(r), str(c)) for r, c in messages]
    note = json_instructions(schema)
    if out and out[-1][0] == "user":
        out[-1] = ("user", f"{out[-1][1]}\n\n{note}")
    else:
        out.append(("user", note))
    return out


def extract_json(text: str) -> Any:
    """The JSON value in a reply: the whole text, else a fenced ``json`` block, else the first object in it.

    Raises
    ------
    ValueError
        No JSON object in the text (the message says what was seen).

    Examples
    --------
    >>> extract_json('Sure! ```json\\n{"a": 1}\\n``` done')
    {'a': 1}
    >>> extract_json('The answer is {"a": [1, 2]} as asked.')
    {'a': [1, 2]}
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError("the reply is empty")
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as first:
        error = first
    for block in _FENCE.findall(text):
        try:
            return json.loads(block.strip())
        except json.JSONDecodeError as e:
            error = e
    decoder = json.JSONDecoder()
    for m in re.finditer(r"[\{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise ValueError(
        f"the reply holds no valid JSON object ({error.msg} at line {error.lineno} column {error.colno})"
    )


def parse_reply(text: str, schema: type[BaseModelT]) -> BaseModelT:
    """``schema`` validated from the JSON in ``text``.

    Raises
    ------
    ValueError
        No JSON, or JSON that does not validate (the pydantic errors, with their field paths).
    """
    value = extract_json(text)
    try:
        return schema.model_validate(value)
    except pydantic.ValidationError as e:
        raise ValueError(f"the JSON does not validate as {schema.__name__}: {_errors(e)}") from e


def _errors(e: pydantic.ValidationError) -> str:
    """Pydantic's errors on one line: ``field.path: message (got value); ...``."""
    parts = []
    for err in e.errors(include_url=False):
        where = ".".join(str(x) for x in err["loc"]) or "(the object)"
        got = "" if err["type"] == "missing" else f" (got {repr(err.get('input'))[:80]})"
        parts.append(f"{where}: {err['msg']}{got}")
    return f"{len(parts)} error(s): " + "; ".join(parts)


def repair_messages(
    messages: Sequence[tuple[str, str]], reply: str, error: str, schema: type[pydantic.BaseModel]
) -> list[tuple[str, str]]:
    """The conversation that asks for a repair: the request, the bad reply, the error and the schema again."""
    return [
        *[(str(r), str(c)) for r, c in messages],
        ("assistant", reply),
        (
            "user",
            f"That reply cannot be used: {error[:_MAX_ERROR]}\n\nReply again with only the corrected JSON "
            f"object of {schema.__name__}, nothing else.",
        ),
    ]


def structured_loop(
    complete: Complete,
    messages: Sequence[tuple[str, str]],
    schema: type[BaseModelT],
    *,
    purpose: str,
    max_repairs: int,
    first: Exchange | None = None,
) -> BaseModelT:
    """Ask (unless ``first`` is the answer already), parse, and repair up to ``max_repairs`` times.

    Parameters
    ----------
    complete:
        ``complete(messages, purpose=...) -> Exchange`` (raises on failure / refusal).
    messages:
        The request, with the JSON instructions already in it.
    first:
        The first reply when it came another way (a tool call); repairs then go through ``complete``.

    Raises
    ------
    LLMError
        Still invalid after ``max_repairs`` repairs (names the last error).
    """
    exchange = first if first is not None else complete(messages, purpose=purpose)
    for repair in range(max_repairs + 1):
        try:
            return parse_reply(exchange.reply, schema)
        except ValueError as e:
            error = str(e)
        if repair == max_repairs:
            break
        exchange = complete(repair_messages(messages, exchange.reply, error, schema), purpose=REPAIR_PURPOSE)
    raise LLMError(
        f"{purpose}: the model's reply did not validate as {schema.__name__} after {max_repairs} repair(s); "
        f"last error: {error[:_MAX_ERROR]}; fix: a stronger model, a larger max_repairs in the LLM config, "
        "or structured: tool where the model supports tools",
        exchange=exchange,
    )
