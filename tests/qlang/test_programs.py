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
        "  0=count st}\nshow valid \"()[]{}\"\nshow valid \"(]\"",
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
    ("firstUniq:{[s] c:count each group s; first where 1=c s}\nshow firstUniq \"leetcode\"", "0"),
    ('rev:{[x] r:"J"$reverse string abs x; $[x<0;neg r;r]}\nshow rev -123', "-321"),
    ("t:([] n:`a`b`c; v:3 1 2)\nshow `v xasc t\nshow exec n from t where v>1", "n v\n---\nb 1\nc 2\na 3\n`a`c"),
    ("fib:{$[x<2;x;fib[x-1]+fib[x-2]]}\nshow fib each til 10", "0 1 1 2 3 5 8 13 21 34"),
]


@pytest.mark.parametrize(("src", "expected"), PROGRAMS)
def test_program(src: str, expected: str) -> None:
    res = Session().run_script(src + "\nexit 0\n")
    assert res.stderr == ""
    assert res.exit_code == 0
    assert res.stdout.rstrip("\n") == expected
