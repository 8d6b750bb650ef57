"""Python values -> q literals and q console text, on hand-checked cases."""

from __future__ import annotations

import pytest

from rdq.qlang.bench._qvalues import Unrenderable, format_q_float, to_q_console, to_q_literal


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (5, "5"),
        (-3, "-3"),
        (True, "1b"),
        (False, "0b"),
        (2.5, "2.5"),
        (2.0, "2.0"),
        ("ab", '"ab"'),
        ("a", 'enlist "a"'),
        ("", '""'),
        ('say "hi"\n', '"say \\"hi\\"\\n"'),
        ([1, 2, 3], "1 2 3"),
        ([1, -2, 3], "1 -2 3"),
        ([7], "enlist 7"),
        ([True, False, True], "101b"),
        ([False], "enlist 0b"),
        ([1.5, 2.0], "1.5 2.0"),
        ([[1, 2], [3, 4]], "(1 2;3 4)"),
        ([[1], [2, 3]], "(enlist 1;2 3)"),
        ([[1, 2]], "enlist (1 2)"),
        (["ab", "cd"], '("ab";"cd")'),
        (["ab"], 'enlist "ab"'),
        (["a", "bc"], '(enlist "a";"bc")'),
        ([], "()"),
    ],
)
def test_literal(value: object, literal: str) -> None:
    assert to_q_literal(value) == literal


def test_typed_empty_literals() -> None:
    assert to_q_literal([], empty="long") == "`long$()"
    assert to_q_literal([], empty="boolean") == "`boolean$()"
    assert to_q_literal([], empty="char") == '""'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "1b"),
        (42, "42"),
        ([1, 2], "1 2"),
        ([5], ",5"),
        ("ab", '"ab"'),
        ("a", ',"a"'),
        ([[1], [2, 3]], ",1\n2 3"),
        ([[1, 2], [3, 4]], "1 2\n3 4"),
        ([[1, 2]], "1 2"),  # one row is still a matrix: q shows `enlist 1 2` as 1 2
        ([[1, 22], [333, 4]], "1   22\n333 4"),  # matrix columns are aligned
        ([[-1, 2], [3, -40]], "-1 2\n3  -40"),
        ([[True, False], [False, True]], "1 0\n0 1"),  # matrix cells drop the b suffix
        ([[1.0, 1.0], [13.0, 21.0]], "1  1\n13 21"),  # ... and the f suffix
        ([[1], [2, 3], [4, 5, 6]], ",1\n2 3\n4 5 6"),  # ragged: one display per row
        (["ab", "c"], '"ab"\n,"c"'),
        (["xy"], ',"xy"'),
        ([True, False], "10b"),
        ([[True], [False, True]], ",1b\n01b"),
        (1 / 3, "0.3333333"),
        (2.0, "2f"),
        ([1.0, 2.0], "1 2f"),
        ([1.0, 2.5], "1 2.5"),
        ([2.0], ",2f"),
        (100.0 / 3, "33.33333"),
        (1e10, "1e+10"),
        (0.1 + 0.2, "0.3"),
    ],
)
def test_console_text(value: object, text: str) -> None:
    assert to_q_console(value) == text


def test_float_format() -> None:
    assert format_q_float(float("inf")) == "0w"
    assert format_q_float(float("-inf")) == "-0w"
    assert format_q_float(float("nan")) == "0n"
    assert format_q_float(123456789.0) == "1.234568e+08"
    assert format_q_float(1e-5) == "1e-05"
    assert format_q_float(-2.25) == "-2.25"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "None"),
        ({"a": 1}, "dict"),
        ([1, "a"], "mixed"),
        ([1, 2.5], "mixed"),
        (2**63, "64-bit"),
        (-(2**63), "64-bit"),
        ([[["a"]]], "nested"),
        ([[1], []], "empty"),
        ([[1], [2.5]], "different types"),
        ([[7], [8]], "one-element"),
        ("é", "ASCII"),
    ],
)
def test_unrenderable_console(value: object, reason: str) -> None:
    with pytest.raises(Unrenderable, match=reason):
        to_q_console(value)


def test_empty_result_needs_a_type() -> None:
    with pytest.raises(Unrenderable, match="empty"):
        to_q_console([])
    assert to_q_console([], empty="long") == "`long$()"


def test_console_truncation_is_refused() -> None:
    with pytest.raises(Unrenderable, match="console"):
        to_q_console(list(range(1000, 1100)))
    with pytest.raises(Unrenderable, match="lines"):
        to_q_console([[i, i] for i in range(40)])
