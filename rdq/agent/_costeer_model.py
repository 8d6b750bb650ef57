"""The Co-STEER coder's model tasks (:meth:`rdq.agent._costeer.CoSteerCoder.implement` for a ModelTask).

Two forms:

(a) a template that exists (``LGBMModel``, ``MLPModel``, ``GRUModel``, ``LSTMModel``, ``TransformerModel``; the
    short names ``lgbm``, ``mlp``, ... too): its hyperparameters are clamped into the ranges
    :func:`rdq.agent._model_search.suggest` searches (:func:`~rdq.agent._model_search.clamp_hyperparameters`),
    unknown ones dropped, each change noted; no LLM call. The notes head the candidate's code (YAML comments)
    and are kept in ``coder.notes[task.name]``.
(b) any other template (a new architecture): the LLM writes an ``nn.Module`` file (prompt
    ``prompts/code_model.md``) that :func:`rdq.models.load_user_model` accepts; each attempt is checked in the
    sandbox by :func:`rdq.sandbox.run_model_check` (forward-pass shape on a batch, a few Adam steps lower the
    loss) and evolved on failure from the check's reason and the traceback's last frame. The candidate's task
    is ``ModelTask(template="UserModule", hyperparameters={"source": ..., "source_sha": ..., <training
    options>})`` (:data:`rdq.agent._evaluate.USER_MODULE`), evaluated by training it INSIDE the sandbox.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from rdq.agent._evaluate import USER_MODULE
from rdq.agent._knowledge import task_text
from rdq.agent._model_search import ALL_TEMPLATES, clamp_hyperparameters
from rdq.agent._types import Branch, Candidate, ModelTask, ProposalContext
from rdq.errors import RdqError

if TYPE_CHECKING:
    from rdq.agent._costeer import CoSteerCoder

__all__ = ["implement_model", "template_of", "USER_MODULE_TRAINING"]

_SHORT = {t.lower().removesuffix("model"): t for t in ALL_TEMPLATES}
#: training options of a generated module and their ranges (those of MLPModel's search)
USER_MODULE_TRAINING: dict[str, tuple[float, float, bool]] = {
    "lr": (1e-4, 1e-2, False),
    "max_epochs": (1, 6, True),
    "batch_size": (256, 4096, True),
    "early_stop": (1, 3, True),
}
_USER_DEFAULTS: dict[str, Any] = {"lr": 1e-3, "max_epochs": 5, "batch_size": 2048, "early_stop": 3}


def template_of(name: str) -> str | None:
    """The existing template ``name`` means (``"lgbm"`` -> ``"LGBMModel"``), or ``None`` (a new architecture)."""
    if name in ALL_TEMPLATES:
        return name
    return _SHORT.get(name.lower().removesuffix("model"))


def _yaml(template: str, params: dict[str, Any], notes: list[str]) -> str:
    import yaml

    head = "".join(f"# {n}\n" for n in notes)
    return head + str(yaml.safe_dump({"model": {"class": template, "kwargs": params}}, sort_keys=True))


def _training(hp: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    out, notes = dict(_USER_DEFAULTS), []
    for k, v in hp.items():
        if k in ("source", "source_sha"):
            continue
        if k not in USER_MODULE_TRAINING:
            notes.append(
                f"{k}={v!r} dropped: a generated module takes only {', '.join(USER_MODULE_TRAINING)}"
            )
            continue
        lo, hi, is_int = USER_MODULE_TRAINING[k]
        if not isinstance(v, int | float) or isinstance(v, bool):
            notes.append(f"{k}={v!r} dropped: not a number")
            continue
        new: Any = min(max(float(v), lo), hi)
        new = int(round(new)) if is_int else new
        if new != v:
            notes.append(f"{k}={v!r} -> {new!r} (range {lo:g}..{hi:g})")
        out[k] = new
    return out, notes


def implement_model(coder: CoSteerCoder, task: ModelTask, context: ProposalContext) -> Candidate:
    """A model candidate for ``task`` (module docstring); raises :class:`RdqError` after ``max_attempts``."""
    template = template_of(task.template)
    if template is not None:
        params, notes = clamp_hyperparameters(template, dict(task.hyperparameters))
        coder.notes[task.name] = notes
        t = ModelTask(task.name, task.description, template, params)
        key = f"{template}:{sorted(params.items())}"
        return Candidate(task.name, Branch.MODEL, _yaml(template, params, notes), key, t)
    training, notes = _training(dict(task.hyperparameters))
    coder.notes[task.name] = notes
    known = coder.knowledge.solved(task)
    if known is not None:
        return _module_candidate(task, known, training, None)
    code, feedback, path = "", "", None
    for attempt in range(coder.config.max_attempts):
        code = coder._ask(_model_prompt(coder, task, code, feedback), "code.model")  # noqa: SLF001
        feedback = _check_module(coder, code)
        coder.knowledge.record_attempt(task, code, feedback, "failed" if feedback else "ok")
        path = coder._save(task, attempt + 1, code, feedback, True)  # noqa: SLF001
        if not feedback:
            return _module_candidate(task, code, training, path)
    del context
    raise RdqError(
        f"model task {task.name!r} failed {coder.config.max_attempts} attempts; last feedback:\n{feedback}\n"
        "fix: reword the task, name an existing template, or raise CoderConfig.max_attempts"
    )


def _module_candidate(task: ModelTask, source: str, training: dict[str, Any], path: str | None) -> Candidate:
    sha = hashlib.sha256(source.encode()).hexdigest()[:16]
    t = ModelTask(task.name, task.description, USER_MODULE, {"source": source, "source_sha": sha, **training})
    return Candidate(task.name, Branch.MODEL, source, f"{USER_MODULE}:{sha}", t, path)


def _check_module(coder: CoSteerCoder, code: str) -> str:
    """``""`` when the module passes :func:`rdq.sandbox.run_model_check`, else the reason and last frame."""
    from rdq.sandbox import run_model_check

    res = run_model_check(code, n_features=coder.n_features, seq_len=None, limits=coder.limits)
    if res.ok:
        return ""
    out = f"check model failed: {res.status}: {res.reason}"
    return out + (f"\n{res.traceback_tail}" if res.traceback_tail else "")


def _model_prompt(coder: CoSteerCoder, task: ModelTask, code: str, feedback: str) -> str:
    from rdq.agent._costeer import _prompt  # noqa: PLC2701

    extra: list[str] = []
    for text, solved in coder.knowledge.similar_tasks(task):
        extra.append(f"A similar solved task: {text}\nIts code:\n{solved}")
    if feedback:
        extra.append(f"Your previous code:\n{code}\nIt failed:\n{feedback}\nFix it.")
        for err, fix in coder.knowledge.similar_errors(feedback):
            extra.append(f"A similar past error: {err}\nFixed by:\n{fix}")
    return _prompt("code_model").format(
        task=task_text(task), extra=("\n\n" + "\n\n".join(extra)) if extra else ""
    )
