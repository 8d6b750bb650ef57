"""Load a user's (or the research loop's coder's) model file: a Python file defining an ``nn.Module``.

The file must define one of, in this order of preference:

1. the class named by ``class_name``;
2. a function ``build_model(n_features, step_len) -> nn.Module``;
3. exactly one ``nn.Module`` subclass (defined in the file itself, not imported).

A class is called with whichever of ``n_features``, ``step_len``, ``d_feat`` (= ``n_features``)
its ``__init__`` accepts, plus ``kwargs``. The module is then checked on a tiny batch: input
``(4, step_len, n_features)`` (or ``(4, n_features)`` when ``step_len`` is ``None``), output
shape ``(4,)`` or ``(4, 1)``, all finite. Every failure is a :class:`~rdq.errors.ConfigError`
naming the file (and the line, for errors raised while importing or running it).

Example file::

    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self, n_features: int, step_len: int):
            super().__init__()
            self.gru = nn.GRU(n_features, 16, batch_first=True)
            self.out = nn.Linear(16, 1)

        def forward(self, x):            # x: (batch, step_len, n_features)
            h, _ = self.gru(x)
            return self.out(h[:, -1]).squeeze(-1)
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from rdq.errors import ConfigError, did_you_mean

__all__ = ["load_user_model", "check_model_output"]


def _line_in(exc: BaseException, path: Path) -> int | None:
    """Line number of the deepest frame of ``exc``'s traceback that lies in ``path``."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == path:
            line = frame.lineno
    return line


def _import_file(path: Path) -> ModuleType:
    source = path.read_text(encoding="utf-8")
    try:
        compile(source, str(path), "exec")
    except SyntaxError as exc:
        text = (exc.text or "").rstrip()
        raise ConfigError(
            f"{path}, line {exc.lineno}: syntax error: {exc.msg}"
            + (f"\n  {text}" if text else "")
            + "\n  fix: correct the Python syntax on that line"
        ) from None
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    name = f"rdq_user_model_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        sys.modules.pop(name, None)
        line = _line_in(exc, path)
        where = f", line {line}" if line else ""
        raise ConfigError(
            f"{path}{where}: importing the model file failed: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _call_with_dims(
    factory: Any, what: str, path: Path, *, n_features: int, step_len: int | None, kwargs: dict[str, Any]
) -> Any:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    args = dict(kwargs)
    dims = {"n_features": n_features, "step_len": step_len, "d_feat": n_features, "input_size": n_features}
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for key, value in dims.items():
        if key in params and key not in args:
            args[key] = value
    if not var_kw:
        unknown = [k for k in kwargs if k not in params]
        if unknown:
            raise ConfigError(
                f"{path}: {what} has no parameter {unknown[0]!r}{did_you_mean(unknown[0], list(params))}"
            )
    missing = [
        n
        for n, p in params.items()
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        and n not in args
        and n != "self"
    ]
    if missing:
        raise ConfigError(
            f"{path}: {what} needs argument(s) {missing} that rdq cannot supply",
        )
    try:
        return factory(**args)
    except Exception as exc:  # noqa: BLE001
        line = _line_in(exc, path)
        where = f", line {line}" if line else ""
        raise ConfigError(
            f"{path}{where}: building the model with {what} failed: {type(exc).__name__}: {exc}"
        ) from exc


def load_user_model(
    path: str | os.PathLike[str],
    *,
    n_features: int,
    step_len: int | None = None,
    class_name: str | None = None,
    kwargs: dict[str, Any] | None = None,
    check: bool = True,
) -> nn.Module:
    """Import ``path``, build its model for ``n_features`` inputs, and check it on a tiny batch.

    Parameters
    ----------
    path:
        The Python file.
    n_features:
        Number of features per day.
    step_len:
        Window length; ``None`` for flat rows ``(batch, n_features)``.
    class_name:
        The ``nn.Module`` subclass to use (otherwise ``build_model`` or the single subclass).
    kwargs:
        Extra keyword arguments for the class or ``build_model``.
    check:
        Run :func:`check_model_output` on the result.

    Raises
    ------
    ConfigError
        Missing file, syntax or import error (with the line), no / several modules, wrong
        output shape, non-finite output.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(
            f"model file {path} does not exist",
        )
    module = _import_file(path)
    kwargs = dict(kwargs or {})
    classes = {
        n: obj
        for n, obj in vars(module).items()
        if inspect.isclass(obj) and issubclass(obj, nn.Module) and obj.__module__ == module.__name__
    }
    if class_name is not None:
        obj = getattr(module, class_name, None)
        if obj is None:
            raise ConfigError(
                f"{path}: no class {class_name!r}{did_you_mean(class_name, classes)}; "
                f"nn.Module classes in the file: {sorted(classes) or 'none'}"
            )
        if not (inspect.isclass(obj) and issubclass(obj, nn.Module)):
            raise ConfigError(f"{path}: {class_name!r} is not an nn.Module subclass")
        net = _call_with_dims(
            obj, f"class {class_name}", path, n_features=n_features, step_len=step_len, kwargs=kwargs
        )
    elif callable(getattr(module, "build_model", None)):
        net = _call_with_dims(
            module.build_model, "build_model()", path, n_features=n_features, step_len=step_len, kwargs=kwargs
        )
        if not isinstance(net, nn.Module):
            raise ConfigError(f"{path}: build_model() returned {type(net).__name__}, not an nn.Module")
    elif len(classes) == 1:
        name, cls = next(iter(classes.items()))
        net = _call_with_dims(
            cls, f"class {name}", path, n_features=n_features, step_len=step_len, kwargs=kwargs
        )
    elif not classes:
        raise ConfigError(
            f"{path}: no nn.Module subclass and no build_model(n_features, step_len) function defined"
            "\n  fix: define a class inheriting torch.nn.Module with a forward(x) returning (batch,) scores"
        )
    else:
        raise ConfigError(
            f"{path}: several nn.Module subclasses ({', '.join(sorted(classes))}); "
            "name the one to use with class_name (model.kwargs.model_class in a config)"
        )
    if check:
        check_model_output(net, n_features=n_features, step_len=step_len, source=str(path))
    return net


def check_model_output(
    net: nn.Module, *, n_features: int, step_len: int | None, batch: int = 4, source: str = "model"
) -> None:
    """Run ``net`` on a tiny random batch; raise unless the output is finite, shape ``(batch,)``/``(batch, 1)``.

    Raises
    ------
    ConfigError
        Wrong shape, NaN/inf output, or an exception in ``forward`` (with its line where known).
    """
    shape = (batch, n_features) if step_len is None else (batch, step_len, n_features)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(*shape, generator=gen)
    params = list(net.parameters())
    device = params[0].device if params else torch.device("cpu")
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            out = net(x.to(device))
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == source or Path(frame.filename).name == Path(source).name:
                line = frame.lineno
        where = f", line {line}" if line else ""
        raise ConfigError(
            f"{source}{where}: forward() failed on a batch of shape {tuple(shape)}: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        net.train(was_training)
    if not isinstance(out, torch.Tensor):
        raise ConfigError(f"{source}: forward() returned {type(out).__name__}, not a torch.Tensor")
    if tuple(out.shape) not in ((batch,), (batch, 1)):
        raise ConfigError(
            f"{source}: forward() on input {tuple(shape)} returned shape {tuple(out.shape)}; "
            f"expected ({batch},) or ({batch}, 1), one score per sample"
            "\n  fix: end forward() with a Linear(..., 1) and .squeeze(-1)"
        )
    if not bool(torch.isfinite(out).all()):
        raise ConfigError(
            f"{source}: forward() returned NaN or inf on a random batch of shape {tuple(shape)}"
        )
