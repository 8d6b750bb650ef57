"""``rdq ope run`` / ``rdq ope assess`` on a log with continuous actions: SCOPE-RL's numbers through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdq.cli import app

GOLDEN = Path(__file__).parent / "golden"
runner = CliRunner()
RDQ = str(Path(sys.executable).with_name("rdq"))


def _rdq(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command: its exit code and message for bad input are the contract."""
    return subprocess.run([RDQ, *args], capture_output=True, text=True, check=False)


def _files(tmp_path: Path, dim: str) -> tuple[Path, Path, dict]:  # type: ignore[type-arg]
    out = json.loads((GOLDEN / "scope_rl_continuous.json").read_text())
    with np.load(GOLDEN / "scope_rl_continuous.npz") as z:
        a = {k: z[k] for k in z.files}
    logged = tmp_path / "logged.npz"
    np.savez(logged, action=a[f"{dim}__action"], reward=a[f"{dim}__reward"], pscore=a[f"{dim}__pscore"],
             gamma=out["gamma"], **({"action_type": "continuous"} if a[f"{dim}__action"].ndim == 2 else {}))  # fmt: skip
    pols = tmp_path / "policies"
    pols.mkdir()
    for p in out[dim]["policies"]:
        np.savez(pols / f"{p}.npz", evaluation_action=a[f"{dim}__{p}__evaluation_action"], q_hat=a[f"{dim}__{p}__q"],
                 true_value=out[dim]["on_policy"][p])  # fmt: skip
    return logged, pols, out


@pytest.mark.parametrize(
    ("config", "args"),
    [
        ("d2__epanechnikov__0.3", ["--kernel", "epanechnikov", "--bandwidth", "0.3"]),
        ("d1__gaussian__0.5__minmax-2.0_2.0", ["--bandwidth", "0.5", "--action-scaler", "-2,2"]),
    ],
)
def test_run_gives_scope_rl_estimates(tmp_path: Path, config: str, args: list[str]) -> None:
    logged, pols, out = _files(tmp_path, config.split("__")[0])
    r = runner.invoke(app, ["ope", "run", "--logged", str(logged), "--policies", str(pols), "--n-bootstrap", "5",
                            *args, "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)["estimates"]
    ref = out["configs"][config]["estimates"]
    assert set(got) == set(out[config.split("__")[0]]["policies"])
    n = 0
    for pol, row in got.items():
        for name, e in row.items():
            assert e["value"] == pytest.approx(ref[pol][name], abs=1e-9, rel=1e-12), (pol, name)
            assert e["lower"] <= e["upper"]
            n += 1
    assert n == 7 * len(got)  # every estimator ran: each policy file carries q_hat


def test_assess_ranks_continuous_policies(tmp_path: Path) -> None:
    logged, pols, out = _files(tmp_path, "d2")
    r = runner.invoke(app, ["ope", "assess", "--logged", str(logged), "--policies", str(pols), "--k", "2",
                            "--kernel", "gaussian", "--bandwidth", "1.0", "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert set(res["assessment"]) == {"dm", "tis", "pdis", "dr", "sntis", "snpdis", "sndr"}
    assert all(np.isfinite(a["nmse"]) for a in res["assessment"].values())


def test_bad_kernel_options_exit_2_with_the_fix(tmp_path: Path) -> None:
    logged, pols, _ = _files(tmp_path, "d1")
    base = ["ope", "run", "--logged", str(logged), "--policies", str(pols)]
    r = _rdq(*base, "--kernel", "gausian")
    assert r.returncode == 2 and "did you mean 'gaussian'" in r.stderr, r.stderr
    r = _rdq(*base, "--bandwidth", "0")
    assert r.returncode == 2 and "positive" in r.stderr
    r = _rdq(*base, "--action-scaler", "2,-2")
    assert r.returncode == 2 and "MIN < MAX" in r.stderr


def test_discrete_policies_do_not_fit_a_continuous_log(tmp_path: Path) -> None:
    logged, pols, _ = _files(tmp_path, "d1")
    for f in pols.glob("*.npz"):
        f.unlink()
    np.savez(pols / "x.npz", action_dist=np.full((300, 10, 3), 1 / 3))
    r = _rdq("ope", "run", "--logged", str(logged), "--policies", str(pols))
    assert r.returncode == 2 and "save evaluation_action" in r.stderr and "policies x" in r.stderr, r.stderr
