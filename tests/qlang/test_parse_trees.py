"""Parse trees as q shows them (code.kx.com/q/basics/parsetrees, basics/funsql): keywords are their k definitions
from ``q.k`` (``count`` is ``#:``), symbols are enlisted, iterators are values; ``eval`` runs any such tree; ``-4!``
tokenizes and ``-5!`` parses (basics/internal); qSQL names computed columns by their leftmost term (basics/qsql);
the float monads and ``floor``/``ceiling`` on their documented domains (ref/sqrt, ref/floor, ref/ceiling)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session

CASES = [
    # parsetrees.md: keywords print as their k form; C-native ones (like, sum) by name
    ("type", "@:"),
    ("count", "#:"),
    ("like", "like"),
    ("sum", "sum"),
    ("sums", "+\\"),
    ("iasc", "k){$[0h>@x;'`rank;<x]}"),
    ('parse "type 6"', "@:\n6"),
    ('parse "not x"', "~:\n`x"),
    ('parse"5 6 7 8 + 1 2 3 4"', "+\n5 6 7 8\n1 2 3 4"),
    ('parse"2+4*7"', "+\n2\n(*;4;7)"),
    ('parse"`a`b`c,`d,v"', ",\n,`a`b`c\n(,;,`d;`v)"),
    ('parse"6(+)4"', "6\n(+:;4)"),
    ('parse "+/[1 2 3 4]"', "(/;+)\n1 2 3 4"),
    ('parse "(aggr;data) fby grp"', "k){@[(#y)#x[0]0#x 1;g;:;x[0]'x[1]g:.=y]}\n(enlist;`aggr;`data)\n`grp"),
    ('pTree:parse "(aggr;data) fby grp";pTree~(fby;(enlist;`aggr;`data);`grp)', "1b"),
    ("(not)~(~:)", "1b"),
    ("(not)~(neg)", "0b"),
    ("count each", "k){x'y}[#:]"),
    ("type (/)", "103h"),
    # eval and value
    ("eval 45", "45"),
    ("x:4;eval `x", "4"),
    ("eval enlist `x", "`x"),
    ("eval (til;4)", "0 1 2 3"),
    ("eval (/;+)", "+/"),
    ("eval ((/;+);(til;(+;2;2)))", "6"),
    ('value["2+4*7"]~eval parse"2+4*7"', "1b"),
    ("eval(+;7;(+;2;1))", "10"),
    ("eval(,;enlist `a;enlist `b)", "`a`b"),
    ("eval(,;`a;`b)", "'b"),
    # funsql.md: the functional forms parse gives
    (
        'parse "select count i from trade where 140>(count;i) fby sym"',
        "?\n`trade\n,,(>;140;(k){@[(#y)#x[0]0#x 1;g;:;x[0]'x[1]g:.=y]};(enlist;#:;`i);`sym))\n0b\n(,`x)!,(#:;`i)",
    ),
    (
        'parse "select from trade where sym like \\"F*\\",not sym=`FD"',
        '?\n`trade\n,((like;`sym;"F*");(~:;(=;`sym;,`FD)))\n0b\n()',
    ),
    ('parse"select[10;<price] from trade"', "?\n`trade\n()\n0b\n()\n10\n,(<:;`price)"),
    ('parse"select[10 20] from trade"', "?\n`trade\n()\n0b\n()\n10 20"),
    ('t:([]p:5 3 8 1);eval parse "select[2;<p] from t"', "p\n-\n1\n3"),
    ('t:([]p:5 3 8 1);eval parse "select[2;>p] from t"', "p\n-\n8\n5"),
    # internal.md: -4! tokens, -5! parse, -6! eval
    ('-4!"select this from that"', '"select"\n," "\n"this"\n," "\n"from"\n," "\n"that"'),
    ('-4!"a variable named aa_bb"', ',"a"\n," "\n"variable"\n," "\n"named"\n," "\n"aa_bb"'),
    ('-5!"select this from that"', "?\n`that\n()\n0b\n(,`this)!,`this"),
    ("-6!(+;1;2)", "3"),
    ("v:til 10;(-22!v)=count -8!v", "1b"),
]


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_parse_tree(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


QSQL_NAMES = [
    # qsql.md, computed columns: the leftmost term names a column, else x; a name in use gets 1, 2, ...
    ("select c1, c1, 2*c2, c2+c3, string c3 from t", 'c1 c11 x  c2   c3\n--------------------\na  a   20 11.1 "1.1"'),
    ("select i, c1 from t", "x c1\n----\n0 a"),
    ("select count i from t", "x\n-\n3"),
    ("select c1, c3*2 from t", "c1 c3\n------\na  2.2"),
    ("select sum c2 by c1,c1 from t", "c1 c11| c2\n------| --\na  a  | 10"),
    ("select c2 by c2 from t", "'dup names for cols/groups c2"),
    ("f:{x+42};select f c2 from t", "c2\n--\n52"),
]


@pytest.mark.parametrize(("src", "expected"), QSQL_NAMES)
def test_qsql_computed_names(q: Session, src: str, expected: str) -> None:
    q.eval("t:([] c1:`a`b`c; c2:10 20 30; c3:1.1 2.2 3.3)")
    assert q.display(src).startswith(expected)


DOMAINS = [
    # sqrt.md / exp.md: temporals count in their units, a datetime stays a datetime, booleans are numbers
    ("sqrt -1 0n 0 25 50", "0n 0n 0 5 7.071068"),
    ("sqrt 12:00:00.000000000", "6572671f"),
    ("sqrt 0Wh", "181.0166"),
    ("sqrt 101b", "1 0 1f"),
    ("exp 00:00:00 00:00:12 12:00:00", "1 162754.8 0w"),
    ("type sqrt 2000.01.05T00:00", "-15h"),
    ("sqrt `a", "'type"),
    # floor.md / ceiling.md (q 3.0+): no comparison tolerance; floor lowercases chars and symbols
    ("floor -2.1 0 2.1", "-3 0 2"),
    ("floor 2 - 10 xexp -12 -13", "1 1"),
    ("ceiling 2 + 10 xexp -12 -13", "3 3"),
    ("floor 0n 0w -0w", "0N 0W -0W"),
    ("floor 3h", "3h"),
    ('floor "AbC"', '"abc"'),
    ("floor `ABC`d", "`abc`d"),
    ("floor 1b", "'type"),
    ("floor 2009.10.03T13:08:00.222", "'type"),
    ("ceiling 01b", "0 1i"),
    ('ceiling "a"', "97i"),
    ("ceiling -2.1 0 2.1", "-2 0 3"),
]


@pytest.mark.parametrize(("src", "expected"), DOMAINS)
def test_domains(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


SP_CASES = [
    # sp.q ships with q (QHOME); \l finds it when the directory has none (ref/select, basics/qsql, ref/exec)
    ("tables[]", "`p`s`sp"),
    ("select sum qty by s from sp", "s | qty\n--| ----\ns1| 1600\ns2| 700\ns3| 200\ns4| 600"),
    ("count select distinct p,s.city from sp", "8"),
    ("select from sp where s.city=p.city", "s  p  qty\n---------\ns1 p1 300\ns1 p4 200\ns1 p6 100\ns2 p2 400"),
    ("exec qty from sp", "300 200 400 200 100 100 300 400 200 200 300 400"),
    ("exec sum qty by s from sp", "s1| 1600\ns2| 700\ns3| 200\ns4| 600"),
    ("(exec from sp)`qty", "400"),
]


@pytest.mark.parametrize(("src", "expected"), SP_CASES)
def test_sp_q_from_qhome(q: Session, src: str, expected: str) -> None:
    q.eval("\\l sp.q")
    assert q.display(src).startswith(expected)


DISTINCT = [
    # ref/select: select distinct gives distinct rows; parse puts 1b where the by phrase goes
    ("select distinct a,b from t", "a b\n---\n1 x\n1 y\n2 x"),
    ("select distinct a from t", "a\n-\n1\n2"),
    ("select distinct from t", "a b\n---\n1 x\n1 y\n2 x"),
    ('parse "select distinct a,b from t"', "?\n`t\n()\n1b\n`a`b!`a`b"),
    ('eval parse "select distinct a from t where b=`x"', "a\n-\n1\n2"),
    ("{select distinct a from x} t", "a\n-\n1\n2"),
    ("exec from t", "a| 1\nb| `x"),
    ("exec from t where b=`y", "a| 1\nb| `y"),
]


@pytest.mark.parametrize(("src", "expected"), DISTINCT)
def test_select_distinct_and_exec_from(q: Session, src: str, expected: str) -> None:
    q.eval("t:([]a:1 1 2 1;b:`x`y`x`x)")
    assert q.display(src) == expected


NAMESPACES = [
    # basics/namespaces and parsetrees.md: a namespace is a dictionary of its names, `` ` `` first
    (".foo.x:1;.foo.y:2;.foo", " | ::\nx| 1\ny| 2"),
    (".foo.x:1;key `.foo", "``x"),
    (".a.b.c:1;.a.b", " | ::\nc| 1"),
    (".a.b.c:1;(.a`b)`c", "1"),
    ("a:1;b:2;key `.", "`a`b"),
    ("a:1;value `.", "a| 1"),
    (".foo.x:1;key `", "`q`Q`h`j`o`foo"),
    (".q?(+:)", "`flip"),
    ("(::;flip)?(+:)", "1"),
    ('qfind:{key[.q]where x~/:string value .q};qfind"~:"', "`not`hdel"),
    ('qfind:{key[.q]where x~/:string value .q};qfind"k){x*y div x:$[16h=abs[@x];\\"j\\"$x;x]}"', ",`xbar"),
    (".q.count 1 2", "2"),
    ("hdel", "~:"),
    ("group (count;first;count)", "#:| 0 2\n*:| ,1"),
    (".nothere", "'.nothere"),
]


@pytest.mark.parametrize(("src", "expected"), NAMESPACES)
def test_namespaces_are_dictionaries(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected
