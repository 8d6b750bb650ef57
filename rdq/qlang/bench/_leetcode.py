"""Translate LeetCodeDataset problems (``task_id, problem_description/query, starter_code/meta.lang_code,
entry_point, completion, test, input_output``) into the report's q benchmark format.

Each ``assert candidate(nums = [1,2,3], k = 2) == [1, 2]`` of the ``test`` field becomes a q test
``result:solve[1 2 3;2];`` / ``show result;`` with the expected console text ``1 2`` (see
:mod:`rdq.qlang.bench._qvalues`).  A problem is kept only when *every* test translates faithfully;
otherwise it is listed in :attr:`Translation.skipped` with the reason (None, trees and linked lists,
dicts, mixed-type lists, huge integers, asserts that are not a plain equality, ...).
"""

from __future__ import annotations

import ast
import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdq.errors import DataError
from rdq.qlang.bench._problem import Problem, TestCase
from rdq.qlang.bench._qvalues import ElemHint, Unrenderable, to_q_console, to_q_literal

__all__ = ["Translation", "translate_leetcode", "translate_row", "q_call", "MAX_Q_ARGS"]

#: q functions take at most 8 arguments
MAX_Q_ARGS = 8


@dataclass(frozen=True)
class Translation:
    """Result of translating a LeetCode file: kept problems and ``(task_id, reason)`` for the rest."""

    problems: tuple[Problem, ...]
    skipped: tuple[tuple[str, str], ...]

    @property
    def n_total(self) -> int:
        return len(self.problems) + len(self.skipped)

    def reason_counts(self) -> Counter[str]:
        """How many problems were skipped for each (generalised) reason."""
        return Counter(re.sub(r"'[^']*'|-?\d+", "_", r.split(" (")[0].split(":")[0]) for _, r in self.skipped)


def _hint(annotation: str | None) -> ElemHint:
    """Element type of an empty list from a type annotation like ``List[int]``."""
    if not annotation:
        return "general"
    a = annotation.replace(" ", "")
    inner = re.fullmatch(r"(?:List|list|Sequence)\[(.*)\]", a)
    if inner is None:
        return "char" if a == "str" else "general"
    hints: dict[str, ElemHint] = {"int": "long", "float": "float", "bool": "boolean"}
    return hints.get(inner.group(1), "general")


def _signature(lang_code: str, entry_point: str) -> tuple[list[str], dict[str, str], str | None]:
    """Parameter names (without self), their annotations and the return annotation of the entry point."""
    method = entry_point.rsplit(".", 1)[-1]
    src = lang_code.strip()
    if not src:
        return [], {}, None
    try:
        tree = ast.parse(src + "\n        pass\n" if src.rstrip().endswith(":") else src)
    except SyntaxError:
        return [], {}, None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == method:
            params = [a for a in node.args.args if a.arg != "self"]
            ann = {a.arg: ast.unparse(a.annotation) for a in params if a.annotation is not None}
            ret = ast.unparse(node.returns) if node.returns is not None else None
            return [a.arg for a in params], ann, ret
    return [], {}, None


def q_call(args: list[str]) -> str:
    """``solve[a;b]`` (``solve[]`` for no arguments)."""
    return "solve[" + ";".join(args) + "]"


def _literal(node: ast.expr, what: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        text = ast.unparse(node)
        if re.search(r"tree_node|list_node|TreeNode|ListNode", text):
            raise Unrenderable(f"{what} is a tree or linked list ({text[:40]})") from None
        raise Unrenderable(f"{what} is not a literal ({text[:40]})") from None


def _asserts(test: str) -> list[tuple[list[tuple[str, Any]], Any, str]]:
    """``[(keyword args, expected value, call source), ...]`` for each assert of a ``check`` function."""
    try:
        tree = ast.parse(test)
    except SyntaxError as exc:
        raise Unrenderable(f"test code does not parse ({exc.msg})") from None
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        t = node.test
        if not (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], (ast.Eq, ast.Is))
                and isinstance(t.left, ast.Call) and isinstance(t.left.func, ast.Name)
                and t.left.func.id == "candidate"):
            raise Unrenderable(f"assert is not 'candidate(...) == value' ({ast.unparse(t)[:50]})")
        call = t.left
        if call.args:
            kwargs = [(f"arg{i}", _literal(a, "an argument")) for i, a in enumerate(call.args)]
        else:
            kwargs = []
        for kw in call.keywords:
            if kw.arg is None:
                raise Unrenderable("call uses **kwargs")
            kwargs.append((kw.arg, _literal(kw.value, f"argument '{kw.arg}'")))
        out.append((kwargs, _literal(t.comparators[0], "the expected value"), ast.unparse(call)))
    if not out:
        raise Unrenderable("no asserts in the test code")
    return out


def translate_row(row: dict[str, Any]) -> Problem:
    """Translate one LeetCodeDataset row; raises :class:`Unrenderable` with the reason when it cannot."""
    meta = row.get("meta") or {}
    entry = str(row.get("entry_point") or "")
    starter = str(row.get("starter_code") or meta.get("lang_code") or "")
    params, ann, ret = _signature(starter, entry)
    tests = []
    for number, (kwargs, expected, call_src) in enumerate(_asserts(str(row.get("test") or "")), start=1):
        if len(kwargs) > MAX_Q_ARGS:
            raise Unrenderable(f"{len(kwargs)} arguments; q functions take at most {MAX_Q_ARGS}")
        names = [k for k, _ in kwargs]
        if params and all(n in params for n in names):
            kwargs = sorted(kwargs, key=lambda kv: params.index(kv[0]))
        elif params and not names[0].startswith("arg"):
            raise Unrenderable(f"call keywords {names} do not match the signature {params}")
        q_args = [to_q_literal(v, empty=_hint(ann.get(k))) for k, v in kwargs]
        q_expected = to_q_console(expected, empty=_hint(ret))
        py_call = "Solution()." + entry.rsplit(".", 1)[-1] + call_src[len("candidate"):]
        tests.append(TestCase(
            test_case_number=number,
            q_test_code=f"result:{q_call(q_args)};\nshow result;",
            q_expected_output=q_expected,
            python_test_code=f"result = {py_call}\nprint(result)",
            python_expected_output=str(expected),
            correct_answer=repr(expected),
        ))
    description = str(row.get("problem_description") or meta.get("question_title") or row.get("query") or "")
    task_id = str(row["task_id"])
    qid = meta.get("question_id")
    return Problem(
        problem_id=task_id,
        problem_name=task_id.replace("-", " ").title(),
        difficulty=str(meta.get("difficulty") or row.get("difficulty") or "Unknown"),
        tags=tuple(row.get("tags") or ()),
        problem_description=description.replace("\xa0", " ").strip(),
        python_solution=(str(row.get("prompt") or "") + str(row.get("completion") or "")).strip() + "\n",
        q_solution="",
        leetcode_id=int(qid) if isinstance(qid, int) else None,
        test_cases=tuple(tests),
        extra={"entry_point": entry, "source": "LeetCodeDataset"},
    )


def translate_leetcode(path: str | Path) -> Translation:
    """Translate a LeetCodeDataset ``.jsonl``/``.jsonl.gz`` file.

    Returns
    -------
    Translation
        The problems whose every test has a faithful q rendering, and ``(task_id, reason)`` for the rest.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("LeetCode file not found", file=str(path),
                        fix="give a LeetCodeDataset .jsonl.gz, e.g. /work/shared/leetcode/LeetCodeDataset-v0.2.0-test.jsonl.gz")
    opener = gzip.open if path.suffix == ".gz" else open
    kept: list[Problem] = []
    skipped: list[tuple[str, str]] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"not valid JSON ({exc.msg})", file=str(path), row=i) from None
            if "task_id" not in row:
                raise DataError("missing field 'task_id'", file=str(path), row=i, column="task_id",
                                fix="is this a LeetCodeDataset file?")
            try:
                kept.append(translate_row(row))
            except Unrenderable as exc:
                skipped.append((str(row["task_id"]), exc.reason))
    return Translation(tuple(kept), tuple(skipped))
