"""Top-k deployment plots: best/worst/mean@k and SharpeRatio@k of every estimator against k."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from rdq.data._io import atomic_write

__all__ = ["plot_topk"]


def plot_topk(tables: Mapping[str, Mapping[str, np.ndarray]], sharpe: Mapping[str, np.ndarray], *,
              behavior_value: float, path: str | Path) -> Path:
    """Write a PNG with two panels: the deployed policies' true values and SharpeRatio@k, per estimator.

    ``tables``: estimator -> :func:`rdq.ope.topk_metrics` output; ``sharpe``: estimator -> ``(max_k,)``.
    """
    from matplotlib.figure import Figure

    out = Path(path)
    fig = Figure(figsize=(11, 4.2))
    ax_v, ax_s = fig.subplots(1, 2)
    for i, (name, t) in enumerate(tables.items()):
        k = np.arange(1, len(t["best"]) + 1)
        color = f"C{i % 10}"
        ax_v.plot(k, t["best"], color=color, marker="o", label=name)
        ax_v.fill_between(k, t["worst"], t["best"], color=color, alpha=0.08)
        ax_s.plot(k, sharpe[name], color=color, marker="o", label=name)
    ax_v.axhline(behavior_value, color="black", linestyle="--", linewidth=1, label="behaviour")
    ax_v.set(xlabel="k (policies deployed)", ylabel="true value", title="best@k (band: worst@k)")
    ax_s.set(xlabel="k (policies deployed)", ylabel="SharpeRatio@k", title="SharpeRatio@k")
    ax_v.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(out, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    return out
