"""``\\c rows cols``: the session's console size (basics/syscmds.md#c-console-size), used by display and scripts."""

from __future__ import annotations

from rdq.qlang import Session


def test_c_reports_and_sets_the_console_size() -> None:
    s = Session()
    assert s.display("\\c") == "25 80i"  # q's default without a terminal
    assert s.display("til 30").endswith("29")  # nothing cut until a size is set
    assert s.display("\\c 10 20") == ""
    assert s.display("\\c") == "10 20i"
    line = s.display("til 100")
    assert line.endswith("..") and len(line) == 19  # cut to cols - 3 characters and ".."
    assert Session().display("til 100").endswith("99")  # another session is not affected


def test_c_in_a_script_applies_to_later_lines() -> None:
    r = Session().run_script("\\c 12 30\nshow til 50\n")
    assert r.stdout.rstrip("\n").endswith("..") and len(r.stdout.rstrip("\n")) == 29
