"""Reading continuous-action OPE inputs from files (``rdq.ope._files``), checked against SCOPE-RL's values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rdq.errors import DataError
from rdq.ope import ContinuousLoggedData, LoggedData, estimate_policy_value
from rdq.ope._files import load_logged_any, load_policies

GOLDEN = Path(__file__).parent / "golden"


def test_continuous_files_give_scope_rl_estimates(tmp_path: Path) -> None:
    out = json.loads((GOLDEN / "scope_rl_continuous.json").read_text())
    with np.load(GOLDEN / "scope_rl_continuous.npz") as z:
        a = {k: z[k] for k in z.files}
    np.savez(
        tmp_path / "logged.npz",
        action=a["d2__action"],
        reward=a["d2__reward"],
        pscore=a["d2__pscore"],
        gamma=out["gamma"],
    )
    (tmp_path / "policies").mkdir()
    for p in out["d2"]["policies"]:
        np.savez(
            tmp_path / "policies" / f"{p}.npz",
            evaluation_action=a[f"d2__{p}__evaluation_action"],
            q_hat=a[f"d2__{p}__q"],
            true_value=out["d2"]["on_policy"][p],
        )
    logged = load_logged_any(tmp_path / "logged.npz")
    assert isinstance(logged, ContinuousLoggedData) and logged.action_dim == 2
    pols = load_policies(tmp_path / "policies")
    assert [p.name for p in pols] == sorted(out["d2"]["policies"])
    ref = out["configs"]["d2__epanechnikov__1.0"]["estimates"]
    for pol in pols:
        assert pol.action_dist is None and pol.true_value == out["d2"]["on_policy"][pol.name]
        for name in ("dm", "tis", "pdis", "dr", "sntis", "snpdis", "sndr"):
            v = estimate_policy_value(
                name, logged, **pol.estimator_inputs(kernel="epanechnikov", bandwidth=1.0)
            )
            assert v == pytest.approx(ref[pol.name][name], abs=1e-9, rel=1e-12)


def test_action_type_decides_and_discrete_files_are_read_as_before(tmp_path: Path) -> None:
    np.savez(
        tmp_path / "d.npz", action=np.zeros((2, 3), int), reward=np.ones((2, 3)), pscore=np.full((2, 3), 0.5)
    )
    assert isinstance(load_logged_any(tmp_path / "d.npz"), LoggedData)
    # a 1-D continuous action stored as (n, horizon) needs the marker
    np.savez(
        tmp_path / "c.npz",
        action=np.full((2, 3), 0.25),
        reward=np.ones((2, 3)),
        pscore=np.full((2, 3), 1.5),
        action_type="continuous",
        gamma=0.5,
    )
    c = load_logged_any(tmp_path / "c.npz")
    assert isinstance(c, ContinuousLoggedData) and c.action_dim == 1 and c.gamma == 0.5
    np.savez(
        tmp_path / "bad.npz",
        action=np.zeros((2, 3)),
        reward=np.ones((2, 3)),
        pscore=np.ones((2, 3)),
        action_type="continous",
    )
    with pytest.raises(DataError, match="action_type"):
        load_logged_any(tmp_path / "bad.npz")
    np.savez(tmp_path / "neg.npz", action=np.zeros((1, 2, 1)), reward=np.ones((1, 2)), pscore=[[1.0, -1.0]])
    with pytest.raises(DataError, match=r"neg\.npz.*pscore\[0, 1\]"):
        load_logged_any(tmp_path / "neg.npz")
    (tmp_path / "pols").mkdir()
    np.savez(tmp_path / "pols" / "x.npz", q_hat=np.zeros((2, 3, 2)))
    with pytest.raises(DataError, match="evaluation_action"):
        load_policies(tmp_path / "pols")
