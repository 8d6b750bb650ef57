"""LeetCodeDataset -> q benchmark translation: hand-made rows and real shared problems."""

from __future__ import annotations

import gzip
import json

import pytest
from shared_data import shared_path

from rdq.errors import DataError
from rdq.qlang.bench._leetcode import translate_leetcode, translate_row
from rdq.qlang.bench._qvalues import Unrenderable

_TWO_SUM_LIKE = {
    "task_id": "pair-sum",
    "entry_point": "Solution().pairSum",
    "meta": {
        "question_id": 9001,
        "difficulty": "Easy",
        "question_title": "Return positions of two numbers adding to target.",
        "lang_code": "class Solution:\n    def pairSum(self, nums: List[int], target: int) -> List[int]:",
    },
    "prompt": "from typing import *\n",
    "completion": "class Solution:\n    def pairSum(self, nums, target):\n        return [0, 1]\n",
    "test": "def check(candidate):\n    assert candidate(target = 9, nums = [2,7,11,15]) == [0,1]\n"
    "    assert candidate(nums = [3], target = 3) == [0]\n",
}


def test_translate_row_orders_arguments_by_signature() -> None:
    p = translate_row(_TWO_SUM_LIKE)
    assert p.problem_id == "pair-sum" and p.difficulty == "Easy" and p.leetcode_id == 9001
    t1, t2 = p.test_cases
    assert t1.q_test_code == "result:solve[2 7 11 15;9];\nshow result;"
    assert t1.q_expected_output == "0 1"
    assert t2.q_test_code == "result:solve[enlist 3;3];\nshow result;"
    assert t2.q_expected_output == ",0"
    assert t1.python_test_code == "result = Solution().pairSum(target=9, nums=[2, 7, 11, 15])\nprint(result)"
    assert t1.python_expected_output == "[0, 1]"


def test_translate_row_strings_bools_matrices() -> None:
    row = dict(_TWO_SUM_LIKE, meta=dict(_TWO_SUM_LIKE["meta"], lang_code=(
        "class Solution:\n    def f(self, s: str, grid: List[List[int]], flag: bool) -> bool:")),
        entry_point="Solution().f",
        test='def check(candidate):\n    assert candidate(s = "a", grid = [[1,2],[3]], flag = True) == False\n'
        '    assert candidate(s = "ab", grid = [[1]], flag = False) == True\n')
    p = translate_row(row)
    assert p.test_cases[0].q_test_code.startswith('result:solve[enlist "a";(1 2;enlist 3);1b];')
    assert p.test_cases[0].q_expected_output == "0b"
    assert p.test_cases[1].q_test_code.startswith('result:solve["ab";enlist (enlist 1);0b];')


def test_typed_empty_from_annotation() -> None:
    row = dict(_TWO_SUM_LIKE, test="def check(candidate):\n    assert candidate(nums = [], target = 1) == []\n")
    p = translate_row(row)
    assert p.test_cases[0].q_test_code == "result:solve[`long$();1];\nshow result;"
    assert p.test_cases[0].q_expected_output == "`long$()"


@pytest.mark.parametrize(
    ("test", "reason"),
    [
        ("def check(candidate):\n    assert candidate(root = tree_node([1,2])) == 1\n", "tree"),
        ("def check(candidate):\n    assert is_same_list(candidate(head = list_node([1])), list_node([1]))\n",
         "assert is not"),
        ("def check(candidate):\n    assert candidate(nums = [1]) == None\n", "None"),
        ("def check(candidate):\n    assert candidate(nums = [1, 'a']) == 1\n", "mixed"),
        ("def check(candidate):\n    assert candidate(nums = [1]) == 1180591620717411303424\n", "64-bit"),
        ("def check(candidate):\n    assert candidate(a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9) == 1\n", "at most 8"),
    ],
)
def test_unfaithful_rows_are_skipped_with_reason(test: str, reason: str) -> None:
    row = dict(_TWO_SUM_LIKE, meta={}, test=test)
    with pytest.raises(Unrenderable, match=reason):
        translate_row(row)


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(DataError, match="not found"):
        translate_leetcode(tmp_path / "nope.jsonl.gz")


@pytest.fixture(scope="module")
def shared_test_split():
    path = shared_path("leetcode", "LeetCodeDataset-v0.2.0-test.jsonl.gz")
    return path, translate_leetcode(path)


def test_shared_split_translation_counts(shared_test_split) -> None:
    path, tr = shared_test_split
    with gzip.open(path, "rt") as fh:
        n_rows = sum(1 for line in fh if line.strip())
    assert tr.n_total == n_rows == 200
    # nearly all of the test split is arrays/strings/integers; what is skipped carries a reason
    assert len(tr.problems) >= 190
    assert all(reason for _, reason in tr.skipped)


def test_shared_problem_is_hand_checkable(shared_test_split) -> None:
    _, tr = shared_test_split
    p = {q.problem_id: q for q in tr.problems}["minimum-operations-to-collect-elements"]
    assert [t.q_test_code for t in p.test_cases] == [
        "result:solve[3 1 5 4 2;2];\nshow result;",
        "result:solve[3 1 5 4 2;5];\nshow result;",
        "result:solve[3 2 5 3 1;3];\nshow result;",
    ]
    assert [t.q_expected_output for t in p.test_cases] == ["4", "5", "4"]


def test_python_side_of_translated_problems_runs(shared_test_split) -> None:
    """The dataset's own Python solutions reproduce the translated python_expected_output."""
    from rdq.qlang.bench._executor import PythonExecutor
    from rdq.qlang.bench._prompts import Task
    from rdq.qlang.bench._score import score_references

    _, tr = shared_test_split
    some = list(tr.problems[:6])
    result = score_references(some, executor=PythonExecutor(timeout_s=10), task=Task.Q_TO_PYTHON, workers=1,
                              progress=False)
    assert result.pass_at(1) == 1.0, [s.reason for p in result.problems for s in p.samples]


# q solutions written by hand for a few real shared problems: the translated tests must accept them.
# (q's `in` takes a general-list x whole, so the substring check needs each-left `in\:`.)
_HAND_Q = {
    "minimum-operations-to-collect-elements": "solve:{[nums;k] n:count nums; n-min {last where y=x}[nums] each 1+til k}",
    "two-sum": "solve:{[n;t] c:til[count n] cross til count n; c:c where c[;0]<c[;1]; first c where t=sum each n c}",
    "existence-of-a-substring-in-a-string-and-its-reverse":
        "pairs:{x (til count[x]-1)+\\:0 1}\nsolve:{any pairs[x] in\\: pairs reverse x}",
    "harshad-number": "solve:{s:sum 10 vs x; $[0=x mod s;s;-1]}",
    "special-array-i": "solve:{all 1=(1_deltas x) mod 2}",
    "find-the-number-of-good-pairs-i": "solve:{[a;b;k] count where raze 0=a mod\\:b*k}",
}


def test_hand_written_q_passes_translated_tests(shared_test_split, embedded) -> None:
    from rdq.qlang.bench._score import score

    train = translate_leetcode(shared_path("leetcode", "LeetCodeDataset-v0.2.0-train.jsonl.gz"))
    _, test = shared_test_split
    by_id = {p.problem_id: p for p in (*test.problems, *train.problems)}
    problems = [by_id[k] for k in _HAND_Q]
    samples = {k: [(0, code)] for k, code in _HAND_Q.items()}
    result = score(problems, samples, executor=embedded, workers=1, progress=False)
    assert result.pass_at(1) == 1.0, [(p.problem_id, s.reason) for p in result.problems for s in p.samples]
    # and a wrong solution fails them
    wrong = {k: [(0, "solve:{[a;b] 0}")] for k in _HAND_Q}
    assert score(problems, wrong, executor=embedded, workers=1, progress=False).pass_at(1) == 0.0


def test_translated_file_roundtrips(tmp_path, shared_test_split) -> None:
    from rdq.qlang.bench._problem import load_problems, save_problems

    _, tr = shared_test_split
    out = save_problems(tmp_path / "lc.jsonl", tr.problems[:20])
    assert load_problems(out) == list(tr.problems[:20])
    json.loads(out.read_text().splitlines()[0])
