"""Whole programs in the style of LeetCode solutions, run as scripts (hand-checked answers)."""

from __future__ import annotations

import pytest

from rdq.qlang import Session

PROGRAMS = [
    (
        "twoSum:{[nums;target] d:()!(); i:0; while[i<count nums; c:target-nums i; "
        "if[c in key d; :(d c;i)]; d[nums i]:i; i+:1]; ()}\nshow twoSum[2 7 11 15;9]",
        "0 1",
    ),
    (
        'valid:{[s] st:""; m:")]}"!"([{"; i:0; while[i<count s; c:s i;\n'
        '  $[c in "([{"; st,:c; [if[0=count st; :0b]; if[(last st)<>m c; :0b]; st:-1_st]]; i+:1];\n'
        '  0=count st}\nshow valid "()[]{}"\nshow valid "(]"',
        "1b\n0b",
    ),
    (
        "lcp:{[strs] {[p;s] while[not p~(count p)#s; p:-1_p]; p}/[first strs;1_strs]}\n"
        'show lcp ("flower";"flow";"flight")',
        '"fl"',
    ),
    (
        "bs:{[a;t] lo:0; hi:count[a]-1; while[lo<=hi; m:(lo+hi) div 2;\n"
        "  $[a[m]=t; :m; a[m]<t; lo:m+1; hi:m-1]]; -1}\nshow bs[-1 0 3 5 9 12;9]\nshow bs[1 2;7]",
        "4\n-1",
    ),
    ("maxSub:{max {y+0|x}\\ x}\nshow maxSub -2 1 -3 4 -1 2 1 -5 4", "6"),
    (
        'isPal:{[s] t:lower s where s in .Q.an; t~reverse t}\nshow isPal "A man, a plan, a canal: Panama"',
        "1b",
    ),
    (
        "coins:{[cs;amt] d:(amt+1)#0W; d[0]:0; i:1; while[i<=amt; j:0; while[j<count cs; c:cs j;\n"
        "  if[c<=i; if[d[i-c]<0W; d[i]:d[i]&1+d[i-c]]]; j+:1]; i+:1]; $[d[amt]=0W;-1;d amt]}\n"
        "show coins[1 2 5;11]\nshow coins[enlist 2;3]",
        "3\n-1",
    ),
    ('show " " sv reverse " " vs "the sky is blue"', '"blue is sky the"'),
    ('firstUniq:{[s] c:count each group s; first where 1=c s}\nshow firstUniq "leetcode"', "0"),
    ('rev:{[x] r:"J"$reverse string abs x; $[x<0;neg r;r]}\nshow rev -123', "-321"),
    (
        "t:([] n:`a`b`c; v:3 1 2)\nshow `v xasc t\nshow exec n from t where v>1",
        "n v\n---\nb 1\nc 2\na 3\n`a`c",
    ),
    ("fib:{$[x<2;x;fib[x-1]+fib[x-2]]}\nshow fib each til 10", "0 1 1 2 3 5 8 13 21 34"),
]


@pytest.mark.parametrize(("src", "expected"), PROGRAMS)
def test_program(src: str, expected: str) -> None:
    res = Session().run_script(src + "\nexit 0\n")
    assert res.stderr == ""
    assert res.exit_code == 0
    assert res.stdout.rstrip("\n") == expected


# -- published-program idioms (each checked by hand against the q reference's semantics) -------------
IDIOMS = [
    # a composition ending in :: is the function of that argument: 1+til 5
    ("nnt:1+til::", "nnt 5", "1 2 3 4 5"),
    ("f:sum 3#::", "f 5 4 3 2", "12"),
    ("", '(sum get::) each ("1 2";"3 4")', "3 7"),
    ("", "(first;sum 3#::)@\\:9 8 7 1", "9 24"),
    # a dictionary with string keys is indexed by one string
    ('d:("up";"down")!1 2', 'd "down"', "2"),
    ('d:("up";"down")!1 2', 'd ("down";"up")', "2 1"),
    # a chain of partly applied verbs is a composition: 0-1_4#x, scanned to convergence
    ("", "(0-1_4#)\\[1 0 0]", "1  0  0\n0  0  -1\n0  1  0\n-1 0  0\n0  0  1\n0  -1 0"),
    # each-prior with match: differ is not(~':), so the first item is 0b
    ("", "(~':) 1 1 2 2 3", "01010b"),
    ("", "(=':) 1 1 2 3 3", "01001b"),
    ("", "(-':) 1 4 9", "1 3 5"),
    # a dotted name assigned inside a function is the global
    ("f:{.ns.v:5; x}", "f[1]; .ns.v", "5"),
]


@pytest.mark.parametrize(("setup", "src", "expected"), IDIOMS)
def test_idiom(setup: str, src: str, expected: str) -> None:
    s = Session()
    if setup:
        assert s.display(setup) == ""
    assert s.display(src) == expected


# Advent of Code 2022 day 1 (the puzzle's sample: elves' calories; answers 24000 and 45000), in the
# one-liners people published: each must give the stated answers.
AOC_2022_1 = 'inp:("1000";"2000";"3000";"";"4000";"";"5000";"6000";"";"7000";"8000";"9000";"";"10000")'
AOC_LINES = [
    '(max;sum 3#desc@)@\\:sum each(0,where 0N=i)cut i:"J"$inp',
    '(max;sum 3#desc{x*0=0^next x}@)@\\:(0|+)scan"J"$inp',
    '(first;sum 3#::)@\\:desc sum@\'get@\'",,"vs","sv inp',
    '(first;sum 3#::)@\\:desc value each"++"vs"+"sv inp',
    "{(max x;sum 3#desc x)} d1 inp",
]


@pytest.mark.parametrize("line", AOC_LINES)
def test_aoc_2022_day1(line: str) -> None:
    s = Session()
    s.display(AOC_2022_1)
    s.display('d1:{sum each"J"$"\\n"vs/:"\\n\\n"vs"\\n"sv x}')
    assert s.display(line) == "24000 45000"
