"""Take (code.kx.com/q/ref/take) and Join (code.kx.com/q/ref/join) by their reference pages' examples."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.fixture
def q() -> Session:
    return Session()


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("5#0 1 2 3 4 5 6 7 8", "0 1 2 3 4"),
        ("-5#0 1 2 3 4 5 6 7 8", "4 5 6 7 8"),
        ("5#`Arthur`Steve`Dennis", "`Arthur`Steve`Dennis`Arthur`Steve"),
        ("-5#`Arthur`Steve`Dennis", "`Steve`Dennis`Arthur`Steve`Dennis"),
        ("3#9", "9 9 9"),
        ('2 5#"!"', '"!!!!!"\n"!!!!!"'),
        ("2 4#`Arthur`Steve`Dennis", "Arthur Steve  Dennis Arthur\nSteve  Dennis Arthur Steve"),
        ('2 3 4#"a"', '"aaaa" "aaaa" "aaaa"\n"aaaa" "aaaa" "aaaa"'),
        ("2 3 4#til 5", "0 1 2 3 4 0 1 2 3 4 0 1\n2 3 4 0 1 2 3 4 0 1 2 3"),
        ("count each 2 3 4#til 5", "3 3"),
        ("first 2 3 4#til 5", "0 1 2 3\n4 0 1 2\n3 4 0 1"),
        ("0N 3#til 10", "0 1 2\n3 4 5\n6 7 8\n,9"),
        ("enlist[2]#til 10", "0 1"),
        ("(2 2 3#til 5)~((0 1 2;3 4 0);(1 2 3;4 0 1))", "1b"),
        ('(enlist("";""))~1 2 0#"a"', "1b"),
        ("3 0N#til 10", "0 1 2\n3 4 5\n6 7 8 9"),
        ("(10 0N)#(),10", "\n".join(["`long$()"] * 9 + [",10"])),
        ("4 0N#til 9", "0 1\n2 3\n4 5\n6 7 8"),
        ("2 3 0N#til 5", "'domain"),
        ("2#`a`b`c!1 2 3", "a| 1\nb| 2"),
        ("`a`b#`a`b`c!1 2 3", "a| 1\nb| 2"),
    ],
)
def test_take(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("1 2 3,4", "1 2 3 4"),
        ("(`a`b`c!1 2 3),`c`d!4 5", "a| 1\nb| 2\nc| 4\nd| 5"),
        ("([]a:1 2 3;b:`a`b`c),([]a:10 11;b:`d`e)", "a  b\n----\n1  a\n2  b\n3  c\n10 d\n11 e"),
        (
            "([]a:1 2 3;b:`a`b`c),'([]c:10 20 30;d:1.2 3.4 5.6)",
            "a b c  d\n----------\n1 a 10 1.2\n2 b 20 3.4\n3 c 30 5.6",
        ),
        # a dictionary conforming to a table's columns joins it as a record
        ("(`a`b!1 2),([]a:3 4;b:5 6)", "a b\n---\n1 2\n3 5\n4 6"),
        ("([]a:1 2),([]b:3 4)", "'mismatch"),
        # raze.md: an integer does not join a dictionary
        ("10,`a`b!(1 2;3 5)", "'type"),
        ("raze (10;`a`b!(1 2;3 5))", "'type"),
        ("raze `q`w`e!(1 2;3 4;5 6)", "1 2 3 4 5 6"),
    ],
)
def test_join(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected
