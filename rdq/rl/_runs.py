"""``rdq rl train`` / ``rdq rl eval`` as library calls: walk-forward folds, a run folder, the evaluation table.

A run folder (``<workspace>/.rdq/rl/<run_id>/``)::

    config.json                  the resolved config (RLConfig.to_dict(); data paths absolute)
    run.json                     run id, status, folds (train/test sessions and days), agents, seconds,
                                 completed (each finished "fold_NN/agent", for resuming)
    fold_00/qtnet/               checkpoint.pt + .json, curves.csv, curves.png[, checkpoints/iter_NNNN.pt]
                                 [resume.pt while the fold is in progress and checkpoint_every > 0]
    fold_00/ppo.zip (+ .json)    each trained baseline
    ...

An interrupted run is finished by ``train_run(None, resume=RUN)`` (``rdq rl train --resume RUN`` or
``rdq rl resume RUN``): completed agent-folds are kept; QTNet on the fold in progress continues from its
``resume.pt`` (exactly: the same weights and curves as an uninterrupted run) or, without one, starts that fold
over; a baseline (stable-baselines3) in progress always starts over.

:func:`evaluate_run` plays QTNet, every expert of the config (never the prophet) and every trained baseline
on each fold's test (or train) sessions and reports :func:`rdq.rl._metrics.trading_metrics` per window
(a calendar month or quarter of test sessions, or a whole fold).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rdq.data._io import atomic_write
from rdq.errors import ConfigError
from rdq.rl._bars import BarArrays, to_arrays
from rdq.rl._config import RLConfig, WalkForward, config_from_dict
from rdq.rl._market import Market
from rdq.rl._metrics import METRICS, trading_metrics
from rdq.rl._rollout import Episodes, ExpertPolicy, Policy, rollout

__all__ = ["Fold", "evaluate_run", "find_run", "load_bars", "market_for", "rl_root", "train_run", "walk_forward_folds"]

log = logging.getLogger(__name__)

WindowBy = Literal["month", "quarter", "fold"]


def rl_root(workspace: str | Path) -> Path:
    """``<workspace>/.rdq/rl`` (``workspace`` itself when it is named ``.rdq``)."""
    p = Path(workspace).resolve()
    return (p if p.name == ".rdq" else p / ".rdq") / "rl"


def load_bars(cfg: RLConfig) -> BarArrays:
    """The bars of ``cfg.data`` (minute-bar file, daily panel, or synthetic)."""
    d = cfg.data
    if d.synthetic is not None:
        from rdq.rl._env import synthetic_bars

        try:
            return synthetic_bars(**d.synthetic)
        except TypeError as exc:
            raise ConfigError(f"data.synthetic: {exc}") from None
    assert d.path is not None and d.symbol is not None
    if d.bars == "daily":
        from rdq.data import load_panel
        from rdq.rl._bars import daily_bars

        # only the symbol's rows are loaded (and validated): another asset's bad row does not stop the run
        return to_arrays(daily_bars(load_panel(d.path, start=d.start, end=d.end, universe=[d.symbol]), d.symbol))
    from rdq.rl._bars import load_minute_bars

    return to_arrays(load_minute_bars(d.path, d.symbol, start=d.start, end=d.end))


def market_for(cfg: RLConfig, bars: BarArrays) -> Market:
    """The market QTNet and the evaluation play on: ``cfg.env`` with continuous actions (target positions)."""
    return Market(bars, dataclasses.replace(cfg.env, action="continuous"))


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold: episode starts ``(n,)`` to train and to test on, and their first/last days."""

    index: int
    train: np.ndarray
    test: np.ndarray
    train_days: tuple[str, str]
    test_days: tuple[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "train": self.train.tolist(), "test": self.test.tolist(),
                "train_days": list(self.train_days), "test_days": list(self.test_days)}


def _session_days(bars: BarArrays) -> list[dt.date]:
    days = bars.day[bars.session_start[:-1]]
    return [d.astype("datetime64[D]").astype(dt.date) if isinstance(d, np.datetime64) else d for d in days]


def _session_last_days(bars: BarArrays) -> list[dt.date]:
    days = bars.day[bars.session_start[1:] - 1]
    return [d.astype("datetime64[D]").astype(dt.date) if isinstance(d, np.datetime64) else d for d in days]


def _keys(bars: BarArrays, unit: str) -> np.ndarray:
    days = _session_days(bars)
    if unit == "session":
        return np.arange(len(days))
    if unit == "month":
        return np.array([d.year * 12 + d.month - 1 for d in days])
    return np.array([d.year * 4 + (d.month - 1) // 3 for d in days])


def walk_forward_folds(bars: BarArrays, wf: WalkForward, *, episode_sessions: int = 1) -> list[Fold]:
    """The folds of ``wf`` over the sessions of ``bars`` (see :mod:`rdq.rl._config`).

    Raises
    ------
    ConfigError
        Not enough sessions for a single fold.
    """
    keys = _keys(bars, wf.unit)
    groups = np.unique(keys)
    group_of = np.searchsorted(groups, keys)
    n_starts = bars.n_sessions - episode_sessions + 1
    days, last_days = _session_days(bars), _session_last_days(bars)
    folds: list[Fold] = []
    k = 0
    while (k * wf.test + wf.train + wf.test <= groups.size) and (wf.folds is None or k < wf.folds):
        lo = 0 if wf.expanding else k * wf.test
        mid = k * wf.test + wf.train
        hi = mid + wf.test

        def starts(a: int, b: int) -> np.ndarray:
            s = np.arange(n_starts)
            last = s + episode_sessions - 1
            return s[(group_of[s] >= a) & (group_of[np.minimum(last, group_of.size - 1)] < b)]

        tr, te = starts(lo, mid), starts(mid, hi)
        if tr.size and te.size:
            folds.append(Fold(index=len(folds), train=tr, test=te,
                              train_days=(str(days[tr[0]]), str(last_days[tr[-1] + episode_sessions - 1])),
                              test_days=(str(days[te[0]]), str(last_days[te[-1] + episode_sessions - 1]))))
        k += 1
    if not folds:
        raise ConfigError(f"walk_forward needs {wf.train} + {wf.test} {wf.unit}(s) of data for one fold; the bars "
                          f"hold {groups.size} {wf.unit}(s): lower walk_forward.train / .test or load more data")
    return folds


def _write_json(path: Path, obj: Any) -> None:
    text = json.dumps(obj, indent=2, default=str)
    atomic_write(path, lambda t: t.write_text(text, encoding="utf-8"))


def train_run(cfg: RLConfig | None, *, workspace: str | Path = ".", run_id: str | None = None,
              resume: str | Path | None = None) -> Path:
    """Train QTNet and the configured baselines on every fold; returns the run folder.

    Writes the folder layout of the module docstring (``run.json``'s ``status`` is ``"running"`` until the last
    fold is done, then ``"done"``; its ``completed`` lists each finished ``fold_NN/agent``).

    Parameters
    ----------
    cfg:
        The run's config; with ``resume`` it may be ``None`` (the run folder's ``config.json`` is used) and
        must otherwise equal it.
    resume:
        A run folder or id to finish: agents of folds in ``completed`` (whose files exist) are not trained
        again; QTNet on a fold in progress continues from its ``resume.pt`` (the last periodic checkpoint,
        see :mod:`rdq.rl._train`) or from scratch without one; a baseline in progress starts from scratch.
        The result equals an uninterrupted run's with the same seed (except ``seconds``).
    """
    from rdq.rl._train import train_qtnet

    if resume is not None:
        folder = find_run(resume, workspace=workspace)
        stored = config_from_dict(json.loads((folder / "config.json").read_text(encoding="utf-8")))
        if cfg is not None and {**cfg.to_dict(), "source": None} != {**stored.to_dict(), "source": None}:
            raise ConfigError(f"--resume {folder.name}: the config differs from the run's config.json; resume "
                              "without --config (`rdq rl resume RUN`), or train a new run")
        cfg = stored
        run: dict[str, Any] = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        run.setdefault("completed", [])
        log.info("rl run %s: resuming (%d agent-fold(s) done)", run["run_id"], len(run["completed"]))
    elif cfg is None:
        raise ConfigError("train_run needs a config (or resume=RUN)")
    bars = load_bars(cfg)
    market = market_for(cfg, bars)
    folds = walk_forward_folds(bars, cfg.walk_forward, episode_sessions=cfg.env.episode_sessions)
    agents = ["qtnet", *(b.algo for b in cfg.baselines)]
    if resume is None:
        rid = run_id or f"{cfg.name}-s{cfg.seed}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(2)}"
        folder = rl_root(workspace) / rid
        if folder.exists():
            raise ConfigError(f"run folder {folder} exists already; pick another run id")
        folder.mkdir(parents=True)
        _write_json(folder / "config.json", cfg.to_dict())
        run = {"run_id": rid, "status": "running", "created": dt.datetime.now(dt.UTC).isoformat(),
               "seed": cfg.seed, "agents": agents, "folds": [f.to_dict() for f in folds], "seconds": {},
               "completed": []}
        _write_json(folder / "run.json", run)
        log.info("rl run %s: %d fold(s), agents %s, in %s", rid, len(folds), ", ".join(agents), folder)
    elif run["folds"] != [f.to_dict() for f in folds]:
        raise ConfigError(f"--resume {folder.name}: the data's walk-forward folds differ from run.json's (the data "
                          "file changed?); train a new run")
    ppy = cfg.data.periods_per_year

    def finished(key: str, path: Path) -> bool:
        if key in run["completed"] and path.is_file():
            log.info("%s: done already, not trained again", key)
            return True
        return False

    def record(key: str, agent: str, fold: int, seconds: float) -> None:
        secs = run["seconds"].setdefault(agent, [])
        secs[fold:] = [seconds]  # a fold interrupted before it finished has no entry yet
        if key not in run["completed"]:
            run["completed"].append(key)
        _write_json(folder / "run.json", run)

    for fold in folds:
        fdir = folder / f"fold_{fold.index:02d}"
        log.info("fold %d/%d: train %s..%s (%d sessions), test %s..%s (%d)", fold.index + 1, len(folds),
                 *fold.train_days, fold.train.size, *fold.test_days, fold.test.size)
        key = f"fold_{fold.index:02d}/qtnet"
        if not finished(key, fdir / "qtnet" / "checkpoint.pt"):
            res = train_qtnet(market, fold.train, cfg.qtnet, out=fdir / "qtnet", periods_per_year=ppy,
                              expert_params=cfg.experts, resume=resume is not None)
            record(key, "qtnet", fold.index, res.seconds)
        for spec in cfg.baselines:
            from rdq.rl._baselines import save_baseline, train_baseline

            key = f"fold_{fold.index:02d}/{spec.algo}"
            if finished(key, fdir / f"{spec.algo}.zip"):
                continue
            started = time.perf_counter()
            model = train_baseline(spec.algo, market, fold.train, total_timesteps=spec.total_timesteps,
                                   seed=cfg.seed, action=cfg.env.action, params=spec.params)
            save_baseline(model, fdir / f"{spec.algo}.zip")
            record(key, spec.algo, fold.index, time.perf_counter() - started)
    run["status"] = "done"
    _write_json(folder / "run.json", run)
    return folder


def find_run(run: str | Path, *, workspace: str | Path = ".") -> Path:
    """The folder of ``run``: a folder path, a run id, or a unique prefix of one under ``rl_root(workspace)``."""
    p = Path(run)
    if (p / "run.json").is_file():
        return p.resolve()
    root = rl_root(workspace)
    names = sorted(d.name for d in root.iterdir() if (d / "run.json").is_file()) if root.is_dir() else []
    hits = [n for n in names if n == str(run)] or [n for n in names if n.startswith(str(run))]
    if len(hits) == 1:
        return root / hits[0]
    if len(hits) > 1:
        raise ConfigError(f"run {str(run)!r} is ambiguous: {', '.join(hits)}; give more of the run id")
    raise ConfigError(f"no rl run {str(run)!r} (no {p / 'run.json'}; runs in {root}: {', '.join(names[-5:]) or 'none'}); "
                      "pass the folder `rdq rl train` printed, or its run id with --workspace")


def _windows(bars: BarArrays, sessions: np.ndarray, by: WindowBy, fold: int) -> list[tuple[str, np.ndarray]]:
    if by == "fold":
        return [(f"fold_{fold:02d}", np.arange(sessions.size))]
    days = _session_days(bars)
    labels = [f"{days[s].year}-{days[s].month:02d}" if by == "month" else f"{days[s].year}-Q{(days[s].month - 1) // 3 + 1}"
              for s in sessions]
    out: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        out.setdefault(lab, []).append(i)
    return [(lab, np.asarray(ix)) for lab, ix in out.items()]


def fold_policies(folder: Path, cfg: RLConfig, market: Market, fold: int, agents: list[str]) -> list[Policy]:
    """QTNet, the trained baselines and the experts of the config, for one fold of a run folder."""
    from rdq.rl._experts import make_expert
    from rdq.rl._qtnet_io import load_checkpoint

    fdir = folder / f"fold_{fold:02d}"
    policies: list[Policy] = []
    if "qtnet" in agents:
        policies.append(load_checkpoint(fdir / "qtnet" / "checkpoint.pt").policy())
    for algo in (a for a in agents if a != "qtnet"):
        from rdq.rl._baselines import BaselinePolicy, load_baseline

        policies.append(BaselinePolicy(algo, load_baseline(algo, fdir / f"{algo}.zip")))
    for name, params in cfg.experts.items():
        policies.append(ExpertPolicy(make_expert(name, **params), market))  # never the prophet: no lookahead flag
    return policies


def evaluate_run(run: str | Path, *, workspace: str | Path = ".", split: Literal["test", "train"] = "test",
                 by: WindowBy = "month") -> dict[str, Any]:
    """Every agent's metrics on every walk-forward window of a trained run.

    Returns
    -------
    dict
        ``{"run_id", "split", "by", "periods_per_year", "agents": [...], "metrics": [...],
        "windows": [{"window", "fold", "sessions", "first_day", "last_day", "agents": {agent: {metric: value}}}],
        "summary": {agent: {metric: mean over windows}}}``.
    """
    if split not in ("test", "train"):
        raise ConfigError(f"--split must be test or train, got {split!r}")
    if by not in ("month", "quarter", "fold"):
        raise ConfigError(f"--by must be month, quarter or fold, got {by!r}")
    from rdq.rl._qtnet import torch_threads

    with torch_threads(1):
        return _evaluate(find_run(run, workspace=workspace), split, by)


def _evaluate(folder: Path, split: str, by: WindowBy) -> dict[str, Any]:
    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    if info.get("status") != "done":
        raise ConfigError(f"run {info.get('run_id')} is not finished (status {info.get('status')!r}); train it again")
    cfg = config_from_dict(json.loads((folder / "config.json").read_text(encoding="utf-8")))
    bars = load_bars(cfg)
    market = market_for(cfg, bars)
    ppy, bpy = cfg.data.periods_per_year, cfg.data.bars_per_year
    days, last_days = _session_days(bars), _session_last_days(bars)
    windows: list[dict[str, Any]] = []
    names: list[str] = []
    for f in info["folds"]:
        sessions = np.asarray(f[split], dtype=np.int64)
        played: dict[str, Episodes] = {}
        for pol in fold_policies(folder, cfg, market, int(f["index"]), list(info["agents"])):
            played[pol.name] = rollout(market, sessions, pol)
        names = list(played)
        for label, ix in _windows(bars, sessions, by, int(f["index"])):
            windows.append({"window": label, "fold": int(f["index"]), "sessions": int(ix.size),
                            "first_day": str(days[sessions[ix[0]]]), "last_day": str(last_days[sessions[ix[-1]]]),
                            "agents": {n: trading_metrics(ep, periods_per_year=ppy, index=ix, bars_per_year=bpy)
                                       for n, ep in played.items()}})
    summary = {n: {m: float(np.nanmean([w["agents"][n][m] for w in windows])) if any(
        not np.isnan(w["agents"][n][m]) for w in windows) else float("nan") for m in METRICS} for n in names}
    return {"run_id": info["run_id"], "split": split, "by": by, "periods_per_year": bpy or ppy, "agents": names,
            "metrics": list(METRICS), "windows": windows, "summary": summary}
