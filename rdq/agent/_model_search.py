"""The model branch of the built-in proposer: optuna's TPE over the model classes that exist.

Each proposal asks the study for ``n_tasks`` trials (a template and its hyperparameters); the next proposal
first tells the study the validation objective of every trial it finds in the round history (tasks named
``optuna_t<number>``; a trial that failed is told as failed). The study lives in an append-only journal file
next to the run (``optuna.storages.JournalStorage``), so a ``kill -9`` loses at most the line being written
and a resumed run continues the same study.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rdq.agent._types import Branch, Hypothesis, ModelTask, ProposalContext

__all__ = [
    "OptunaModelProposer",
    "DEFAULT_TEMPLATES",
    "ALL_TEMPLATES",
    "suggest",
    "search_space",
    "clamp_hyperparameters",
]

#: fast enough on 2 cores for a round of a 300 x 2000 panel
DEFAULT_TEMPLATES: tuple[str, ...] = ("LGBMModel", "MLPModel")
ALL_TEMPLATES: tuple[str, ...] = ("LGBMModel", "MLPModel", "GRUModel", "LSTMModel", "TransformerModel")
_TORCH_FIXED = {"batch_size": 2048, "early_stop": 3, "num_threads": 2, "device": "cpu"}


def suggest(trial: Any, template: str) -> dict[str, Any]:
    """The hyperparameters of ``template`` for an optuna trial (JSON-able values)."""
    if template == "LGBMModel":
        return {
            "loss": "mse",
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 15, 255, log=True),
            "max_depth": trial.suggest_int("max_depth", 3, 10),
            "lambda_l1": trial.suggest_float("lambda_l1", 1e-3, 300.0, log=True),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 600.0, log=True),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "num_boost_round": 300,
            "early_stopping_rounds": 30,
            "num_threads": 2,
        }
    lr = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
    if template == "MLPModel":
        h = trial.suggest_categorical("hidden", [32, 64, 128])
        return {
            **_TORCH_FIXED,
            "lr": lr,
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-3, log=True),
            "max_epochs": 6,
            "net_kwargs": {
                "hidden": [h, max(8, h // 2)],
                "dropout": trial.suggest_float("dropout", 0.0, 0.5),
            },
        }
    if template in ("GRUModel", "LSTMModel"):
        return {
            **_TORCH_FIXED,
            "lr": lr,
            "max_epochs": 5,
            "step_len": trial.suggest_categorical("step_len", [10, 20]),
            "net_kwargs": {
                "hidden_size": trial.suggest_categorical("hidden_size", [16, 32, 64]),
                "num_layers": trial.suggest_int("num_layers", 1, 2),
                "dropout": trial.suggest_float("rnn_dropout", 0.0, 0.3),
            },
        }
    if template == "TransformerModel":
        return {**_TORCH_FIXED, "lr": lr, "max_epochs": 5, "step_len": 10}
    raise ValueError(f"no search space for model template {template!r}; choose from {ALL_TEMPLATES}")


#: the ranges of :func:`suggest` per template, by hyperparameter path (``net_kwargs.hidden``): ``("range", lo,
#: hi, is_int)``, ``("cap", hi)`` (an int in 1..hi: epochs, rounds), ``("fixed", value)`` or ``("int_list", lo,
#: hi)``; categorical numbers of :func:`suggest` are the range of their choices. tests/agent/test_costeer_model.py
#: checks that every :func:`suggest` output lies inside and that its bounds are reached.
_TORCH_SPACE: dict[str, tuple[Any, ...]] = {
    "batch_size": ("fixed", 2048),
    "early_stop": ("cap", 3),
    "num_threads": ("fixed", 2),
    "device": ("fixed", "cpu"),
    "lr": ("range", 1e-4, 1e-2, False),
}
_SPACES: dict[str, dict[str, tuple[Any, ...]]] = {
    "LGBMModel": {
        "loss": ("fixed", "mse"),
        "learning_rate": ("range", 0.01, 0.2, False),
        "num_leaves": ("range", 15, 255, True),
        "max_depth": ("range", 3, 10, True),
        "lambda_l1": ("range", 1e-3, 300.0, False),
        "lambda_l2": ("range", 1e-3, 600.0, False),
        "colsample_bytree": ("range", 0.5, 1.0, False),
        "subsample": ("range", 0.5, 1.0, False),
        "num_boost_round": ("cap", 300),
        "early_stopping_rounds": ("cap", 30),
        "num_threads": ("fixed", 2),
    },
    "MLPModel": {
        **_TORCH_SPACE,
        "weight_decay": ("range", 1e-6, 1e-3, False),
        "max_epochs": ("cap", 6),
        "net_kwargs.hidden": ("int_list", 8, 128),
        "net_kwargs.dropout": ("range", 0.0, 0.5, False),
    },
    "GRUModel": {
        **_TORCH_SPACE,
        "max_epochs": ("cap", 5),
        "step_len": ("range", 10, 20, True),
        "net_kwargs.hidden_size": ("range", 16, 64, True),
        "net_kwargs.num_layers": ("range", 1, 2, True),
        "net_kwargs.dropout": ("range", 0.0, 0.3, False),
    },
    "TransformerModel": {**_TORCH_SPACE, "max_epochs": ("cap", 5), "step_len": ("fixed", 10)},
}
_SPACES["LSTMModel"] = _SPACES["GRUModel"]


def search_space(template: str) -> dict[str, tuple[Any, ...]]:
    """The ranges of :func:`suggest` for ``template`` (see ``_SPACES``); raises ``ValueError`` for another."""
    if template not in _SPACES:
        raise ValueError(f"no search space for model template {template!r}; choose from {ALL_TEMPLATES}")
    return dict(_SPACES[template])


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def _clamp_one(path: str, value: Any, spec: tuple[Any, ...]) -> tuple[Any, str | None]:
    """``(value inside the range, note or None)``; value ``None`` means dropped."""
    kind = spec[0]
    if kind == "fixed":
        return spec[1], None if value == spec[1] else f"{path}={value!r} -> {spec[1]!r} (fixed)"
    if kind == "int_list":
        items = value if isinstance(value, list | tuple) else [value]
        if not items or not all(_number(v) for v in items):
            return None, f"{path}={value!r} dropped: not a list of numbers"
        lo, hi = spec[1], spec[2]
        new = [int(min(max(round(float(v)), lo), hi)) for v in items[:3]]
        note = None if new == list(items) else f"{path}={value!r} -> {new} (each in {lo}..{hi}, at most 3)"
        return new, note
    if not _number(value):
        return None, f"{path}={value!r} dropped: not a number"
    if kind == "cap":
        lo, hi, is_int = 1, spec[1], True
    else:
        lo, hi, is_int = spec[1], spec[2], spec[3]
    bounded = min(max(float(value), float(lo)), float(hi))
    new_v: Any = int(round(bounded)) if is_int else bounded
    if new_v == value:
        return value, None
    return new_v, f"{path}={value!r} -> {new_v!r} (range {lo:g}..{hi:g})"


def clamp_hyperparameters(template: str, hyperparameters: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Clamp every hyperparameter into the range :func:`suggest` searches for ``template``.

    An LLM's ``num_leaves=100000`` becomes 255 and ``lr=5`` becomes 0.01 (each with a note); a hyperparameter
    :func:`suggest` does not set is dropped with a note; the fixed settings (threads, device, batch size, loss)
    are set when missing. Nested ``net_kwargs`` are addressed as ``net_kwargs.<name>``.

    Returns
    -------
    (dict, list[str])
        The hyperparameters to run and one note per change, e.g. ``"num_leaves=100000 -> 255 (range 15..255)"``.

    Raises
    ------
    ValueError
        ``template`` is not one of :data:`ALL_TEMPLATES`.
    """
    space = search_space(template)
    flat: dict[str, Any] = {}
    for k, v in hyperparameters.items():
        if k == "net_kwargs" and isinstance(v, dict):
            flat.update({f"net_kwargs.{kk}": vv for kk, vv in v.items()})
        else:
            flat[k] = v
    out: dict[str, Any] = {}
    notes: list[str] = []
    for path, value in flat.items():
        spec = space.get(path)
        if spec is None:
            notes.append(
                f"{path}={value!r} dropped: not a hyperparameter {template} searches ({', '.join(space)})"
            )
            continue
        new, note = _clamp_one(path, value, spec)
        if note:
            notes.append(note)
        if new is not None:
            out[path] = new
    for path, spec in space.items():
        if spec[0] == "fixed" and path not in out:
            out[path] = spec[1]
    nested: dict[str, Any] = {}
    for path, v in out.items():
        if path.startswith("net_kwargs."):
            nested.setdefault("net_kwargs", {})[path.removeprefix("net_kwargs.")] = v
        else:
            nested[path] = v
    return nested, notes


class OptunaModelProposer:
    """Model hyperparameter and template search with optuna's TPE sampler (module docstring)."""

    def __init__(
        self,
        *,
        templates: Sequence[str] = DEFAULT_TEMPLATES,
        storage_path: str | Path | None = None,
        seed: int = 0,
        n_tasks: int = 1,
        study_name: str = "rdq-models",
    ) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.templates, self.n_tasks, self.seed = tuple(templates), max(1, min(5, n_tasks)), seed
        storage: Any = None
        if storage_path is not None:
            from optuna.storages import JournalStorage
            from optuna.storages.journal import JournalFileBackend

            Path(storage_path).parent.mkdir(parents=True, exist_ok=True)
            storage = JournalStorage(JournalFileBackend(str(storage_path)))
        self.study = optuna.create_study(
            study_name=study_name,
            storage=storage,
            direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=seed),
            load_if_exists=True,
        )

    def _tell(self, context: ProposalContext) -> None:
        import optuna

        objective = str(context.scenario.get("objective", ""))
        running = {
            t.number for t in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        }
        for s in context.history:
            if s.branch is not Branch.MODEL:
                continue
            for r in s.results:
                name = r.candidate.name
                if not name.startswith("optuna_t"):
                    continue
                number = int(name.removeprefix("optuna_t"))
                if number not in running:
                    continue
                v = r.metrics.get(objective)
                if r.error is None and v is not None and math.isfinite(v):
                    self.study.tell(number, float(v))
                else:
                    self.study.tell(number, state=optuna.trial.TrialState.FAIL)
                running.discard(number)

    def propose(self, context: ProposalContext) -> Hypothesis:
        """Tell the finished trials, ask ``n_tasks`` new ones and return them as model tasks.

        Trials still running after :meth:`_tell` were asked by a round that was interrupted (``kill -9``):
        they are proposed again, with the same hyperparameters, so a resumed round repeats the same candidates
        (and finds their evaluations in the run's cache) instead of drawing new ones.
        """
        import optuna

        self._tell(context)
        orphans = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        tasks = []
        for k in range(self.n_tasks):
            if k < len(orphans):
                number, fixed = orphans[k].number, optuna.trial.FixedTrial(orphans[k].params)
                template = str(fixed.suggest_categorical("template", list(self.templates)))
                params = suggest(fixed, template)
            else:
                # a sampler seeded by (seed, trial number): the same history gives the same trial, in a fresh
                # process too (one seeded sampler for the study's life would draw differently after a resume)
                self.study.sampler = optuna.samplers.TPESampler(
                    seed=self.seed * 100_003 + len(self.study.trials)
                )
                trial = self.study.ask()
                number = trial.number
                template = str(trial.suggest_categorical("template", list(self.templates)))
                params = suggest(trial, template)
            tasks.append(
                ModelTask(
                    name=f"optuna_t{number}",
                    description=f"{template}, TPE trial {number}",
                    template=template,
                    hyperparameters=params,
                )
            )
        done = len([t for t in self.study.trials if t.value is not None])
        return Hypothesis(
            Branch.MODEL,
            statement=f"a {tasks[0].template} with these hyperparameters predicts the label better than the SOTA model",
            rationale=f"TPE proposal after {done} finished trials",
            tasks=tuple(tasks),
        )

    def state_dict(self) -> dict[str, Any]:
        """The study is its own state (the journal file); nothing else to save."""
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        """Nothing to restore beyond the journal file."""


log = logging.getLogger(__name__)
