"""The expression parser: qlib's (Python's) precedence and helpful errors."""

from __future__ import annotations

import pytest

from rdq.errors import ExpressionError
from rdq.factors import parse


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("$close", "$close"),
        ("1 + 2 * 3", "Add(1,Mul(2,3))"),
        ("(1 + 2) * 3", "Mul(Add(1,2),3)"),
        ("$a - $b - $c", "Sub(Sub($a,$b),$c)"),
        ("$a / $b * $c", "Mul(Div($a,$b),$c)"),
        ("-$a ** 2", "Neg(Power($a,2))"),  # ** binds tighter than unary minus, as in Python
        ("2 ** -1", "Power(2,-1)"),
        ("$a ** $b ** $c", "Power($a,Power($b,$c))"),  # right-associative
        ("-3", "-3"),
        ("$a > $b + 1", "Gt($a,Add($b,1))"),
        ("($a > 1) & ($b < 2) | ($c == 3)", "Or(And(Gt($a,1),Lt($b,2)),Eq($c,3))"),
        ("$a != 1", "Ne($a,1)"),
        ("$a >= 1e-12", "Ge($a,1e-12)"),
        ("Mean($close, 5)/$close", "Div(Mean($close,5),$close)"),
        ("Quantile($close, 5, 0.8)", "Quantile($close,5,0.8)"),
        ("Corr($close, Log($volume+1), 10)", "Corr($close,Log(Add($volume,1)),10)"),
        ("Mask($close, 'SPY')", "Mask($close,'SPY')"),
        ("If($a > 0, 1, -1)", "If(Gt($a,0),1,-1)"),
    ],
)
def test_precedence_and_canonical_form(text: str, canonical: str) -> None:
    assert str(parse(text)) == canonical


def test_and_binds_tighter_than_comparison_like_qlib() -> None:
    # in qlib (Python), `$a > 1 & $b > 2` is `$a > (1 & $b) > 2`: we refuse it with a hint
    with pytest.raises(ExpressionError, match="chained comparison") as exc:
        parse("$a > 1 & $b > 2")
    assert exc.value.pos == 12
    assert "And(" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "pos", "fragment"),
    [
        ("", 0, "empty expression"),
        ("Mean($close, 5", 14, "expected ',' or ')'"),
        ("$close +", 8, "unexpected end"),
        ("$close $open", 7, "missing operator"),
        ("Mean($close, 5))", 15, "unbalanced"),
        ("$close # 2", 7, "unexpected character '#'"),
        ("$ close", 0, "a field is '$' followed by a name"),
        ("$a = 1", 3, "use '=='"),
        ("* 2", 0, "operand is missing"),
        ("$$pit", 0, "point-in-time"),
    ],
)
def test_syntax_errors_point_at_the_position(text: str, pos: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as exc:
        parse(text)
    assert exc.value.pos == pos
    assert fragment in str(exc.value)
    # the message draws the expression with a caret under the position
    lines = str(exc.value).splitlines()
    assert lines[-2] == f"  {text}"
    assert lines[-1] == "  " + " " * pos + "^"


def test_non_string_expression() -> None:
    with pytest.raises(ExpressionError, match="must be a string"):
        parse(5)  # type: ignore[arg-type]
