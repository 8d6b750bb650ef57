"""Reading OPE inputs from files: the logged data and one file per candidate policy.

Logged data, ``LOGGED.npz``: arrays ``action``, ``reward``, ``pscore`` (``(n_trajectories, horizon)``),
optional ``state`` and a scalar ``gamma`` (default 1.0).

Candidate policies, a folder of ``NAME.npz`` files, each with ``action_dist``
(``(n_trajectories, horizon, n_actions)``: the policy's ``pi(a|s_t)`` at the logged steps), optional
``q_hat`` (same shape; without it ``dm``/``dr``/``sndr`` are skipped for that policy) and optional
scalar ``true_value`` (its on-policy value, needed by ``rdq ope assess``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rdq.errors import DataError
from rdq.ope._data import LoggedData

__all__ = ["CandidatePolicy", "load_logged", "load_policies"]


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


@dataclass(frozen=True, eq=False)
class CandidatePolicy:
    """One candidate policy read from ``NAME.npz``."""

    name: str
    action_dist: np.ndarray
    q_hat: np.ndarray | None
    true_value: float | None


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
        if "action_dist" not in z:
            raise DataError("policy file lacks action_dist", file=str(f),
                            fix="save action_dist of shape (n_trajectories, horizon, n_actions)")
        out.append(CandidatePolicy(name=f.stem, action_dist=z["action_dist"], q_hat=z.get("q_hat"),
                                   true_value=float(z["true_value"]) if "true_value" in z else None))
    return out
