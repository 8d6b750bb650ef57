"""The process and clock values of ``.z`` (code.kx.com/q/ref/dotz), and a script's arguments (``.z.x .z.f``)."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdq.cli import app
from rdq.qlang import Session


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # lower case UTC, upper case local; each its documented type
        ("type each (.z.p;.z.P;.z.z;.z.Z;.z.d;.z.D;.z.t;.z.T;.z.n;.z.N)", "-12 -12 -15 -15 -14 -14 -19 -19 -16 -16h"),
        (".z.K", "4f"),
        (".z.k", "2020.05.04"),
        (".z.o", "`l64"),
        (".z.x", "()"),
        ("type .z.i", "-6h"),
        ("type .z.h", "-11h"),
        (".z.w", "0i"),
        ("0D<=.z.p-2000.01.01D", "1b"),
        ("0D00:00:01>abs .z.p-.z.p", "1b"),
    ],
)
def test_dot_z_values(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


def test_clock_reads_now(q: Session) -> None:
    shown = q.display(".z.d")  # read first: past midnight, today may be the next day
    today = datetime.datetime.now(datetime.UTC).date()
    assert shown in (today.strftime("%Y.%m.%d"), (today - datetime.timedelta(days=1)).strftime("%Y.%m.%d"))
    assert q.display(".z.i") == f"{os.getpid()}i"
    a, b = q.eval(".z.p").v, q.eval(".z.p").v
    assert b >= a  # read each time it is referenced, not once


def test_script_arguments_are_dot_z_x(tmp_path: Path) -> None:
    f = tmp_path / "args.q"
    f.write_text('show .z.x\nshow .z.f\nshow "J"$first .Q.opt[.z.x]`port\n')
    r = CliRunner().invoke(app, ["q", "--dir", str(tmp_path), str(f), "-port", "5000", "xy"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == ['"-port"', '"5000"', '"xy"', f"`{f}", "5000"]
