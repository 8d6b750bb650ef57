"""Compiled lambda bodies (rdq.qlang._compile) give exactly what walking the parse tree gives.

Each program runs twice, in a session whose function bodies are compiled to closures and in one that walks
the tree (``Interp.compile_bodies = False``); the console text must be the same, and for the hand-checkable
ones it must be the stated value.
"""

from __future__ import annotations

import pytest

from rdq.qlang import Session
from rdq.qlang._interp import TREEWALK_ENV

# (setup lines, input, expected console text or None where only the agreement is checked)
CASES: list[tuple[list[str], str, str | None]] = [
    ([], "{x+1} 41", "42"),
    ([], "{[a;b] a*b}[6;7]", "42"),
    ([], "{x-y}[10;3]", "7"),
    ([], "{x mod 3} 10", "1"),
    ([], "{x div 3} -10", "-4"),  # floor division
    ([], "{x mod y}[-7;3]", "2"),
    ([], "{x=1} 1", "1b"),
    ([], "{x<>y}[1;2]", "1b"),
    ([], "{x&y}[3;5]", "3"),
    ([], "{x|y}[3;5]", "5"),
    ([], "{x+y}[9223372036854775806;-1]", "9223372036854775805"),
    ([], "{x*y}[4611686018427387904;2]", None),  # overflow wraps the same way on both paths
    ([], "{x+1} 0N", "0N"),
    ([], "{x+1.5} 1", "2.5"),
    ([], "{x+1} 1 2 3", "2 3 4"),
    ([], '{x,"!"} "hi"', '"hi!"'),
    # conditionals, control
    ([], "{$[x>0;`pos;x<0;`neg;`zero]} each -1 0 1", "`neg`zero`pos"),
    ([], "{$[x;1;2]} 0b", "2"),
    ([], "{$[x;1]} 0b", None),
    ([], "{r:0; if[x>2; r:1]; r} 3", "1"),
    ([], "{r:0; do[x; r+:2]; r} 5", "10"),
    ([], "{i:0; s:0; while[i<x; s+:i; i+:1]; s} 10", "45"),
    ([], "{if[x>2; :`big]; `small} 3", "`big"),
    ([], "{if[x>2; :`big]; `small} 1", "`small"),
    ([], "{:x+1; 99} 1", "2"),
    ([], "{x+1;} 1", ""),
    ([], "{[x] }[1]", ""),
    # recursion, .z.s, closures over globals
    (["f:{$[x<2;x;f[x-1]+f[x-2]]}"], "f 15", "610"),
    ([], "{$[x=1;0;1+.z.s $[x mod 2;1+3*x;x div 2]]} 27", "111"),
    ([], "{$[x=0;1;x*.z.s x-1]} 10", "3628800"),
    (["g:{$[x=0;0;1+.z.s x-1]}"], "g 3000", "3000"),
    (["n:10", "h:{x+n}"], "h 1", "11"),
    (["h:{x+n}"], "h 1", "'n"),
    # assignment: local, global, indexed, modified, dotted
    ([], "{a:x; a+:1; a} 5", "6"),
    ([], "{a:til x; a[1]:99; a} 3", "0 99 2"),
    ([], "{a:til x; a[1]+:10; a} 3", "0 11 2"),
    (["G:0"], "{G::x; G} 7", "7"),
    (["G:0", "{G::x} 7"], "G", "7"),
    (["k:{.ns.v:x}", "k 5"], ".ns.v", "5"),
    ([], "{d:()!(); d[`a]:1; d[`b]:2; d} 0", "a| 1\nb| 2"),
    ([], "{(a;b):x; a+b} 3 4", "7"),
    # application forms
    ([], "{f:{x*2}; f[x]} 4", "8"),
    ([], "{f:{x*y}; f[x;3]} 4", "12"),
    ([], "{f:{x*y}; g:f[x]; g 3} 4", "12"),
    ([], "{x[1]} 10 20 30", "20"),
    ([], "{x[1;0]} (1 2;3 4)", "3"),
    # indexing a vector or list by a long atom (the compiled in-range path) and out of range
    ([], "{x 1} `a`b`c", "`b"),
    ([], '{x 1} "abc"', '"b"'),
    ([], "{x[2]} 1.5 2.5 3.5", "3.5"),
    ([], "{x 0} 101b", "1b"),
    ([], "{x 1} (1;`a;\"c\")", "`a"),
    ([], "{x[5]} 1 2", None),
    ([], "{x[-1]} 1 2", None),
    ([], "{x 1} 1 2h", "2h"),
    ([], "{y x}[1;10 20 30]", "20"),
    ([], "{-x} 5", "-5"),
    ([], "{#x} 1 2 3", None),
    ([], "{count x} 1 2 3", "3"),
    ([], "{+/x} 1 2 3", "6"),
    ([], "{(+/) x} 1 2 3", "6"),
    ([], "{x+/y}[10;1 2 3]", "16"),
    ([], "{sum x} til 5", "10"),
    ([], "{x each y}[neg;1 2]", "-1 -2"),
    ([], "{(x+)} 2", None),
    ([], "{(x+) 3} 2", "5"),
    ([], "{(1;x;`a)} 2", "1\n2\n`a"),
    ([], "{(x;x)} 2", "2 2"),
    ([], "{(x;)} 2", None),
    ([], "{[f;x] f x}[{x*3};4]", "12"),
    ([], "{x[]} {42}", "42"),
    ([], "{first x} 1 2", "1"),
    ([], "{x y}[1 2 3;1]", "2"),
    # errors inside functions
    ([], "{x+`a} 1", "'type"),
    ([], "{'`oops} 1", "'oops"),
    ([], "{x 5} 1 2", None),
    ([], "{[a;b] a}[1;2;3]", "'rank"),
    # qSQL and tables inside functions (nodes the compiler hands back to the tree walker)
    (["t:([] a:1 2 3; b:4 5 6)"], "{select from t where a>x} 1", "a b\n---\n2 5\n3 6"),
    ([], "{([] a:x)} 1 2", "a\n-\n1\n2"),
]


def _run(setup: list[str], src: str, *, compiled: bool) -> str:
    s = Session()
    s.interp.compile_bodies = compiled
    for line in setup:
        s.display(line)
    return s.display(src)


@pytest.mark.parametrize(("setup", "src", "expected"), CASES)
def test_compiled_matches_tree_walk(setup: list[str], src: str, expected: str | None) -> None:
    walked = _run(setup, src, compiled=False)
    compiled = _run(setup, src, compiled=True)
    assert compiled == walked
    if expected is not None:
        assert compiled == expected


def test_body_compiled_once_per_session() -> None:
    s = Session()
    s.display("f:{x*2}")
    s.display("f 1")
    lam = s.interp.g["f"]
    first = lam.d.compiled
    assert first is not None and first[0] is s.interp
    s.display("f 2")
    assert lam.d.compiled is first  # reused, not rebuilt


def test_treewalk_env_turns_compiling_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TREEWALK_ENV, "1")
    s = Session()
    assert s.interp.compile_bodies is False
    s.display("f:{x*2}")
    assert s.display("f 21") == "42"
    assert s.interp.g["f"].d.compiled is None


def test_lambda_shared_by_two_sessions_runs_in_its_own() -> None:
    # the parse tree of a function value is shared when it is passed between sessions through -8!/-9!;
    # each session compiles it for itself and reads its own globals
    a = Session()
    b = Session()
    a.display("n:1")
    b.display("n:100")
    a.display("f:{x+n}")
    lam = a.interp.g["f"]
    assert a.display("f 1") == "2"
    b.interp.g["f"] = type(lam)(lam.d, b.interp)
    assert b.display("f 1") == "101"
    assert a.display("f 1") == "2"


# top-level loops run compiled with the top level's semantics: names are globals, assignments global
TOP_LEVEL: list[tuple[list[str], str, str]] = [
    (["i:0", "s:0", "while[i<100; s+:i; i+:1]"], "(i;s)", "100 4950"),
    (["r:0", "do[10; r+:2]"], "r", "20"),
    (["v:()", "do[3; v,:1]"], "v", "1 1 1"),
    (["a:0", "do[3; b:a; a+:1]"], "(a;b)", "3 2"),
    (["n:0", "while[n<5; $[n=2; m:n; k:n]; n+:1]"], "(m;k)", "2 4"),
    (["x:0", "do[2; (p;q):(x;x+1); x+:1]"], "(p;q)", "1 2"),
    (["t:([] a:1 2 3)", "c:0", "do[2; c+:count select from t where a>1]"], "c", "4"),
    (["d:()!()", "i:0", "while[i<3; d[i]:i*i; i+:1]"], "d", "0| 0\n1| 1\n2| 4"),
    (["f:{x*2}", "y:1", "do[3; y:f y]"], "y", "8"),
    (["w:0", "do[3; {w::w+x} 5]"], "w", "15"),
    (["e:0", "do[3; e+:`a]"], "e", "0"),
]


@pytest.mark.parametrize(("setup", "src", "expected"), TOP_LEVEL)
def test_top_level_loop_compiled_matches_tree_walk(setup: list[str], src: str, expected: str) -> None:
    outs = []
    for compiled in (False, True):
        s = Session()
        s.interp.compile_bodies = compiled
        texts = [s.display(line) for line in setup]
        outs.append((texts, s.display(src)))
    assert outs[1] == outs[0]
    assert outs[1][1] == expected


def test_top_level_loop_error_stops_the_script() -> None:
    res = Session().run_script("i:0\nwhile[i<5; i+:1; if[i=3; 'boom]]\nshow i\n")
    assert (res.stdout, res.stderr, res.exit_code) == ("", "'boom\n", 1)
