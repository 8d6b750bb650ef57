"""Two OS processes on one store file: one writes in a loop while this one reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rdq.store import Store, StoreBusyError

WRITER = textwrap.dedent(
    """
    import sys
    from rdq.store import Store

    store = Store(sys.argv[1], timeout_s=120)
    for i in range(int(sys.argv[2])):
        with store.transaction() as tx:      # three rows, all or nothing
            tx.add_factor(f"f{i}", f"$close * {i}")
            tx.add_run("pair", {"i": i, "leg": 0})
            tx.add_run("pair", {"i": i, "leg": 1})
    print("writer done", flush=True)
    """
)

HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])      # holds the write lock until stdin closes
    print("locked", flush=True)
    sys.stdin.read()
    con.close()
    """
)


@pytest.mark.slow
def test_reader_sees_consistent_data_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    store = Store(path, timeout_s=120)
    n = 40
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[int] = []
    try:
        while True:
            finished = writer.poll() is not None
            counts = store.query(
                "SELECT (SELECT count(*) FROM factors) AS n_factors, "
                "(SELECT count(*) FROM runs) AS n_runs, "
                "(SELECT count(DISTINCT config) FROM runs) AS n_configs"
            ).row(0, named=True)
            # a transaction is seen whole or not at all
            assert counts["n_runs"] == 2 * counts["n_factors"] == counts["n_configs"]
            seen.append(counts["n_factors"])
            if finished:
                break
    finally:
        out, err = writer.communicate(timeout=600)
    assert writer.returncode == 0, err
    assert "writer done" in out
    assert seen[-1] == n
    assert seen == sorted(seen)  # never goes back
    assert len(set(seen)) >= 2  # the reads really interleaved with the writes
    assert store.factors()["name"].to_list() == [f"f{i}" for i in range(n)]


def test_lock_held_too_long_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    store = Store(path, timeout_s=0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreBusyError, match="stayed locked") as info:
            store.factors()
        assert "fix:" in str(info.value)
    finally:
        holder.communicate("", timeout=600)
    assert store.factors().height == 0  # free again
