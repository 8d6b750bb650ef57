"""Code-block extraction from model answers."""

from __future__ import annotations

from rdq.qlang.bench._extract import extract_code


def test_last_q_block_wins() -> None:
    text = "First try:\n```q\nsolve:{x}\n```\nBetter:\n```q\nsolve:{x+1}\n```\nThat's it."
    assert extract_code(text) == "solve:{x+1}"


def test_q_block_preferred_over_later_other_block() -> None:
    text = "```q\nsolve:{2*x}\n```\nIn Python this would be:\n```python\ndef solve(x): return 2*x\n```"
    assert extract_code(text) == "solve:{2*x}"
    assert extract_code(text, language="python") == "def solve(x): return 2*x"


def test_any_fenced_block_when_no_q_block() -> None:
    assert extract_code("Here:\n```\nsolve:{x*x}\n```\n") == "solve:{x*x}"
    assert extract_code("```k\nsolve:{x-1}\n```") == "solve:{x-1}"
    assert extract_code("```kdb\nsolve:{x}\n```") == "solve:{x}"


def test_raw_text_when_no_fence() -> None:
    assert extract_code("  solve:{sum x}\n") == "solve:{sum x}"


def test_multiline_block_and_indented_fence() -> None:
    text = "Answer:\n  ```q\nf:{x+1}\nsolve:{f each x}\n  ```\n"
    assert extract_code(text) == "f:{x+1}\nsolve:{f each x}"


def test_unclosed_final_block() -> None:
    assert extract_code("Sure.\n```q\nsolve:{x}\n") == "solve:{x}"
