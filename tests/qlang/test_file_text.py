"""File Text ``0:`` on strings in memory, by code.kx.com/q/ref/file-text (the page's examples)."""

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
        # Prepare Text
        ("csv 0: ([]a:1 2 3;b:`x`y`z)", '"a,b"\n"1,x"\n"2,y"\n"3,z"'),
        ('"|" 0: (`a`b`c;1 2 3;"xyz")', '"a|1|x"\n"b|2|y"\n"c|3|z"'),
        (
            "csv 0: ([]d:2022.03.14 2022.03.15;t:16:12:57.427 16:12:58.000)",
            '"d,t"\n"2022-03-14,16:12:57.427"\n"2022-03-15,16:12:58.000"',
        ),
        ('csv 0: ([]Actual:1.47 0.03 300;FiscalTag:("FY2022Q2";"FY2022Q2";enlist"FY2022H1"))', "'type"),
        # Load CSV
        ('("I*";",";1)0:("0,\\"ab\\nc\\"";"1,\\"def\\"")', '0       1\n"ab\\nc" "def"'),
        ('("DT";",")0:"20130315,185540686"', "2013.03.15\n18:55:40.686"),
        ('("ISI";",") 0:("0,hea,481";"10,dfi,579";"20,oil,77")', "0   10  20\nhea dfi oil\n481 579 77"),
        ('("SJ";enlist ",")0:("a,b";"x,1";"y,2")', "a b\n---\nx 1\ny 2"),
        ('("S J";",")0:("a,skip,1";"b,skip,2")', "a b\n1 2"),
        # Load Fixed
        ('sum("DT";8 9)0:enlist"20130315185540686"', ",2013.03.15D18:55:40.686000000"),
        (
            '("DT";8 9)0:("20130315185540686";"20130315185540686")',
            "2013.03.15   2013.03.15\n18:55:40.686 18:55:40.686",
        ),
        # Key-Value Pairs
        ('"S=;"0:"one=1;two=2;three=3"', 'one  two  three\n,"1" ,"2" ,"3"'),
        ('"S:/"0:"one:1/two:2/three:3"', 'one  two  three\n,"1" ,"2" ,"3"'),
        ('"I=;"0:"1=first;2=second;3=third"', '1       2        3\n"first" "second" "third"'),
        ('-3!"I=*,"0:"5=\\"hello,world\\",6=1"', '"(5 6i;(\\"hello,world\\";,\\"1\\"))"'),
        ('-3!"J=*,"0:"5=\\"hello,world\\",6=1"', '"(5 6;(\\"hello,world\\";,\\"1\\"))"'),
        ('-3!"S=*,"0:"a=\\"hello,world\\",b=1"', '"(`a`b;(\\"hello,world\\";,\\"1\\"))"'),
        # Save Text: into the session's directory (tests/qlang/test_files.py)
        ('`:test.txt 0: enlist "text to save"', "`:test.txt"),
    ],
)
def test_file_text(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


def test_prepare_text_quotes_cells_holding_the_delimiter(q: Session) -> None:
    q.display('t:([]x:("foo";"bar,baz";"qu\\"ux";"fred\\",barney"))')
    lines = [bytes(v.a).decode() for v in q.eval('","0:t').items]
    assert lines == ["x", "foo", '"bar,baz"', 'qu"ux', '"fred"",barney"']


def test_key_value_fix_message(q: Session) -> None:
    q.display('s:"8=FIX.4.2\\0019=339\\00135=D\\00134=100322\\00149=JM_TEST1\\00152=20130425-06:46:46.387"')
    assert q.display('(!/)"I=\\001"0:s') == (
        '8 | "FIX.4.2"\n9 | "339"\n35| ,"D"\n34| "100322"\n49| "JM_TEST1"\n52| "20130425-06:46:46.387"'
    )
