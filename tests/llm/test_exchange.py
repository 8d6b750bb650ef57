"""Exchange round trip and key redaction."""

from __future__ import annotations

import json

import pytest

from rdq.errors import ConfigError
from rdq.llm import Exchange, redact
from rdq.llm._exchange import as_request


def test_redact_removes_known_key_shapes() -> None:
    text = (
        "openai sk-proj-AbCdEf0123456789xyz anthropic sk-ant-api03-QWERTY_12345-zz "
        "header Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9-x and sk-short"
    )
    out = redact(text)
    assert "AbCdEf0123456789xyz" not in out and "QWERTY_12345" not in out and "eyJhbGciOi" not in out
    assert out == (
        "openai sk-*** anthropic sk-ant-*** header Authorization: Bearer *** and sk-short"
    )  # "sk-short" is too short to be a key


def test_redact_removes_api_key_env_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_VENDOR_API_KEY", "zz-secret-value-42")
    monkeypatch.setenv("HOME_DIR_NOT_SECRET", "zz-secret-value-42-not")
    assert redact("key=zz-secret-value-42;") == "key=<MY_VENDOR_API_KEY>;"
    assert redact("nothing here") == "nothing here"


def test_exchange_round_trip_through_json() -> None:
    ex = Exchange(
        purpose="propose.factor",
        request=as_request([("system", "be brief"), ("user", "a factor")]),
        reply='{"name": "x"}',
        input_tokens=12,
        output_tokens=3,
        usd=1.5e-5,
        seconds=0.2,
        attempts=2,
        model="gpt-4o-mini",
        extra={"finish_reason": "stop"},
    )
    back = Exchange.from_dict(json.loads(json.dumps(ex.to_dict())))
    assert back == ex and back.extra == {"finish_reason": "stop"} and back.ok
    assert back.request == (
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "a factor"},
    )


def test_as_request_redacts_and_checks_roles() -> None:
    assert as_request([("user", "use sk-abcdefghijklmnopqrst")]) == (
        {"role": "user", "content": "use sk-***"},
    )
    with pytest.raises(ConfigError, match="message 1 has role 'human'"):
        as_request([("user", "a"), ("human", "b")])


def test_from_dict_names_missing_and_unknown_keys() -> None:
    with pytest.raises(ConfigError, match=r"unknown keys \['colour'\].*lacks \['reply'\]"):
        Exchange.from_dict({"purpose": "p", "request": [], "colour": 1})
