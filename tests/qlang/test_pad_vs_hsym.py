"""Pad (code.kx.com/q/ref/pad), ``vs``/``sv`` partitions and joins (/ref/vs, /ref/sv) and ``hsym``
(/ref/hsym), with the reference pages' own examples as the expected text."""

from __future__ import annotations

import pytest

from rdq.qlang import Session
from rdq.qlang._v_extra import install


@pytest.fixture
def q() -> Session:
    s = Session()
    install(s.interp)
    return s


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ('9$"foo"', '"foo      "'),
        ('-9$"foo"', '"      foo"'),
        ('2$"foo"', '"fo"'),
        ('-2$"foo"', '"oo"'),
        (
            '9$("The";("fox";("jumps";"over"));("the";"dog"))',
            '"The      "\n("fox      ";("jumps    ";"over     "))\n("the      ";"dog      ")',
        ),
        ('-9$`a`b`c!("quick";"brown";"fox")', 'a| "    quick"\nb| "    brown"\nc| "      fox"'),
        (
            "-9$string([]a:`quick`brown`fox;b:`jumps`over`the)",
            'a           b\n-----------------------\n"    quick" "    jumps"\n'
            '"    brown" "     over"\n"      fox" "      the"',
        ),
        ('9$("quick";"brown";"fox")', '"quick    "\n"brown    "\n"fox      "'),
        # with a short left argument $ is Cast
        ('9h$("quick";"brown";"fox")', "113 117 105 99 107f\n98 114 111 119 110f\n102 111 120f"),
    ],
)
def test_pad(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ('"," vs "one,two,three"', '"one"\n"two"\n"three"'),
        ('"|" vs "red|green||blue"', '"red"\n"green"\n""\n"blue"'),
        ('` vs "abc\\ndef\\nghi"', '"abc"\n"def"\n"ghi"'),
        ('` vs "x"$"abc\\ndef\\nghi"', '"abc"\n"def"\n"ghi"'),
        ('` vs "abc\\r\\ndef\\r\\nghi"', '"abc"\n"def"\n"ghi"'),
        ('"\\n" vs "abc\\ndef\\nghi\\n"', '"abc"\n"def"\n"ghi"\n""'),
        ('` vs "abc\\ndef\\nghi\\n"', '"abc"\n"def"\n"ghi"'),
        ("` vs `mywork.dat", "`mywork`dat"),
        ("` vs `:/home/kdb/data/mywork.dat", "`:/home/kdb/data`mywork.dat"),
        ("0x02 vs 0x0102010201", ",0x01\n,0x01\n,0x01"),
        ("0x0203 vs 0x000102030405", "0x0001\n0x0405"),
        ('" "vs"x"$"a b"', ',"a"\n,"b"'),
        ("0b vs 23173h", "0101101010000101b"),
        ("10 vs 1995", "1 9 9 5"),
        ("2 vs 9", "1 0 0 1"),
        ("24 60 60 vs 3805", "1 3 25"),
        ("10 vs 1995 1996 1997", "1 1 1\n9 9 9\n9 9 9\n5 6 7"),
        ("10 vs(1995;1996 1997)", "1 1 1\n9 9 9\n9 9 9\n5 6 7"),
        ('"." sv string 256 vs 3232235989', '"192.168.1.213"'),
        ("0x0 vs 2413e", "0x4516d000"),
        ("` sv `:/home/kdb/data`mywork.dat", "`:/home/kdb/data/mywork.dat"),
        ("` sv `mywork`dat", "`mywork.dat"),
        ("10 sv 1 9 9 5", "1995"),
        ("0x03 sv 0x02 vs 0x0102010201", "0x0103010301"),
        ("24 60 60 sv 1 3 25", "3805"),
    ],
)
def test_vs_sv(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # the page writes `c:/q/test.txt; built with `$ here, the symbol literal being the lexer's
        ('hsym`$"c:/q/test.txt"', "`:c:/q/test.txt"),
        ("hsym`10.43.23.197", "`:10.43.23.197"),
        ("hsym `host:port`localhost:8001", "`:host:port`:localhost:8001"),
        ("hsym `abc`:def`::ghi", "`:abc`:def`::ghi"),
        ('hsym "abc"', "'type"),
    ],
)
def test_hsym(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected
