"""An accepted Python factor in the JSON contract: ``expression: null`` and the ``path`` of its saved source."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from rdq.agent._loop import ResearchLoop
from rdq.agent._loop_records import RunResult, public_factor
from rdq.agent._state import RunFolder, research_root, write_json
from rdq.agent._types import Branch, Candidate, CandidateResult, CheckResult, FactorTask
from rdq.cli import app

SOURCE = "def factor(panel):\n    return panel.select('date', 'asset', value=panel['close'])\n"


def _accept(tmp_path: Path) -> tuple[RunFolder, list[dict]]:  # type: ignore[type-arg]
    folder = RunFolder(research_root(tmp_path) / "run-py")
    folder.create({"config": {"name": "x", "base_factors": {"B": "$close"}}})
    loop = SimpleNamespace(folder=folder, accepted=[], sota=None)
    results = [
        CandidateResult(Candidate(n, Branch.FACTOR, code, code, FactorTask(n, "d")), (CheckResult("runs", True),),
                        {"signal.rank_ic": 0.03})  # fmt: skip
        for n, code in (("mom", "$close/Ref($close,5)-1"), ("py cv", SOURCE))
    ]
    ResearchLoop._accept(loop, Branch.FACTOR, results, object(), 3)  # type: ignore[arg-type]
    return folder, loop.accepted


def test_the_accepted_python_factor_is_a_file_and_the_json_names_it(tmp_path: Path) -> None:
    folder, accepted = _accept(tmp_path)
    assert accepted[1]["expression"] == SOURCE  # the state keeps the code (the report computes it)
    path = Path(accepted[1]["path"])
    assert path == folder.path / "factors" / "py_cv.py" and path.read_text() == SOURCE
    out = RunResult("run-py", 3, {}, accepted).to_json()["accepted_factors"]
    assert out[0] == {"name": "mom", "expression": "$close/Ref($close,5)-1", "round": 3,
                      "valid_metrics": {"signal.rank_ic": 0.03}}  # fmt: skip
    assert out[1] == {"name": "py cv", "expression": None, "path": str(path), "round": 3,
                      "valid_metrics": {"signal.rank_ic": 0.03}}  # fmt: skip
    assert public_factor(accepted[0]) == out[0]


def test_show_and_export_treat_the_python_factor_as_a_file(tmp_path: Path) -> None:
    folder, accepted = _accept(tmp_path)
    write_json(folder.state_file, {"accepted": accepted, "sota": {"metrics": {}}, "n_trials": 2, "rounds_done": 3})
    r = CliRunner().invoke(app, ["research", "show", "run-py", "--workspace", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)["accepted_factors"]
    assert shown[1]["expression"] is None and shown[1]["path"].endswith("py_cv.py")
    out = tmp_path / "lib.yaml"
    r = CliRunner().invoke(app, ["factors", "export", "run-py", "--workspace", str(tmp_path), "--out", str(out),
                                 "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["factors"] == {"mom": "$close/Ref($close,5)-1"} and list(res["python_factors"]) == ["py cv"]
    from rdq.factors import load_library

    assert dict(load_library(out)) == {"mom": "$close/Ref($close,5)-1"}
