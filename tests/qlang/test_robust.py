"""Wrong input is a q error, never a crash or a Python error (found by fuzzing keywords over mixed values)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rdq.qlang import Session


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # vs with a base below 2 has no digits (base 1 never ended; base 0 divided by zero)
        ("1 vs 5", "'domain"),
        ("0 vs 5", "'domain"),
        ("1b vs 1b", "'domain"),
        ("2 vs 10", "1 0 1 0"),
        # table keywords: a left side of names, a table on the right (q.k); a missing column is its name
        ("1b xcol ([]a:1 2)", "'type"),
        ("`a xcol 1 2", "'type"),
        ("`a`b`c xcol ([]a:1 2)", "'length"),
        ("1b xkey ([]a:1 2)", "'type"),
        ("`zz xkey ([]a:1 2)", "'zz"),
        ("`a xkey 1 2", "'type"),
        ("1b xasc ([]a:1 2)", "'type"),
        ("`zz xasc ([]a:2 1)", "'zz"),
        ("`a xasc 1 2", "'type"),
        ("1b xcols ([]a:1 2)", "'type"),
        ("`zz xcols ([]a:1 2)", "'zz"),
        ("1b xgroup ([]a:1 2)", "'type"),
        ("`zz xgroup ([]a:1 2;b:3 4)", "'zz"),
        ("ungroup 1 2", "'type"),
        ("1b uj 1b", "'type"),
        ("() uj ([]a:1 2)", "a\n-\n1\n2"),
        ("([]a:1 2) uj ()", "a\n-\n1\n2"),
        ("([]a:1 2) uj ([k:1]b:2)", "'type"),
        ("1b lj ([k:1]b:2)", "'type"),
        ("1b ij ([k:1]b:2)", "'type"),
        ("([]k:1 2) ij ([]k:1)", "'type"),
        ("1b fby 1b", "'type"),
        ("(sum;1 2 3) fby `a`b", "'length"),
        ("(sum;1 2 3) fby `a`b`a", "4 2 4"),
    ],
)
def test_wrong_input_is_a_q_error(src: str, expected: str) -> None:
    assert Session().display(src) == expected


def test_runaway_recursion_is_stack_not_a_crash() -> None:
    # Python's recursion limit is held within what the stack can take: deep recursion through C (any of a
    # generator) used to overflow the C stack at the old limit and kill the process (SIGSEGV)
    cases = {
        "x:(enlist/)[100000;1];x~x": "'stack",  # match and display of a list 100,000 deep recurse through C
        "x:(enlist/)[100000;1];-3!x": "'stack",
        "f:{f x};f 1": "'stack",
        "{$[x=0;0;1+.z.s x-1]} 5000": "5000",
        "all {x+1}": "'type",  # a function has no items (this one recursed without end)
    }
    for src, want in cases.items():
        r = subprocess.run(
            [sys.executable, "-m", "rdq.cli", "q", "-e", src], capture_output=True, text=True, timeout=600
        )
        assert r.returncode in (0, 1), (src, r.returncode, r.stderr[-500:])
        assert r.stdout.strip() == want, (src, r.stdout)
