"""The keywords of ``_v_extra`` are wired into every session (not only after ``_v_extra.install``)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("hsym `a", "`:a"),  # hsym.md
        ("csv", '","'),  # file-text.md: csv is ","
        ('("JJ";",") 0: ("1,2";"3,4")', "1 3\n2 4"),  # file-text.md: Load CSV from strings
        ('.h.htc[`p;"x"]', '"<p>x</p>"'),  # doth.md
        ("avgs 1 0N 3", "1 1 2f"),  # avgs skips nulls (avg.md)
        ("type fkeys ([]a:1 2)", "99h"),  # fkeys.md: a dictionary (empty here)
    ],
)
def test_extra_keywords_in_a_fresh_session(src: str, want: str) -> None:
    assert Session().display(src).rstrip("\n") == want


def test_ujf_is_infix() -> None:
    s = Session()
    got = s.display("([]a:1 2) ujf ([]b:3 4)").rstrip("\n")
    assert got.splitlines()[0].split() == ["a", "b"] and len(got.splitlines()) == 6
