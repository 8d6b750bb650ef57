"""Examples of several reference pages (code.kx.com/q/ref/...): xbar on temporal values, Cast with a
list of types, tok of Unix seconds and ``yyyymmdd-hh:mm:ss``, all/any of a table, value of a list
headed by a string, Drop of dictionary keys, upsert of a keyed table."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # xbar.md
        (["5 xbar 11:00 + 0 2 3 5 7 11 13"], "11:00 11:00 11:00 11:05 11:05 11:10 11:10"),
        (["`date$3 xbar `month$2019.11.19"], "2019.10.01"),
        (["`date$3+3 xbar `month$2019.11.19"], "2020.01.01"),
        (["-1+`date$3+3 xbar `month$2019.11.19"], "2019.12.31"),
        (
            ["2 xbar 00:00:00.000000001 00:00:00.000000002 00:00:00.000000013"],
            "0D00:00:00.000000000 0D00:00:00.000000002 0D00:00:00.000000012",
        ),
        (["type 2 xbar 00:00:00.000000001 00:00:00.000000002 00:00:00.000000013"], "16h"),
        # cast.md
        (
            ["12 13 14 15 16 17 18 19h$42"],
            "2000.01.01D00:00:00.000000042\n2003.07m\n2000.02.12\n2000.02.12T00:00:00.000\n"
            "0D00:00:00.000000042\n00:42\n00:00:42\n00:00:00.042",
        ),
        (["`hh`uu`ss$03:55:58.11"], "3 55 58i"),
        (["`year`dd`mm`hh`uu`ss$2015.10.28D03:55:58"], "2015 28 10 3 55 58i"),
        (['(`int;"i";6h)$10'], "10 10 10i"),
        # tok.md
        (['"N"$"123456123987654"'], "0D12:34:56.123987654"),
        (['"T"$"123456123987654"'], "12:34:56.123"),
        (['"P"$"10129708800"'], "2290.12.31D00:00:00.000000000"),
        (['"P"$"00000000000"'], "1970.01.01D00:00:00.000000000"),
        (['"P"$"10129708800.123456789"'], "2290.12.31D00:00:00.123456789"),
        (['"P"$"00000000000.123456789"'], "1970.01.01D00:00:00.123456789"),
        (['"PZ"$\\:"20191122-11:11:11.123"'], "2019.11.22D11:11:11.123000000\n2019.11.22T11:11:11.123"),
        # add.md: a date plus a time of day is a timestamp
        (["2000.11.22 + 03:44:55.666"], "2000.11.22D03:44:55.666000000"),
        # all-any.md
        (["all ([] c1:1 2 3; c2:0n 0w -0w; c3:0 1 2f)"], "c1| 1\nc2| 1\nc3| 0"),
        (["any ([] c1:1 2 3; c2:0n 0w -0w; c3:000b)"], "c1| 1\nc2| 1\nc3| 0"),
        # value.md
        (['value("{x+y}";1;2)'], "3"),
        # drop.md
        (["d:100 200!`a`b", "1 _ d"], "200| b"),
        (["d:100 200!`a`b", "d _ 100"], "200| b"),
        (["d:100 200!`a`b", "enlist[1] _ d"], "100| a\n200| b"),
        (["d:100 200!`a`b", "enlist[100] _ d"], "200| b"),
        # upsert.md
        (
            ["a:([s:`q`w`e]r:1 2 3;u:5 6 7)", "a upsert ([s:`e`r`q]r:30 4 10;u:70 8 50)"],
            "s| r  u\n-| -----\nq| 10 50\nw| 2  6\ne| 30 70\nr| 4  8",
        ),
        (["a:([s:`q`w`e]r:1 2 3;u:5 6 7)", "`a upsert ([s:`e`r`q]r:30 4 10;u:70 8 50)"], "`a"),
    ],
)
def test_reference_examples(lines: list[str], expected: str) -> None:
    s = Session()
    for ln in lines[:-1]:
        s.display(ln)
    assert s.display(lines[-1]) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # med.md (the page prints b| -6 for med t, which is not the median of 4 5 -6)
        ("med d", "7 -8 -1.5"),
        ("med t", "a| 3\nb| 4"),
        ("med k", "a| 3\nb| 4"),
        # count.md: mcount of a table or keyed table works column by column
        ("2 mcount t", "a b\n---\n1 1\n2 2\n2 2"),
        ("2 mcount k", "k  | a b\n---| ---\nabc| 1 1\ndef| 2 2\nghi| 2 2"),
    ],
)
def test_med_mcount_on_tables(src: str, expected: str) -> None:
    s = Session()
    s.display("k:`k xkey update k:`abc`def`ghi from t:flip d:`a`b!(10 -21 3;4 5 -6)")
    assert s.display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # in.md, "Mixed argument ranks"
        ("3 in (1 2;3)", "0b"),
        ("3 in (3;1 2)", "1b"),
        ("1 2 in (9;(1 2;3 4))", "00b"),
        ("1 2 in (1 2;9)", "1b"),
        ("1 2 in ((1 2;3 4);9)", "0b"),
        ("(1 2;3 4) in ((1 2;3 4);9)", "1b"),
    ],
)
def test_in_mixed_ranks(src: str, expected: str) -> None:
    assert Session().display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # datatypes.md: a date outside a timestamp's range casts to an infinite timestamp
        ("`timestamp$1666.09.02", "-0Wp"),
        ("`timestamp$2300.01.01", "0Wp"),
        ("`timestamp$2020.01.01", "2020.01.01D00:00:00.000000000"),
        # the calendar types convert by days, whatever the year
        ('"z"$0001.01.01', "0001.01.01T00:00:00.000"),
        ("`month$0001.01.01", "0001.01m"),
        ("`date$2020.03m", "2020.03.01"),
        ("`month$2020.05.17 0Nd", "2020.05 0Nm"),
        ("`date$0Wm", "0Wd"),
    ],
)
def test_calendar_casts(src: str, expected: str) -> None:
    assert Session().display(src) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # key.md
        (["D:`q`w`e!(1 2;3 4;5 6)", "key `D"], "`q`w`e"),
        (["K:([s:`q`w`e]g:1 2 3;h:4 5 6)", "key `K"], "s\n-\nq\nw\ne"),
        (["()~key`zz"], "1b"),
        (["a:1", "key`a"], "`a"),
        (["f:([f:1 2 3]v:`a`b`c)", "x:`f$3 2", "key x"], "`f"),
        (['key each ("abc";101b;1 2 3h;1 2 3i;1 2 3;1 2 3f)'], "`char`boolean`short`int`long`float"),
        (["key 0#5"], "`long"),
        (["ids:`a`b`c", "x:`ids$`a`c", "key x"], "`ids"),
        (["key 10"], "0 1 2 3 4 5 6 7 8 9"),
    ],
)
def test_key_page(lines: list[str], expected: str) -> None:
    s = Session()
    for ln in lines[:-1]:
        s.display(ln)
    assert s.display(lines[-1]) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # avg.md
        ("avg (1 2;0N 4)", "0n 3"),
        ("avg -0w 0w", "0n"),
        ("avg 101b", "0.6666667"),
        ("2 0N 4 5 wavg 1 2 0N 8", "6f"),
        ("(1 2;3 4) wavg (500 400; 300 200)", "350 266.6667"),
        ("5 mavg 0N 2 0N 5 7 0N", "0n 2 2 3.5 4.666667 4.666667"),
        # a float vector shows no f where a 0n or 0w already shows its type (kb/lp.md)
        ("0w 17 18 0w 22 0f", "0w 17 18 0w 22 0"),
        ("1 2 3f", "1 2 3f"),
    ],
)
def test_avg_page(src: str, expected: str) -> None:
    assert Session().display(src) == expected


def test_avgs_skips_nulls() -> None:
    # avg.md: avgs 1 2 3 0n 4 -0w 0w is 1 1.5 2 2 2.5 -0w 0n; of a table, column by column
    from rdq.qlang._format import display
    from rdq.qlang._v_agg import q_avgs

    s = Session()
    assert display(q_avgs(s.eval("1 2 3 0n 4 -0w 0w"))) == "1 1.5 2 2 2.5 -0w 0n"
    assert (
        display(q_avgs(s.eval("([]a:10 21 3;b:4 5 6)")))
        == "a        b\n------------\n10       4\n15.5     4.5\n11.33333 5"
    )


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # sum.md
        ("2 3 4 wsum 1 2 4", "24f"),
        ("2 wsum 1 2 4", "14"),
        ("(1 2;3 4) wsum (500 400;300 200)", "1400 1600"),
        ("sum (0n 8;8 0n)", "0n 0n"),
        ("sum 0n 8", "8f"),
        ("3 msum 0N 2 3 5 0N 11", "0 2 5 10 8 16"),
        ("sum (1 2;0N 4)", "0N 6"),
    ],
)
def test_sum_page(src: str, expected: str) -> None:
    assert Session().display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # var.md (4.1: columns of tables and nested lists, nulls ignored)
        ("var 2 3 5 7", "3.6875"),
        ("var 2 3 5 0n 7", "3.6875"),
        ("svar 2 3 5 7", "4.916667"),
        ("var m", "1.555556 4"),
        ("var t", "a| 1.555556\nb| 4"),
        ("svar m", "2.333333 8"),
        ("svar t", "a| 2.333333\nb| 8"),
        ("dev m", "1.247219 2"),
    ],
)
def test_var_page(src: str, expected: str) -> None:
    s = Session()
    s.display("m:(2 3;4 0N;1 7)")
    s.display("t:flip`a`b!flip m")
    assert s.display(src) == expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # sum.md, domain and range: h -> i for sum and sums, b -> i for sums
        ("sum 1 2 3h", "6i"),
        ("sums 1 2 3h", "1 3 6i"),
        ("sum 0x0102", "3i"),
        ("sums 101b", "1 1 2i"),
    ],
)
def test_sum_ranges(src: str, expected: str) -> None:
    assert Session().display(src) == expected
