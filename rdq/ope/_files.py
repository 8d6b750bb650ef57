"""Reading OPE inputs from files: the logged data and one file per candidate policy.

Logged data, ``LOGGED.npz``: arrays ``action``, ``reward``, ``pscore`` (``(n_trajectories, horizon)``),
optional ``state`` and a scalar ``gamma`` (default 1.0).

Candidate policies, a folder of ``NAME.npz`` files, each with ``action_dist``
(``(n_trajectories, horizon, n_actions)``: the policy's ``pi(a|s_t)`` at the logged steps), optional
``q_hat`` (same shape; without it ``dm``/``dr``/``sndr`` are skipped for that policy) and optional
scalar ``true_value`` (its on-policy value, needed by ``rdq ope assess``).

Continuous actions (:class:`rdq.ope.ContinuousLoggedData`, read by :func:`load_logged_any`): the logged
file's ``action`` is ``(n_trajectories, horizon, action_dim)`` floats (or it holds the string
``action_type="continuous"``) and ``pscore`` the behaviour policy's density at the logged action,
``(n, horizon)`` or one factor per dimension ``(n, horizon, action_dim)``; each policy file holds
``evaluation_action`` (``pi_e(s_t)`` at the logged states, the action's shape) instead of
``action_dist``, and an optional ``q_hat`` of shape ``(n, horizon, 2)``: ``Q_hat(s_t, a_t)`` and
``Q_hat(s_t, pi_e(s_t))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rdq.errors import DataError
from rdq.ope._continuous import ContinuousLoggedData
from rdq.ope._data import LoggedData

__all__ = ["CandidatePolicy", "load_logged", "load_logged_any", "load_policies"]


def _npz(path: Path, what: str) -> dict[str, np.ndarray]:
    if not path.exists():
        raise DataError(f"{what} file not found", file=str(path), fix="check the path")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {what}: {exc}", file=str(path),
                        fix="write it with numpy.savez(path, action=..., reward=..., ...)") from None


def load_logged(path: str | Path) -> LoggedData:
    """Load ``LOGGED.npz`` (see the module docstring) into :class:`LoggedData`."""
    p = Path(path)
    z = _npz(p, "logged data")
    missing = [k for k in ("action", "reward", "pscore") if k not in z]
    if missing:
        raise DataError(f"logged data lacks {', '.join(missing)}", file=str(p),
                        fix="save action, reward and pscore arrays of shape (n_trajectories, horizon)")
    try:
        return LoggedData(action=z["action"], reward=z["reward"], pscore=z["pscore"],
                          gamma=float(z["gamma"]) if "gamma" in z else 1.0, state=z.get("state"))
    except DataError as exc:
        raise DataError(exc.message, file=str(p), column=exc.column, fix=exc.fix) from None


def _action_type(p: Path, z: dict[str, np.ndarray]) -> str:
    if "action_type" in z:
        kind = str(z["action_type"])
        if kind not in ("discrete", "continuous"):
            raise DataError(f"action_type = {kind!r}", file=str(p), column="action_type",
                            fix="save action_type='discrete' or 'continuous' (or leave it out)")
        return kind
    return "continuous" if "action" in z and np.asarray(z["action"]).ndim == 3 else "discrete"


def load_logged_any(path: str | Path) -> LoggedData | ContinuousLoggedData:
    """Load ``LOGGED.npz``: :class:`LoggedData` for discrete actions, :class:`ContinuousLoggedData` for
    continuous ones (``action`` of shape ``(n, horizon, action_dim)`` or ``action_type="continuous"``)."""
    p = Path(path)
    z = _npz(p, "logged data")
    if _action_type(p, z) == "discrete":
        return load_logged(p)
    missing = [k for k in ("action", "reward", "pscore") if k not in z]
    if missing:
        raise DataError(f"logged data lacks {', '.join(missing)}", file=str(p),
                        fix="save action (n_trajectories, horizon, action_dim), reward (n_trajectories, horizon) "
                            "and pscore (the behaviour policy's density at each logged action)")
    try:
        return ContinuousLoggedData(action=z["action"], reward=z["reward"], pscore=z["pscore"],
                                    gamma=float(z["gamma"]) if "gamma" in z else 1.0, state=z.get("state"))
    except DataError as exc:
        raise DataError(exc.message, file=str(p), column=exc.column, fix=exc.fix) from None


@dataclass(frozen=True, eq=False)
class CandidatePolicy:
    """One candidate policy read from ``NAME.npz``: ``action_dist`` (discrete actions) or
    ``evaluation_action`` (a deterministic policy over continuous actions)."""

    name: str
    action_dist: np.ndarray | None
    q_hat: np.ndarray | None
    true_value: float | None
    evaluation_action: np.ndarray | None = None

    def estimator_inputs(self, *, kernel: str = "gaussian", bandwidth: float = 1.0,
                         action_scaler: object = None) -> dict[str, object]:
        """The keyword arguments of :func:`rdq.ope.estimate_policy_value` for this policy (the kernel
        settings apply to continuous actions only)."""
        if self.evaluation_action is None:
            return {"action_dist": self.action_dist, "q_hat": self.q_hat}
        return {"evaluation_action": self.evaluation_action, "q_hat": self.q_hat, "kernel": kernel,
                "bandwidth": bandwidth, "action_scaler": action_scaler}


def load_policies(folder: str | Path) -> list[CandidatePolicy]:
    """Every ``*.npz`` in ``folder``, sorted by name."""
    d = Path(folder)
    if not d.is_dir():
        raise DataError("policies folder not found", file=str(d), fix="pass a folder of NAME.npz files")
    files = sorted(d.glob("*.npz"))
    if not files:
        raise DataError("no .npz policy files", file=str(d),
                        fix="save each policy with numpy.savez(NAME.npz, action_dist=..., q_hat=..., true_value=...)")
    out = []
    for f in files:
        z = _npz(f, "policy")
        if "action_dist" not in z and "evaluation_action" not in z:
            raise DataError("policy file lacks action_dist (or evaluation_action for continuous actions)",
                            file=str(f), fix="save action_dist of shape (n_trajectories, horizon, n_actions), or "
                            "evaluation_action of shape (n_trajectories, horizon, action_dim)")
        out.append(CandidatePolicy(name=f.stem, action_dist=z.get("action_dist"), q_hat=z.get("q_hat"),
                                   true_value=float(z["true_value"]) if "true_value" in z else None,
                                   evaluation_action=z.get("evaluation_action")))
    return out
