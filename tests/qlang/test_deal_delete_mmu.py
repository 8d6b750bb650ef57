"""Verbs of the reference pages without files: deal.md (random symbols, booleans, bytes, GUIDs; rand),
delete.md (dictionaries, `.), mmu.md (``$`` on floats), select.md (a query needs ``from``), \\t:n."""

from __future__ import annotations

from rdq.qlang import Session


def test_random_symbols_and_rand(q: Session) -> None:
    # deal.md: 10?`3 gives 10 symbols of 3 letters from a-p; -n?`k distinct ones
    syms = q.eval("10?`3")
    words = [str(s) for s in syms.a.tolist()]
    assert len(words) == 10 and all(len(w) == 3 and set(w) <= set("abcdefghijklmnop") for w in words)
    distinct = [str(s) for s in q.eval("-200?`2").a.tolist()]
    assert len(set(distinct)) == 200
    assert q.display("-257?`2").startswith("'length")
    assert q.display("10?`9").startswith("'domain")
    assert q.display("type rand `6") == "-11h" and q.display("count string rand `6") == "6"
    assert q.display("type rand 10") == "-7h" and q.eval("rand 10").v in range(10)
    assert q.display("type rand 1.0") == "-9h"
    assert q.eval("rand 3 5 7").v in (3, 5, 7)
    assert q.display('type rand ("ab";"cd")') == "10h"


def test_random_booleans_bytes_and_guids(q: Session) -> None:
    # deal.md: 16?0x0 random bytes, 20?0b random booleans, 1?0Ng a GUID, -n?0Ng distinct GUIDs
    assert q.display("type 16?0x0") == "4h" and q.display("count 16?0x0") == "16"
    assert q.display("type 20?0b") == "1h" and q.display("count 20?0b") == "20"
    assert q.display("type 1?0Ng") == "2h"
    assert q.display("count distinct -1000?0Ng") == "1000"
    assert q.display("asc -2?0b") == "`s#01b"
    assert q.display("-3?0b").startswith("'length")
    assert q.display("type rand 0Ng") == "-2h" and q.display("type rand 0x0") == "-4h"


def test_a_query_without_its_table_is_a_q_error(q: Session) -> None:
    assert q.display("select a,b") == "'from"
    assert q.display("update a:1") == "'from"


def test_delete_from_dictionaries_and_the_root(q: Session) -> None:
    # delete.md: from a dictionary by name, a global from `.
    q.display("d:`a`b`c!til 3")
    assert q.display("delete b from `d") == "`d"
    assert q.display("d") == "a| 0\nc| 2"
    assert q.display("delete a from `.") == "`."
    assert q.display("a").startswith("'a")
    assert q.display("delete Mani from `Mani`Haritha!21 22") == "Haritha| 22"


def test_dollar_on_floats_is_mmu(q: Session) -> None:
    # mmu.md: $ on float vectors and matrices multiplies
    assert q.display("1 2 3f$4 5 6f") == "32f"
    assert q.display("(1 2 3f;4 5 6f)$(7 8f;9 10f;11 12f)") == "58  64\n139 154"
    assert q.display("a:2 4#2 4 8 3 5 6 0 7f; b:4 3#\"f\"$til 12; a mmu b") == "87 104 121\n81 99  117"
    assert q.display("1 2f$1 2 3f") == "'length"


def test_timer_commands_run_the_expression(q: Session) -> None:
    # \t:n x runs x n times and prints the milliseconds; \ts:n also the space (0 here)
    q.display("i:0")
    assert q.display("\\t:5 i+:1").isdigit()
    assert q.display("i") == "5"
    ts = q.display("\\ts:3 i+:1").split()
    assert len(ts) == 2 and all(p.isdigit() for p in ts)
    assert q.display("i") == "8"
