"""Budget: caps checked before a call, charges, JSON round trip, resume with larger caps."""

from __future__ import annotations

import json

import pytest

from rdq.errors import ConfigError, RdqError
from rdq.llm import Budget, BudgetExhausted, LLMError


def test_check_raises_only_once_a_cap_is_reached() -> None:
    b = Budget(max_usd=0.01, max_tokens=1000)
    b.check()
    b.charge(input_tokens=300, output_tokens=200, usd=0.004)
    b.check()  # 500 tokens, $0.004: below both caps
    assert (b.used_tokens, b.used_input_tokens, b.used_output_tokens, b.calls) == (500, 300, 200, 1)
    b.charge(input_tokens=400, output_tokens=100, usd=0.001)
    with pytest.raises(BudgetExhausted, match=r"1000 of 1000 tokens used in 2 calls.*llm.max_tokens"):
        b.check()


def test_dollar_cap_names_the_flag_and_is_not_an_llm_error() -> None:
    b = Budget(max_usd=0.5)
    b.charge(input_tokens=1, output_tokens=1, usd=0.5)
    with pytest.raises(BudgetExhausted, match=r"\$0\.5000 of \$0\.5000.*llm.budget_usd") as info:
        b.check()
    assert isinstance(info.value, RdqError) and not isinstance(info.value, LLMError)


def test_no_caps_never_exhausted() -> None:
    b = Budget()
    b.charge(input_tokens=10**9, output_tokens=10**9, usd=1e6)
    b.check()
    assert not b.exhausted


def test_json_round_trip_and_resume_with_larger_caps() -> None:
    b = Budget(max_usd=1.0, max_tokens=50)
    b.charge(input_tokens=40, output_tokens=20, usd=0.25)
    assert b.exhausted
    again = Budget.from_dict(json.loads(json.dumps(b.to_dict())))
    assert again == b and again.exhausted
    bigger = again.with_caps(max_usd=2.0, max_tokens=100)
    assert (bigger.used_usd, bigger.used_tokens, bigger.calls) == (0.25, 60, 1)
    assert (bigger.max_usd, bigger.max_tokens) == (2.0, 100)
    bigger.check()
    assert b.max_tokens == 50  # the original is untouched


def test_bad_caps_and_unknown_keys_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="max_usd"):
        Budget(max_usd=-1)
    with pytest.raises(ConfigError, match="unknown keys"):
        Budget.from_dict({"used_usd": 0.0, "spent": 3})
