"""Loading problems in the report's format: JSONL, Parquet, clear errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rdq.errors import ConfigError, DataError
from rdq.qlang.bench._problem import load_problems, load_sample, save_problems, select


def test_jsonl_roundtrip(tmp_path: Path) -> None:
    problems = load_sample()[:5]
    out = save_problems(tmp_path / "p.jsonl", problems)
    assert load_problems(out) == problems


def test_parquet_in_the_report_layout(tmp_path: Path) -> None:
    problems = load_sample()[:4]
    rows = [p.to_dict() for p in problems]
    path = tmp_path / "q_benchmark.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    assert load_problems(path) == problems


def test_bad_rows_name_file_row_and_column(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"problem_id": "a", "problem_description": "d", "test_cases": []}\n{"problem_id": "b"}\n')
    with pytest.raises(DataError, match=r"row 2.*problem_description"):
        load_problems(f)
    f.write_text("{not json}\n")
    with pytest.raises(DataError, match="row 1"):
        load_problems(f)
    with pytest.raises(DataError, match="not found"):
        load_problems(tmp_path / "missing.jsonl")
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"problem_id": "a", "problem_description": "d", "test_cases": []}\n' * 2)
    with pytest.raises(DataError, match="duplicate"):
        load_problems(dup)


def test_select_with_did_you_mean() -> None:
    problems = load_sample()
    assert [p.problem_id for p in select(problems, [problems[1].problem_id])] == [problems[1].problem_id]
    with pytest.raises(ConfigError, match="did you mean"):
        select(problems, [problems[1].problem_id + "x"])
