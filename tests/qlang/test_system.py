r"""System commands of a Session (code.kx.com/q/basics/syscmds): ``\d \v \f \a \p`` and the no-op settings."""

from __future__ import annotations

from rdq.qlang import Session


def test_d_shows_and_sets_the_namespace() -> None:
    # syscmds: \d with no argument shows the current namespace; \d . returns to the root
    s = Session()
    assert s.display("\\d") == "`."
    assert s.display("\\d .myns") == ""
    assert s.display("\\d") == "`.myns"
    assert s.display("\\d .") == ""
    assert s.display("\\d") == "`."


def test_names_defined_under_d_are_reachable_both_ways() -> None:
    s = Session()
    s.display("\\d .m")
    s.display("g:{til x}")
    s.display("n:3")
    s.display("\\d .")
    assert s.display("g n") == "0 1 2"
    assert s.display(".m.g .m.n") == "0 1 2"
    s.display(".m.n:5")  # one global, whichever name sets it
    assert s.display("n") == "5"


def test_script_with_namespace_runs_to_the_end() -> None:
    src = "\\d .aoc\npart1:{sum x}\n\\d .\nshow .aoc.part1 1 2 3\nshow part1 4 5\nexit 0\n"
    res = Session().run_script(src)
    assert (res.stdout, res.stderr, res.exit_code) == ("6\n9\n", "", 0)


def test_v_f_a_list_variables_functions_tables() -> None:
    # syscmds: "\v" after a:1+b:2 is `a`b; "\f" after f:g:h:{x+2*y} is `f`g`h; "\a" lists tables
    s = Session()
    assert s.display("\\a") == "`symbol$()"
    s.display("a:1+b:2")
    assert s.display("\\v") == "`a`b"
    s.display("f:g:h:{x+2*y}")
    assert s.display("\\f") == "`f`g`h"
    s.display("tt:([]dd:12 34)")
    assert s.display("\\a") == ",`tt"
    s.display(".nn.vv:([]uu:12 45)")
    assert s.display("\\a .nn") == ",`vv"
    assert s.display("\\a .n") == "'.n"


def test_p_port_is_remembered_not_opened() -> None:
    s = Session()
    assert s.display("\\p") == "0i"
    assert s.display("\\p 5010") == ""
    assert s.display("\\p") == "5010"


def test_settings_are_accepted() -> None:
    s = Session()
    for cmd in ("\\c 25 200", "\\S 42", "\\e 1", "\\g 1", "\\l"):
        assert s.display(cmd) == ""
    assert s.display("\\wget x") == "'nyi"


def test_lambda_parameter_list_on_its_own_line() -> None:
    # a published-program layout: the brace ends the first line, the parameters open the second
    src = "f:{\n  [a;b]\n  a*b}\nshow f[6;7]\nexit 0\n"
    assert Session().run_script(src).stdout == "42\n"
