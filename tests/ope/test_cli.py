"""``rdq ope run`` / ``rdq ope assess`` as a user runs them: a subprocess, files on disk, JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rdq.ope import LoggedData, assess_estimator, estimate_policy_value

GOLDEN = Path(__file__).parent / "golden"
RDQ = str(Path(sys.executable).with_name("rdq"))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    out = json.loads((GOLDEN / "scope_rl_toy.json").read_text())
    d = tmp_path_factory.mktemp("ope")
    with np.load(GOLDEN / "scope_rl_toy.npz") as z:
        a = {k: z[k] for k in z.files}
    np.savez(d / "logged.npz", action=a["action"], reward=a["reward"], pscore=a["pscore"], gamma=out["gamma"])
    (d / "policies").mkdir()
    for p in out["policies"]:
        np.savez(d / "policies" / f"{p}.npz", action_dist=a[f"{p}__dist"], q_hat=a[f"{p}__q"],
                 true_value=out["estimates"][p]["on_policy"])
    return d / "logged.npz", d / "policies", out


def _rdq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RDQ, *args], capture_output=True, text=True, check=False)


def test_run_json_equals_scope_rl(files: tuple[Path, Path, dict]) -> None:
    logged, policies, out = files
    r = _rdq("ope", "run", "--logged", str(logged), "--policies", str(policies), "--json", "--n-bootstrap", "50")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert set(got["estimates"]) == set(out["policies"])
    for p in out["policies"]:
        for e in ("dm", "tis", "pdis", "dr", "sntis", "snpdis", "sndr"):
            cell = got["estimates"][p][e]
            assert cell["value"] == pytest.approx(out["estimates"][p][e], abs=1e-9)
            assert cell["lower"] <= cell["upper"]
    assert got["behavior_value"] == pytest.approx(out["behaviour_value"])


def test_assess_json_and_plot(files: tuple[Path, Path, dict], tmp_path: Path) -> None:
    logged, policies, out = files
    png = tmp_path / "topk.png"
    r = _rdq("ope", "assess", "--logged", str(logged), "--policies", str(policies), "--k", "3",
             "--plot", str(png), "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    names = sorted(out["policies"])                     # the CLI reads the folder sorted by name
    true = np.array([out["estimates"][p]["on_policy"] for p in names])
    est = np.array([out["estimates"][p]["sndr"] for p in names])
    expected = assess_estimator(est, true, behavior_value=out["behaviour_value"], k=3).to_dict()
    assert got["assessment"]["sndr"] == pytest.approx(expected)
    assert got["assessment"]["sndr"]["regret_at_k"] == pytest.approx(out["selection"]["sndr"]["regret"][0])
    assert len(got["topk"]["dr"]["sharpe_ratio"]) == len(names) and got["topk"]["dr"]["sharpe_ratio"][0] is None
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_output_and_errors(files: tuple[Path, Path, dict], tmp_path: Path) -> None:
    logged, policies, _ = files
    r = _rdq("ope", "run", "--logged", str(logged), "--policies", str(policies), "-e", "tis", "--n-bootstrap", "10")
    assert r.returncode == 0 and "greedy" in r.stdout and "tis" in r.stdout
    bad = _rdq("ope", "run", "--logged", str(logged), "--policies", str(policies), "-e", "snrd")
    assert bad.returncode == 2 and "did you mean 'sndr'" in bad.stderr and "Traceback" not in bad.stderr
    missing = _rdq("ope", "run", "--logged", str(tmp_path / "nope.npz"), "--policies", str(policies))
    assert missing.returncode == 2 and "nope.npz" in missing.stderr
    np.savez(tmp_path / "bad.npz", action=np.zeros((2, 3)), reward=np.zeros((2, 3)), pscore=np.zeros((2, 3)))
    zero = _rdq("ope", "run", "--logged", str(tmp_path / "bad.npz"), "--policies", str(policies))
    assert zero.returncode == 2 and "pscore" in zero.stderr and "bad.npz" in zero.stderr
    k = _rdq("ope", "assess", "--logged", str(logged), "--policies", str(policies), "--k", "99")
    assert k.returncode == 2 and "--k 99" in k.stderr


def test_logged_data_round_trip(files: tuple[Path, Path, dict]) -> None:
    from rdq.ope._files import load_logged, load_policies

    logged, policies, out = files
    data = load_logged(logged)
    assert isinstance(data, LoggedData) and data.gamma == out["gamma"]
    pol = {p.name: p for p in load_policies(policies)}
    v = estimate_policy_value("pdis", data, action_dist=pol["soft3"].action_dist)
    assert v == pytest.approx(out["estimates"]["soft3"]["pdis"], abs=1e-9)
