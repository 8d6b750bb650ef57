"""The ``.Q`` namespace by its reference page (code.kx.com/q/ref/dotq): each expected text is the page's own
console result where it shows one, else what the page (or kdb+ 4.0's ``q.k`` definition) states."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


def _d(q: Session, src: str) -> str:
    return q.display(src).rstrip("\n")


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # constants
        (".Q.A", '"ABCDEFGHIJKLMNOPQRSTUVWXYZ"'),
        (".Q.a", '"abcdefghijklmnopqrstuvwxyz"'),
        (".Q.an", '"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"'),
        (".Q.b6", '"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"'),
        (".Q.n", '"0123456789"'),
        (".Q.nA", '"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"'),
        (".Q.k", "4f"),
        (".Q.K", "2020.05.04"),
        ("0W~.Q.M", "1b"),
        (".Q.t", '" bg xhijefcspmdznuvts"'),
        ('.Q.t?"j"', "7"),
        ("5#.Q.res", "`abs`acos`asin`atan`avg"),
        ("count .Q.res", "43"),
        # addmonths
        (".Q.addmonths[2007.10.16;6 7]", "2008.04.16 2008.05.16"),
        (".Q.addmonths[2006.10.29;4]", "2007.03.01"),
        (".Q.addmonths[2008.03.31;-1]", "2008.03.02"),
        (".Q.addmonths[0Nd;1]", "0Nd"),
        # base64, sha1
        ('.Q.btoa"Hello World!"', '"SGVsbG8gV29ybGQh"'),
        ('.Q.atob"SGVsbG8gV29ybGQh"', '"Hello World!"'),
        ('.Q.btoa""', '""'),
        ('.Q.sha1"Hello World!"', "0x2ef7bde608ce5404e97d5f042f95f89f1c232871"),
        # dd
        (".Q.dd[`:dir]`file", "`:dir/file"),
        ('.Q.dd[`AAPL]"O"', "`AAPL.O"),
        (
            'update sym:esym .Q.dd\'ex from([]esym:`AAPL`IBM;ex:"ON")',
            "esym ex sym\n--------------\nAAPL O  AAPL.O\nIBM  N  IBM.N",
        ),
        (".Q.dd[`:/tmp/db1;`2022.01.01`ecfmapping`]", "`:/tmp/db1/2022.01.01/ecfmapping/"),
        (".Q.dd[`a;1]", "`a.1"),
        # f and fmt
        (
            ".Q.f[2;]each 9.996 34.3445 7817047037.90 781704703567.90 -.02 9.996 -0.0001",
            '"10.00"\n"34.34"\n"7817047037.90"\n"781704703567.90"\n"-0.02"\n"10.00"\n"-0.00"',
        ),
        (".Q.f[2;.045]", '"0.05"'),  # internal.md: 10.045*100 is exactly 1004.5, rounded up
        (".Q.f[0;3.7]", '"4."'),
        (".Q.f[2;5]", '"5.00"'),
        (".Q.f[2;0]", '"0.00"'),
        (".Q.f[2;-5i]", '"-5.00"'),
        (".Q.f[2;0n]", '""'),
        (".Q.f[1;0Ni]", '""'),
        (".Q.f[2;0w]", '"0w"'),
        (".Q.f[2;-0w]", '"-0w"'),
        (".Q.f[2;1e14]", '"1e+14"'),
        (".Q.fmt[6;2]each 1 234", '"  1.00"\n"234.00"'),
        (".Q.fmt[3;2;12.345]", '"***"'),
        (".Q.fmt[6][2;3.14159]", '"  3.14"'),
        (
            "fix:{.Q.fmt'[x+1+count each string floor y;x;y]}; fix[2]1.2 123 1.23445 -1234578.5522",
            '"1.20"\n"123.00"\n"1.23"\n"-1234578.55"',
        ),
        (
            "fix:{.Q.fmt'[x+1+count each string floor y;x;y]}; align:{neg[max count each x]$x};"
            " align fix[2]1.2 123 1.23445 -1234578.5522",
            '"       1.20"\n"     123.00"\n"       1.23"\n"-1234578.55"',
        ),
        (
            'fmt:{.Q.fmt[x;(count 2_string y-i)&x-1+count string i:"i"$y]y}; fmt[9] each 34.4 343434.358',
            '"     34.4"\n"343434.36"',
        ),
        ("a:1%7; .Q.fmt[8;6]a", '"0.142857"'),
        # id
        ('.Q.id each `$("ab";"a/b";"two words";"2drifters";"2+2")', "`ab`ab`twowords`a2drifters`a22"),
        ('.Q.id`$"+"', "`a"),
        ('.Q.id`$"_"', "`a_"),
        (".Q.id`", "`"),
        (".Q.id`select", "`select"),  # only tables get the keyword rule (1 appended)
        ('.Q.id`$("a b";"1")', "`ab`a1"),
        (".Q.id flip (5#.Q.res)!(5#())", "abs1 acos1 asin1 atan1 avg1\n---------------------------"),
        ('.Q.id flip(`$("a";"a/b"))!2#()', "a ab\n----"),
        ("key .Q.id (5#.Q.res)!(5#())", "`abs1`acos1`asin1`atan1`avg1"),
        ('cols .Q.id(`$("count+";"count*";"count1"))xcol([]1 2;3 4;5 6)', "`count1`count11`count12"),
        ('cols .Q.id(`$("aa";"=";"+"))xcol([]1 2;3 4;5 6)', "`aa`a`a1"),
        ('cols .Q.id(`$("3aa";"_aa";"_aa"))xcol([]1 2;3 4;5 6)', "`a3aa`a_aa`a_aa1"),
        # a keyed table's key and value columns
        ('cols .Q.id (`$("k k";"v-v")) xcol ([k:1 2] v:3 4)', "`kk`vv"),
        # binhex and base 36
        (".Q.x10 12345", '"AAAAAAADA5"'),
        (".Q.j10 .Q.x10 12345", "12345"),
        (".Q.j10 each .Q.x10 each 12345+1 2 3", "12346 12347 12348"),
        (".Q.x12 12345", '"0000000009IX"'),
        (".Q.j12 .Q.x12 12345", "12345"),
        (".Q.x10 0", '"AAAAAAAAAA"'),
        ('.Q.j12 ("0000000009IX";"1")', "12345 1"),
        # opt and def
        ('.Q.opt ("-param1";"val1";"-param2";"val2")', 'param1| "val1"\nparam2| "val2"'),
        ('(.Q.opt ("-param1";"val1";"-param2";"val2"))`param1', '"val1"'),
        ('.Q.opt ("-param1";"-param2";"as";"asd";"-param3")', 'param1| ()\nparam2| ("as";"asd")\nparam3| ()'),
        ('count each .Q.opt ("-a";"-1";"-b";"x";"y")', "a| 1\nb| 2"),  # -1 is a value, not a parameter
        ('first each .Q.opt ("-a";"-1";"-b";"x";"y")', 'a| "-1"\nb| ,"x"'),
        ('type each .Q.opt ("-a";"-1";"-b")', "a| 0\nb| 0"),  # each value a list of strings
        ('.Q.opt ("/q";"src";"-p";"1"); .Q.x', '"/q"\n"src"'),
        ("count .Q.opt ()", "0"),
        (
            '.Q.def[`abc`xyz`efg!(1;2.;`a)].Q.opt ("-abc";"123";"-xyz";"321")',
            "abc| 123\nxyz| 321f\nefg| `a",
        ),
        (
            ".Q.def[`param1`param2`param3!(1;1999.01.01;23.1)].Q.opt"
            ' ("-param1";"11";"-param2";"2000.01.01";"-param3";"wrong")',
            "param1| 11\nparam2| 2000.01.01\nparam3| 0n",
        ),
        ('.Q.def[`a`b`c!(0;0#0;`)]`b`c!(("23";"24");enlist "qwe")', "a| 0\nb| 23 24\nc| `qwe"),
        # tables
        (
            ".Q.ff[([]sym:`a`b;size:10 20)] enlist `sym`ratioA`ratioB!3#1",
            "sym size ratioA ratioB\n----------------------\na   10\nb   20",
        ),
        ("null .Q.ff[([]a:1 2)] ([]b:1#`x;c:1#1.5)", "a b c\n-----\n0 1 1\n0 1 1"),
        (
            't:([]a:3 4 5;b:"abc";c:(3;"xy";`ab);d:3 2#3 4 5;e:("abc";"de";"fg")); .Q.ty each t`a`b`c`d`e',
            '"jc JC"',
        ),
        (".Q.ty 1", '"J"'),
        (".Q.qt ([]a:1 2)", "1b"),
        (".Q.qt ([k:1 2]v:3 4)", "1b"),
        (".Q.qt 1 2", "0b"),
        (".Q.qp ([]a:1 2)", "0"),
        (
            "s:([s:`s1`s2`s3`s4]name:`smith`jones`blake`clark;status:20 10 30 20); .Q.ft[{x 2 3};s]",
            "s | name  status\n--| ------------\ns3| blake 30\ns4| clark 20",
        ),
        (".Q.V ([]a:1 2;b:`x`y)", "a| 1 2\nb| x y"),
        ("q:42; .Q.v `q", "42"),
        (".Q.v 1 2", "1 2"),
        ("t:([]sym:`a`b;v:1 2); k:([sym:`a`b]x:1 2); t:update sym:`k$sym from t; .Q.fk t`sym", "`k"),
        (".Q.fk 1 2", "`"),
        ("([]sym:`mysym$`a`b`c)~.Q.ens[`:db;([]sym:`a`b`c);`mysym]", "1b"),
        # functions
        ("vec:100?30; f:{exp x*x}; (f vec)~.Q.fu[f;vec]", "1b"),
        (".Q.fu[{x*2};3]", "6"),
        ("n:0; .Q.fu[{n::count x;x*2};1 1 2 2 1]", "2 2 4 4 2"),
        ("n:0; .Q.fu[{n::count x;x*2};1 1 2 2 1]; n", "2"),  # f saw only the distinct items
        (".Q.fc[{2 xexp x}] til 4", "1 2 4 8f"),
        (".Q.gc[]", "0"),
        ("last .Q.ts[+;2 3]", "5"),
        ("type first .Q.ts[+;2 3]", "7h"),
        (".Q.trp[{`hello+x};2;{(x;y)}]", '"type"\n()'),
        (".Q.trp[{x+1};2;{(x;y)}]", "3"),
        (".Q.trpd[{x+y};(1;2);{(x;y)}]", "3"),
        (".Q.trpd[{x+y};(1;`2);{x}]", "'rank"),
        (".Q.sbt ()", '""'),
        # plain text and string representation (kept from before)
        (".Q.s ([h:1 2 3] m: 4 5 6)", '"h| m\\n-| -\\n1| 4\\n2| 5\\n3| 6\\n"'),
        (".Q.s1 1 2 3", '"1 2 3"'),
        # gzip
        (".Q.gz[::]", "1b"),
        ('count .Q.gz(9;10000#"helloworld")', "66"),
        ('(10000#"helloworld")~.Q.gz .Q.gz(9;10000#"helloworld")', "1b"),
    ],
)
def test_reference_examples(q: Session, src: str, expected: str) -> None:
    assert _d(q, src) == expected


@pytest.mark.parametrize(
    ("src", "error"),
    [
        (".Q.f[`a;1]", "'type"),
        (".Q.f[2;1 2]", "'type"),
        (".Q.fmt[6;2;3;4]", "'rank"),
        (".Q.id 1", "'type"),
        (".Q.opt 1", "'type"),
        ('.Q.atob "!!"', "'domain"),
        (".Q.gz 0x0102", "'domain"),
        (".Q.V 1 2", "'type"),
        (".Q.ff[1;2]", "'type"),
    ],
)
def test_errors(q: Session, src: str, error: str) -> None:
    assert _d(q, src).splitlines()[0] == error


def test_fs_streams_whole_lines(q: Session) -> None:
    """``.Q.fs``: ``f`` on lumps of whole lines; the result is the file's size (``hcount``)."""
    rows = '("Take, a,   hippo, to,   lunch, today,        -1, 1941-12-07";"A,    man, a,     plan, a,     hippopotamus, 42, 1952-02-23")'
    q.display(f"`:potamus.csv 0: {rows}")
    assert _d(q, "r:(); .Q.fs[{r::r,enlist x}]`:potamus.csv") == "120"
    assert _d(q, "count r") == "1"
    assert _d(q, '.Q.fs[{0N!("SSSSSSID";",")0:x}]`:potamus.csv').splitlines()[-1] == "120"
    assert _d(q, "r:(); .Q.fsn[{r::r,count x};`:potamus.csv;70]; r") == "1 1"


def test_opt_sets_x_and_def_keeps_default_order(q: Session) -> None:
    q.display('o:.Q.opt ("prog";"-b";"2";"-a";"x")')
    assert _d(q, "(count;type;first) @\\: .Q.x") == '1\n0h\n"prog"'
    assert _d(q, "key o") == "`b`a"
    assert _d(q, ".Q.def[`a`b`c!(`;0;0.5)] o") == "a| `x\nb| 2\nc| 0.5"


def test_f_replaces_the_old_q_f(q: Session) -> None:
    """The q.k ``.Q.f`` (the old one used Python's formatting, which rounds halves to even)."""
    assert _d(q, ".Q.f[1;0.25]") == '"0.3"'
    assert _d(q, ".Q.f[2;1.005]") == '"1.00"'  # 1.005*100 is 100.49999999999999
