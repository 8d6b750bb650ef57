"""Files of a q session, by the KX reference (read0, read1, 0: Save/Load Text, 1:, hopen, hcount, hdel,
key, get/set, save/load, \\l), kept inside the session's directory; random symbols (deal.md) and rand."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rdq.qlang import Session


@pytest.fixture
def q(tmp_path: Path) -> Session:
    return Session(directory=tmp_path)


def test_save_text_and_read0(q: Session, tmp_path: Path) -> None:
    # read0.md: `:test.txt 0:("hello";"goodbye") then read0 gives the lines
    assert q.display('`:test.txt 0:("hello";"goodbye")') == "`:test.txt"
    assert (tmp_path / "test.txt").read_bytes() == b"hello\ngoodbye\n"
    assert q.display("read0 `:test.txt") == '"hello"\n"goodbye"'
    assert q.display("read0 (`:test.txt;1;3)") == '"ell"'
    assert q.display("read0 (`:test.txt;1;8)") == '"ello"\n"goo"'
    # read0.md: a one-line file, an offset to the end, an offset and a length
    assert q.display('`:foo 0: enlist "hello world"') == "`:foo"
    assert q.display("read0 `:foo") == '"hello world"'  # a one-item list shows its item (as q's console)
    assert q.display("read0 (`:foo;6)") == '"world"'
    assert q.display("read0 (`:foo;6;2)") == '"wo"'
    # a file written by someone else, without a final newline
    (tmp_path / "raw.txt").write_bytes(b"a\nbc")
    assert q.display("read0 `:raw.txt") == ',"a"\n"bc"'
    assert q.display("count read0 `:raw.txt") == "2"


def test_read1_and_binary(q: Session, tmp_path: Path) -> None:
    assert q.display("`:b.bin 1: 0x01000000") == "`:b.bin"
    assert (tmp_path / "b.bin").read_bytes() == b"\x01\x00\x00\x00"
    assert q.display("read1 `:b.bin") == "0x01000000"
    # read1.md
    q.display('`:test.txt 0:("hello";"goodbye")')
    assert q.display("read1`:test.txt") == "0x68656c6c6f0a676f6f646279650a"
    assert q.display('"c"$read1`:test.txt') == '"hello\\ngoodbye\\n"'
    assert q.display("read1 (`:b.bin;0;2)") == "0x0100"
    assert q.display("(`:file;17;2;9)1:100#0x0") == "`:file" and q.display("count read1`:file") == "100"
    # file-binary.md: (enlist 4;enlist "i") 1: 0x01000000 is big-endian 16777216; here from the file
    assert q.display('(enlist"i";enlist 4) 1: `:b.bin') == q.display('(enlist"i";enlist 4) 1: 0x01000000')


def test_load_csv_from_a_file(q: Session, tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("sym,price\nIBM,101.5\nMSFT,44.25\n")
    assert q.display('t:("SF";enlist ",") 0: `:t.csv; t') == "sym  price\n----------\nIBM  101.5\nMSFT 44.25"
    assert q.display("meta t") == "c    | t f a\n-----| -----\nsym  | s\nprice| f"


def test_set_get_and_splayed_tables(q: Session, tmp_path: Path) -> None:
    assert q.display("`:v set 1 2 3") == "`:v"
    assert q.display("get `:v") == "1 2 3"
    assert q.display("value `:v") == "1 2 3"
    assert q.display("`:d set `a`b!(1;\"x\"); get `:d") == 'a| 1\nb| "x"'
    assert q.display("`:db/t/ set ([]a:1 2;b:`x`y)") == "`:db/t/"
    assert sorted(p.name for p in (tmp_path / "db" / "t").iterdir()) == [".d", "a", "b"]
    assert q.display("get `:db/t") == "a b\n---\n1 x\n2 y"
    assert q.display("key `:db/t") == "`.d`a`b"
    # get.md: (file;block;algorithm;level) set t compresses in q; here the value is kept as it is
    assert q.display("(`:z;17;2;6) set 1 2") == "`:z" and q.display("get `:z") == "1 2"
    assert q.display("(`:zt/;17;2;6) set ([]a:,1)") == "`:zt/" and q.display("get `:zt") == "a\n-\n1"
    assert q.display("key `:db") == ",`t"
    assert q.display("key `:v") == "`:v"
    assert q.display("key `:nothing") == "()"
    assert q.display("count key `:nothing") == "0"


def test_hcount_hdel(q: Session, tmp_path: Path) -> None:
    q.display('`:f.txt 0: ("ab";"c")')
    assert q.display("hcount `:f.txt") == "5"
    assert q.display("hdel `:f.txt") == "`:f.txt"
    assert not (tmp_path / "f.txt").exists()
    assert q.display("hdel `:f.txt") == "':f.txt. OS reports: No such file or directory"


def test_hopen_appends_text_lines_and_bytes(q: Session, tmp_path: Path) -> None:
    src = 'h:hopen `:log.txt; h "ab"; neg[h] "cd"; neg[h] ("ef";"g"); hclose h'
    assert q.display(src) == ""
    assert (tmp_path / "log.txt").read_bytes() == b"abcd\nef\ng\n"
    # reopened: appends; a handle inside a function
    q.display('f:{h:hopen `:log.txt; neg[h] string x; hclose h}; f each 1 2')
    assert q.display("read0 `:log.txt") == '"abcd"\n"ef"\n,"g"\n,"1"\n,"2"'
    assert q.display("h:hopen `:b; h 0x0102; hclose h; read1 `:b") == "0x0102"
    assert q.display("hclose 99i").startswith("'")


def test_missing_files_name_the_file(q: Session) -> None:
    assert q.display("read0 `:nope.txt") == "':nope.txt. OS reports: No such file or directory"
    assert q.display("get `:nope") == "':nope. OS reports: No such file or directory"
    assert q.display("\\l nope.q") == "'nope.q. OS reports: No such file or directory"


@pytest.mark.parametrize(
    "src",
    [
        "read0 `:../outside.txt",
        "read0 `:/etc/passwd",
        '`:../x.txt 0: enlist "x"',
        "`:a/../../x set 1",
        "hopen `:../h.txt",
        "key `:..",
        "\\l ../s.q",
        "hdel `:.",
    ],
)
def test_nothing_outside_the_directory(tmp_path: Path, src: str) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "outside.txt").write_text("secret\n")
    (tmp_path / "s.q").write_text("pwned:1\n")
    s = Session(directory=inner)
    out = s.display(src)
    assert out.startswith("'access"), out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inner", "outside.txt", "s.q"]
    assert s.display("pwned").startswith("'")


def test_a_link_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "secret.txt").write_text("secret\n")
    os.symlink(tmp_path / "secret.txt", inner / "link.txt")
    assert Session(directory=inner).display("read0 `:link.txt").startswith("'access")


def test_sessions_have_their_own_temporary_directories() -> None:
    a, b = Session(), Session()
    a.display("`:x set 1")
    assert b.display("get `:x").startswith("':x. OS reports")
    root = a.files.root
    assert (root / "x").is_file()
    del a
    gc.collect()
    assert not root.exists()


def test_load_script_folder_and_save_load(q: Session, tmp_path: Path) -> None:
    (tmp_path / "lib.q").write_text("f:{x*2}\nshow f 21\ng:3\n")
    assert q.display("\\l lib.q") == "42"
    assert q.display("f g") == "6"
    q.display("`:db/t/ set ([]a:1 2 3); `:db/n set 42")
    s2 = Session(directory=tmp_path)
    assert s2.display("\\l db") == ""
    assert s2.display("(count t; n)") == "3 42"
    q.display("u:([]c:`p`q)")
    assert q.display("save `u") == "`:u"
    s3 = Session(directory=tmp_path)
    assert s3.display("load `u") == "`u"
    assert s3.display("u") == "c\n-\np\nq"
    # \l of a value file: the global of its name, an enumeration still over its domain
    q.display("sym:`a`b; e:`sym$`b`a`b; `:e set e; delete e from `.")
    assert q.display("\\l e") == "" and q.display("e") == "`sym$`b`a`b"
    (tmp_path / "bad.q").write_text("a:1\nb:1+`x\nc:3\n")
    assert q.display("\\l bad.q") == "'type"
    assert q.display("(a;c)") == "'c"


def test_script_runs_with_its_own_directory(tmp_path: Path) -> None:
    (tmp_path / "lib.q").write_text("show 1+1\n")
    res = Session(directory=tmp_path).run_script('\\l lib.q\n`:o.txt 0: enlist "done"\nshow read0 `:o.txt\n')
    assert res.stdout == '2\n"done"\n' and res.exit_code == 0


def test_cli_uses_the_current_directory_or_dir(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("x\ny\n")
    cmd = [sys.executable, "-m", "rdq", "q", "-e", "count read0 `:data.txt"]
    here = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert here.stdout.strip() == "2", here.stderr
    elsewhere = subprocess.run([*cmd, "--dir", str(tmp_path)], cwd="/", capture_output=True, text=True, check=False)
    assert elsewhere.stdout.strip() == "2", elsewhere.stderr


def test_foreign_keys_and_enumerations_survive_a_file(q: Session) -> None:
    # database/object.md: a table with a foreign key set to a file and read back keeps the link
    q.display("countries:([country:`China`India`Japan];cont:3#`Asia;code:86 91 81)")
    q.display("cities:([] city:`Tokyo`Delhi`Shanghai; country:`countries$`Japan`India`China; pop:1 2 3)")
    assert q.display("`:linked/countries`:linked/cities set'(countries;cities)") == "`:linked/countries`:linked/cities"
    q.display("countries:get`:linked/countries; cities:get`:linked/cities")
    assert q.display("select city,country.code from cities") == "city     code\n-------------\nTokyo    81\nDelhi    91\nShanghai 86"
    assert q.display("type cities`country") == "20h"
    # kb/linking-columns.md: a splayed table with its symbols enumerated by .Q.en
    assert q.display("`:db/t1/ set .Q.en[`:db/; ([] c1:`c`b`a; c2: 10 20 30)]") == "`:db/t1/"
    assert q.display("exec c1 from get `:db/t1") == "`sym$`c`b`a"


def test_upsert_to_a_file(q: Session) -> None:
    # upsert.md: `:data/tser upsert (`c; 3.3) appends to the table in the file
    q.display("`:data/tser set ([] c1:`a`b; c2:1.1 2.2)")
    assert q.display("`:data/tser upsert (`c; 3.3)") == "`:data/tser"
    assert q.display("get `:data/tser") == "c1 c2\n------\na  1.1\nb  2.2\nc  3.3"
    q.display("`:sp/ set ([]a:1 2)")
    assert q.display("`:sp upsert 3") == "`:sp"
    assert q.display("exec a from get `:sp") == "1 2 3"


def test_sorting_a_table_by_name_or_file_in_place(q: Session) -> None:
    # asc.md (xasc): a table passed by name is sorted in place and the name returned
    assert q.display("t:([]a:3 1 2); `a xasc `t") == "`t"
    assert q.display("exec a from t") == "`s#1 2 3"  # xasc sets the sorted attribute on the column
    assert q.display("`a xdesc `t; exec a from t") == "3 2 1"
    q.display("`:x/ set ([]a:3 1 2)")
    assert q.display("`a xasc `:x") == "`:x" and q.display("exec a from get `:x") == "`s#1 2 3"
    # get.md: a splayed table replaces a value file of the same name
    q.display("`:z set 1 2")
    assert q.display("`:z/ set ([]a:1 2)") == "`:z/" and q.display("count get `:z") == "2"


def test_tables_by_name_and_file_for_cols_and_meta(q: Session) -> None:
    # cols.md / meta.md: a table by name or as a file
    q.display("t:([]a:1 2;b:`x`y)")
    assert q.display("cols `t") == "`a`b"
    assert q.display("meta `t") == "c| t f a\n-| -----\na| j\nb| s"
    q.display("`:db/tr/ set t")
    assert q.display("meta `:db/tr") == q.display("meta t")



def test_the_harness_runs_generated_code_in_a_folder_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from rdq.qlang.bench._executor import _embedded_run

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out, err, code = _embedded_run('`:x.txt 0: enlist "kept inside"; show read0 `:x.txt; `:../../esc.txt 0: enlist "x"')
    assert out == '"kept inside"\n' and code == 1 and err.startswith("'access"), (out, err)
    assert list(tmp_path.iterdir()) == []  # the program's folder is gone, nothing written beside it


@pytest.mark.parametrize("src", ["hopen 5001", "hopen `:localhost:5000", "hopen (`:localhost:5000;100)"])
def test_hopen_of_a_connection_opens_nothing(q: Session, tmp_path: Path, src: str) -> None:
    assert q.display(src).startswith("'hop. OS reports: Connection refused")
    assert list(tmp_path.iterdir()) == []
