"""Dot notation on a variable: ``d.key`` of a dictionary, ``t.col`` of a table, ``d.year``/``p.date`` of a
temporal value (the same as `` `year$d ``, cast.md and basics/dotq / dot notation in the reference)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("t:([]a:1 2;b:3 4);t.b", "3 4"),
        ("k:`a`b!1 2;k.b", "2"),
        ("d:2024.03.15;d.year", "2024i"),
        ("d:2024.03.15;d.mm", "3i"),
        ("d:2024.03.15;d.dd", "15i"),
        ("p:2024.03.15D10:11:12.5;p.date", "2024.03.15"),
        ("p:2024.03.15D10:11:12.5;p.minute", "10:11"),
        ("v:2024.01.01 2025.02.02;v.month", "2024.01 2025.02m"),
        ("f:{d:x; d.year};f 2024.03.15", "2024i"),
    ],
)
def test_dot_notation(src: str, want: str) -> None:
    assert Session().display(src) == want


def test_dot_notation_matches_the_cast() -> None:
    s = Session()
    s.display("p:2024.03.15D10:11:12.5 2025.06.30D23:59:59")
    for part in ("year", "month", "date", "minute", "second", "hh"):
        assert s.display(f"p.{part}") == s.display(f"`{part}$p"), part
