"""``select ... by k`` groups one integral key in numpy: the same groups, rows and order as the general path
(here forced by a float copy of the key, which takes the dictionary path)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rdq.qlang import Session

Session()  # raises the recursion limit once, before hypothesis records it


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(st.integers(-5, 5), min_size=1, max_size=40),
    nulls=st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_fast_grouping_equals_the_general_path(keys: list[int], nulls: list[bool]) -> None:
    s = Session()
    k = " ".join("0N" if nul else str(v) for v, nul in zip(keys, nulls, strict=False))
    s.display(f"t:([]k:{'enlist ' if len(keys) == 1 else ''}{k}; x:til {len(keys)})")
    fast = s.display("select s:sum x, n:count i, f:first x, l:last x by k from t")
    general = s.display("`k xcol select s:sum x, n:count i, f:first x, l:last x by kf from update kf:`float$k from t")
    # the float key prints with a trailing f on integral columns only where q shows it: compare the values
    fa = s.display("value select s:sum x, n:count i, f:first x, l:last x by k from t")
    ga = s.display("value select s:sum x, n:count i, f:first x, l:last x by kf from update kf:`float$k from t")
    assert fa == ga, (fast, general)
    assert s.display("key[select sum x by k from t]`k") == s.display("`long$key[select sum x by kf from update kf:`float$k from t]`kf")


def test_a_bool_and_a_date_key() -> None:
    s = Session()
    s.display("t:([]b:0110b; d:2024.01.02 2024.01.01 2024.01.02 2024.01.01; x:1 2 3 4)")
    assert s.display("select sum x by b from t") == "b| x\n-| -\n0| 5\n1| 5"
    assert s.display("select sum x by d from t") == "d         | x\n----------| -\n2024.01.01| 6\n2024.01.02| 4"
