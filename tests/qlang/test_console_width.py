r"""The console size (code.kx.com/q/basics/syscmds/#c-console-size): ``\c 5 5`` gives ``10 10``
(each between 10 and 2000), and with a console of 10 rows and 10 columns ``til each 20+til 10`` shows
7 lines of ``0 1 2 3..`` and a ``..`` line, as the syscmds page prints."""

from __future__ import annotations

from rdq.qlang import Session
from rdq.qlang._format import DEFAULT_CONSOLE, console_size, cut_to_console, display, use_console


def test_console_size_bounds() -> None:
    assert console_size("5 5", DEFAULT_CONSOLE) == (10, 10)
    assert console_size("", (30, 100)) == (30, 100)
    assert console_size("50 3000", DEFAULT_CONSOLE) == (50, 2000)
    assert console_size("40", (25, 80)) == (40, 80)


def test_syscmds_example() -> None:
    s = Session()
    value = s.eval("til each 20+til 10")
    with use_console((10, 10)):
        assert display(value) == "\n".join(["0 1 2 3.."] * 7 + [".."])


def test_cut_lines_and_rows() -> None:
    line = "x" * 100
    assert cut_to_console(line, (25, 80)) == "x" * 77 + ".."
    assert cut_to_console("x" * 79, (25, 80)) == "x" * 79
    text = "\n".join(str(i) for i in range(30))
    out = cut_to_console(text, (25, 80)).split("\n")
    assert out == [str(i) for i in range(22)] + [".."]
    assert cut_to_console(text, None) == text  # no console size set: nothing is cut


def test_default_is_no_cut() -> None:
    s = Session()
    assert s.display("30#1") == " ".join(["1"] * 30)
    assert len(s.display("100#1")) == 199
