"""QTNet on disk: checkpoints (state dicts + a JSON of the config) and learning curves (CSV + PNG).

Every file is written atomically (to a temporary name beside it, then ``os.replace``), so a run killed
mid-write leaves the previous checkpoint intact::

    checkpoint.pt     torch.save({"format": 1, "actor": state_dict, "critic": ..., "actor_target": ...,
                                  "critic_target": ..., ["actor_opt": ..., "critic_opt": ...]})
    checkpoint.json   {"format": 1, "qtnet": QTNetConfig.to_dict(), "window": W, "n_features": F, "meta": {...}}
    curves.csv        one row per iteration (rdq.rl._train.CURVE_COLUMNS)
    curves.png        episode reward, Sharpe ratios and the loss terms against the iteration
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rdq.data._io import atomic_write
from rdq.errors import DataError
from rdq.rl._qtnet import QTNetPolicy, RecurrentActor, RecurrentCritic

__all__ = ["RESUME_FILE", "LoadedQTNet", "load_checkpoint", "load_resume_state", "read_curves", "save_checkpoint",
           "save_resume_state", "write_curves"]

_FORMAT = 1


def save_checkpoint(path: Path, *, nets: Mapping[str, nn.Module], config: dict[str, Any], window: int,
                    n_features: int, meta: dict[str, Any] | None = None,
                    optimizers: Mapping[str, torch.optim.Optimizer] | None = None) -> Path:
    """Write ``path`` (``.pt``: the state dicts) and ``path.with_suffix(".json")`` (the config), atomically."""
    state: dict[str, Any] = {"format": _FORMAT, **{k: m.state_dict() for k, m in nets.items()}}
    for k, opt in (optimizers or {}).items():
        state[k] = opt.state_dict()
    atomic_write(path, lambda tmp: torch.save(state, tmp))
    info = {"format": _FORMAT, "qtnet": config, "window": window, "n_features": n_features, "meta": meta or {}}
    text = json.dumps(info, indent=2)
    atomic_write(path.with_suffix(".json"), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


@dataclass(eq=False)
class LoadedQTNet:
    """A checkpoint read back: the networks (eval mode), the config dict and the metadata."""

    actor: RecurrentActor
    critic: RecurrentCritic
    config: dict[str, Any]
    window: int
    n_features: int
    meta: dict[str, Any]

    def policy(self) -> QTNetPolicy:
        """The greedy policy."""
        return QTNetPolicy(self.actor, discretize=bool(self.config.get("discretize", True)))


#: the resumable training state of a fold, beside ``checkpoint.pt`` until the fold is done
RESUME_FILE = "resume.pt"


def save_resume_state(path: Path, state: Mapping[str, Any]) -> Path:
    """Write a resumable training state (tensors, ints, floats, lists and dicts only) to ``path`` atomically."""
    atomic_write(path, lambda tmp: torch.save(dict(state), tmp))
    return path


def load_resume_state(path: Path) -> dict[str, Any]:
    """Read what :func:`save_resume_state` wrote (``weights_only``: no code is unpickled)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which, and how to start the fold over
        raise DataError(f"cannot read the resume state: {exc}", file=str(path),
                        fix="delete it to train this fold from scratch") from None
    return dict(state)


def load_checkpoint(path: Path) -> LoadedQTNet:
    """Read a checkpoint written by :func:`save_checkpoint` (``path``: the ``.pt`` file).

    Raises
    ------
    DataError
        A file is missing or not a QTNet checkpoint.
    """
    p, j = Path(path), Path(path).with_suffix(".json")
    for file in (p, j):
        if not file.is_file():
            raise DataError("QTNet checkpoint file not found", file=str(file),
                            fix="pass the checkpoint.pt of a run folder (rdq rl train writes one per fold)")
    info = json.loads(j.read_text(encoding="utf-8"))
    state = torch.load(p, map_location="cpu", weights_only=True)
    if info.get("format") != _FORMAT or state.get("format") != _FORMAT:
        raise DataError(f"not a QTNet checkpoint of format {_FORMAT}", file=str(p), fix="retrain with rdq rl train")
    cfg = info["qtnet"]
    w, f = int(info["window"]), int(info["n_features"])
    kw = {"encoder_hidden": int(cfg["encoder_hidden"]), "hidden": int(cfg["hidden"])}
    actor, critic = RecurrentActor(w, f, **kw), RecurrentCritic(w, f, **kw)
    actor.load_state_dict(state["actor"])
    critic.load_state_dict(state["critic"])
    actor.eval()
    critic.eval()
    return LoadedQTNet(actor=actor, critic=critic, config=cfg, window=w, n_features=f, meta=info.get("meta", {}))


def write_curves(folder: Path, rows: Sequence[Mapping[str, float]], columns: Sequence[str]) -> tuple[Path, Path]:
    """Write ``curves.csv`` and ``curves.png`` into ``folder``; returns both paths."""
    csv_path, png_path = folder / "curves.csv", folder / "curves.png"

    def write_csv(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(columns)
            for r in rows:
                w.writerow(["" if isinstance(r[c], float) and math.isnan(r[c]) else repr(r[c]) if
                            isinstance(r[c], float) else r[c] for c in columns])

    atomic_write(csv_path, write_csv)
    atomic_write(png_path, lambda tmp: _plot(rows, tmp))
    return csv_path, png_path


def read_curves(path: Path) -> list[dict[str, float]]:
    """``curves.csv`` back as rows of floats (NaN where empty)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: float(v) if v != "" else math.nan for k, v in row.items()} for row in csv.DictReader(fh)]


def _plot(rows: Sequence[Mapping[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    it = [r["iteration"] for r in rows]

    def col(name: str) -> tuple[list[float], list[float]]:
        pts = [(x, r[name]) for x, r in zip(it, rows, strict=True) if not math.isnan(r[name])]
        return [p[0] for p in pts], [p[1] for p in pts]

    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), constrained_layout=True)
    panels = (
        (axes[0, 0], "episode reward", (("episode_reward", "with noise"), ("eval_reward", "greedy"))),
        (axes[0, 1], "annualised Sharpe", (("sharpe", "with noise"), ("eval_sharpe", "greedy"))),
        (axes[1, 0], "critic loss", (("critic_loss", "TD error"),)),
        (axes[1, 1], "actor terms", (("actor_q", "Q(h, mu)"), ("bc_loss", "BC loss"), ("q_filter_kept", "Q-filter kept"),
                                     ("bc_weight", "BC weight"))),
    )
    for ax, title, series in panels:
        for name, label in series:
            x, y = col(name)
            if x:
                ax.plot(x, y, marker="o" if name.startswith("eval") else None, ms=3, label=label)
        ax.set_title(title)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if any(r["critic_loss"] > 0 for r in rows):
        axes[1, 0].set_yscale("log")
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)
