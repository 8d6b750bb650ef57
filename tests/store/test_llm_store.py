"""Catalog schema 3: LLM exchanges (record, read back in order, replay) and knowledge tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdq.llm import Exchange, ReplayClient
from rdq.store import SCHEMA_VERSION, Store
from rdq.store._llm import (
    exchange_rows,
    exchanges_for_run,
    knowledge_attempts,
    knowledge_fixes,
    record_attempt,
    record_exchange,
    record_fix,
)


def _ex(purpose: str, reply: str, **kw: object) -> Exchange:
    return Exchange(
        purpose=purpose, request=({"role": "user", "content": f"ask {purpose}"},), reply=reply, **kw
    )  # type: ignore[arg-type]


def test_schema_is_version_4(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.duckdb")
    assert SCHEMA_VERSION == 4 and store.schema_version() == 4


def test_a_version_3_catalog_migrates_and_keeps_its_exchanges(tmp_path: Path) -> None:
    """A catalog written before ``extra``/``attempts`` existed: opened, migrated, its rows read with defaults."""
    import duckdb

    from rdq.store._schema import _META, MIGRATIONS

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(_META)
    for _version, _d, statements in MIGRATIONS[:3]:
        for sql in statements:
            con.execute(sql)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '3')")
    con.execute(
        "INSERT INTO llm_exchanges VALUES ('r0', 0, 0, 'explain', '[]', 'old', 1, 2, 0.5, 0.1, false, NULL, 'm', "
        "now())"
    )
    con.close()
    store = Store(path)
    assert store.schema_version() == 4
    (row,) = exchanges_for_run(store, "r0")
    assert row["reply"] == "old" and row["extra"] == {} and row["attempts"] == 1
    record_exchange(store, "r0", 0, _ex("explain", "new", attempts=3, extra={"fallback": "json", "status": 422}))
    new = exchanges_for_run(store, "r0")[1]
    assert new["attempts"] == 3 and new["extra"] == {"fallback": "json", "status": 422}
    assert Exchange(**new).extra == {"fallback": "json", "status": 422}


def test_exchanges_round_trip_in_order_and_replay(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    store = Store(path)
    a = _ex("propose.factor", '{"x": 1}', input_tokens=10, output_tokens=5, usd=0.25, seconds=1.5, model="m")
    b = _ex("code.factor", "", error="LLMError: boom", refusal=False)
    c = _ex("explain", "fine")
    assert record_exchange(store, "r1", 0, a) == 0
    assert record_exchange(store, "r1", 0, b) == 1
    assert record_exchange(store, "r1", 1, c) == 0
    record_exchange(store, "other", 0, c)
    rows = exchange_rows(Store(path), "r1")
    assert rows["purpose"].to_list() == ["propose.factor", "code.factor", "explain"]
    assert rows["round"].to_list() == [0, 0, 1] and rows["seq"].to_list() == [0, 1, 0]
    assert rows["input_tokens"][0] == 10 and rows["usd"][0] == pytest.approx(0.25)
    got = [Exchange(**kw) for kw in exchanges_for_run(Store(path), "r1")]
    assert got == [a, b, c]
    replay = ReplayClient(got)
    assert replay.complete([("user", "whatever")], purpose="propose.factor").reply == '{"x": 1}'


def test_knowledge_tables_kept_across_opens(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    store = Store(path)
    record_attempt(
        store, "r1", kind="factor", task_key="k", task_text="t", code="c1", feedback="bad", outcome="failed"
    )
    record_attempt(
        store, "r1", kind="factor", task_key="k", task_text="t", code="c2", feedback="", outcome="ok"
    )
    record_fix(store, "r1", kind="factor", error="bad", fix="c2")
    again = Store(path)
    att = knowledge_attempts(again, kind="factor")
    assert att["code"].to_list() == ["c1", "c2"] and att["outcome"].to_list() == ["failed", "ok"]
    assert knowledge_attempts(again, kind="model").height == 0
    assert knowledge_fixes(again)["fix"].to_list() == ["c2"]
