"""Benchmark problems in the report's format, and loading them from JSONL, Parquet or the HF hub.

One problem (a row of the report's data set)::

    problem_id, problem_name, leetcode_id, difficulty, tags, problem_description,
    python_solution, q_solution,
    test_cases: [{test_case_number, python_test_code, q_test_code,
                  python_expected_output, q_expected_output, correct_answer}]

A q test looks like ``result:solve[1 2 3;2];`` then ``show result;`` and its expected output is the
exact text q's console prints.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rdq.errors import ConfigError, DataError

__all__ = [
    "TestCase",
    "Problem",
    "load_problems",
    "load_sample",
    "save_problems",
    "SAMPLE_PATH",
]

log = logging.getLogger(__name__)

#: the embedded sample benchmark (problems written for rdq, not copied from any data set)
SAMPLE_PATH = Path(__file__).resolve().parent / "problems" / "sample.jsonl"


@dataclass(frozen=True)
class TestCase:
    """One test of a problem: the q and Python calls and their exact expected stdout."""

    __test__ = False  # not a pytest class

    test_case_number: int
    q_test_code: str
    q_expected_output: str
    python_test_code: str = ""
    python_expected_output: str = ""
    correct_answer: str = ""


@dataclass(frozen=True)
class Problem:
    """A benchmark problem in the report's format (see the module docstring)."""

    problem_id: str
    problem_name: str
    difficulty: str
    problem_description: str
    test_cases: tuple[TestCase, ...]
    tags: tuple[str, ...] = ()
    python_solution: str = ""
    q_solution: str = ""
    leetcode_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON-able data (report field names)."""
        row = asdict(self)
        row["tags"] = list(self.tags)
        row["test_cases"] = [asdict(t) for t in self.test_cases]
        if not row["extra"]:
            del row["extra"]
        return row


_REQUIRED = ("problem_id", "problem_description", "test_cases")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return list(json.loads(text))
        return [t.strip() for t in text.split(",") if t.strip()]
    return list(value)


def problem_from_row(row: dict[str, Any], *, file: str = "<row>", index: int = 0) -> Problem:
    """Build a :class:`Problem` from one report-format row, with a clear error for a bad row."""
    for key in _REQUIRED:
        if key not in row:
            raise DataError(
                f"missing field '{key}'", file=file, row=index, column=key,
                fix="rows need problem_id, problem_description and test_cases (the report's format)",
            )
    tests = []
    for j, tc in enumerate(_as_list(row["test_cases"])):
        if not isinstance(tc, dict) or "q_test_code" not in tc and "python_test_code" not in tc:
            raise DataError(
                f"test case {j} has neither q_test_code nor python_test_code", file=file, row=index,
                column="test_cases", fix="each test case needs q_test_code + q_expected_output",
            )
        tests.append(
            TestCase(
                test_case_number=int(tc.get("test_case_number", j + 1)),
                q_test_code=str(tc.get("q_test_code") or ""),
                q_expected_output=str(tc.get("q_expected_output") or ""),
                python_test_code=str(tc.get("python_test_code") or ""),
                python_expected_output=str(tc.get("python_expected_output") or ""),
                correct_answer=str(tc.get("correct_answer") or ""),
            )
        )
    lid = row.get("leetcode_id")
    return Problem(
        problem_id=str(row["problem_id"]),
        problem_name=str(row.get("problem_name") or row["problem_id"]),
        difficulty=str(row.get("difficulty") or "Unknown"),
        tags=tuple(str(t) for t in _as_list(row.get("tags"))),
        problem_description=str(row["problem_description"]),
        python_solution=str(row.get("python_solution") or ""),
        q_solution=str(row.get("q_solution") or ""),
        leetcode_id=int(lid) if lid not in (None, "") and str(lid).lstrip("-").isdigit() else None,
        test_cases=tuple(tests),
        extra=dict(row.get("extra") or {}),
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"not valid JSON ({exc.msg} at char {exc.pos})", file=str(path), row=i,
                    fix="each line must be one JSON object",
                ) from None
    return rows


def _read_rows(source: str | Path, *, split: str) -> tuple[list[dict[str, Any]], str]:
    path = Path(source)
    if path.exists():
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pylist(), str(path)
        if path.suffix in (".jsonl", ".json", ".gz"):
            return _read_jsonl(path), str(path)
        raise DataError(
            f"unknown problem file type '{path.suffix}'", file=str(path),
            fix="give a .jsonl, .jsonl.gz or .parquet file in the report's format",
        )
    name = str(source)
    if "/" in name and not name.startswith((".", "/")) and not path.suffix:
        return _read_hub(name, split=split), f"hf://{name}"
    raise DataError(
        "problem file not found", file=str(path),
        fix="check the path, or give a Hugging Face data set name like 'org/name' (needs network)",
    )


def _read_hub(name: str, *, split: str) -> list[dict[str, Any]]:  # pragma: no cover - needs network
    try:
        from datasets import load_dataset  # type: ignore[import-not-found]
    except ImportError:
        raise ConfigError(
            f"loading '{name}' from the Hugging Face hub needs the 'datasets' package: pip install datasets"
        ) from None
    log.info("downloading %s (split %s) from the Hugging Face hub", name, split)
    return [dict(r) for r in load_dataset(name, split=split)]


def load_problems(source: str | Path | None = None, *, split: str = "test") -> list[Problem]:
    """Load benchmark problems.

    Parameters
    ----------
    source:
        A ``.jsonl``/``.jsonl.gz``/``.parquet`` file in the report's format, a Hugging Face data set
        name (``org/name``, only when online), or ``None`` for the embedded sample.
    split:
        Hub split to load.

    Returns
    -------
    list[Problem]
        In file order; duplicate ``problem_id`` values are an error.
    """
    if source is None:
        source = SAMPLE_PATH
    rows, where = _read_rows(source, split=split)
    problems = [problem_from_row(r, file=where, index=i) for i, r in enumerate(rows, start=1)]
    seen: set[str] = set()
    for i, p in enumerate(problems, start=1):
        if p.problem_id in seen:
            raise DataError(f"duplicate problem_id '{p.problem_id}'", file=where, row=i, column="problem_id",
                            fix="problem ids must be unique")
        seen.add(p.problem_id)
    return problems


def load_sample() -> list[Problem]:
    """The embedded sample benchmark (:data:`SAMPLE_PATH`)."""
    return load_problems(SAMPLE_PATH)


def save_problems(path: str | Path, problems: Iterable[Problem]) -> Path:
    """Write problems as report-format JSONL, atomically (temp file + rename)."""
    from rdq.qlang.bench._io import atomic_write_text

    lines = [json.dumps(p.to_dict(), ensure_ascii=False) for p in problems]
    return atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))


def select(problems: Sequence[Problem], ids: Iterable[str] | None) -> list[Problem]:
    """The problems whose id is in ``ids`` (all when ``ids`` is None); unknown ids are an error."""
    if ids is None:
        return list(problems)
    by_id = {p.problem_id: p for p in problems}
    from rdq.errors import did_you_mean

    out = []
    for pid in ids:
        if pid not in by_id:
            raise ConfigError(f"unknown problem id '{pid}'{did_you_mean(pid, by_id)}")
        out.append(by_id[pid])
    return out
