"""``"J"$`` and friends on a list of strings read plain numerals in one step; the result must be what parsing
each string gives (ref/tok), for any mix of numerals, blanks, nulls, overflow and junk."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rdq.qlang import Session

_ITEM = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: f"{f:.6g}"),
    st.sampled_from(["", " 7", "0N", "x", "1e3", ".5", "-", "00012", "12.", "3.25"]),
)


_S = Session()  # made once, before hypothesis runs (a Session raises Python's recursion limit)


def _q_list(items: list[str]) -> str:
    return "(" + ";".join(f'"{s}"' if len(s) != 1 else f'enlist "{s}"' for s in items) + ")"


@settings(max_examples=150, deadline=None)
@given(items=st.lists(_ITEM, min_size=2, max_size=12), letter=st.sampled_from("HIJEF"))
def test_list_parse_equals_each_parse(items: list[str], letter: str) -> None:
    lst = _q_list(items)
    assert _S.display(f'("{letter}"$) {lst}') == _S.display(f'("{letter}"$)@/:{lst}'), (letter, items)


def test_plain_numerals(q: Session) -> None:
    assert q.display('"J"$("12";"-3";"0")') == "12 -3 0"
    assert q.display('"J"$("999999999999999999";"9999999999999999999")') == "999999999999999999 0N"
    assert q.display('"H"$("12";"99999")') == "12 0Nh"
    assert q.display('"F"$("1.5";"-2";"3.")') == "1.5 -2 3"
    assert q.display('sum "J"$"," vs "," sv string til 1000') == "499500"
    assert q.display('"," vs "a,,b,"') == ',"a"\n""\n,"b"\n""'
