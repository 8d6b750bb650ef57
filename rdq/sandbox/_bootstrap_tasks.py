"""The child side's tasks (run by :mod:`rdq.sandbox._bootstrap`, standalone: stdlib + numpy/polars/torch).

The parent copies this file next to ``boot.py`` as ``boot_tasks.py``; the bootstrap loads it before the
audit hook is on and calls :func:`bind` with itself, then one of

* :func:`_run_factor`: ``factor(panel)`` on the panel copy -> ``result.parquet``;
* :func:`_run_model`: build the ``nn.Module``, check a forward pass and that a few Adam steps lower the loss;
* :func:`_run_fit`: train the ``nn.Module`` on ``x_train.npy`` / ``y_train.npy`` (early stopping on
  ``x_valid.npy`` / ``y_valid.npy`` when present) and write ``pred_<name>.npy`` for every ``xp_<name>.npy``.

Every outcome ends the process through the bootstrap's ``_finish`` (one JSON status line).
"""

from __future__ import annotations

import os
from typing import Any

USER_MODULE = "__rdq_user__"
_cfg: dict[str, Any] = {}
_dir = ""
_finish: Any = None
_user_failure: Any = None


def bind(boot: Any) -> None:
    """Take the bootstrap's configuration and its reporting functions."""
    global _cfg, _dir, _finish, _user_failure, USER_MODULE
    _cfg, _dir = boot._cfg, boot._dir
    _finish, _user_failure, USER_MODULE = boot._finish, boot._user_failure, boot.USER_MODULE


def _run_factor(ns: dict[str, Any]) -> None:
    import polars as pl

    entry = ns.get(_cfg["entry"])
    if not callable(entry):
        _finish(
            {"status": "error", "reason": f"error: the file defines no function {_cfg['entry']}(panel)"}, 1
        )
    panel = pl.read_parquet(os.path.join(_dir, "panel.parquet"))
    try:
        out = entry(panel)  # type: ignore[misc]
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything
        _user_failure(exc)
        return
    if not isinstance(out, pl.DataFrame):
        kind = type(out).__module__ + "." + type(out).__name__
        if kind.startswith("pandas."):
            out = pl.from_pandas(out.reset_index() if "date" not in out.columns else out)
        else:
            _finish(
                {
                    "status": "error",
                    "reason": f"error: {_cfg['entry']}(panel) returned {kind}, "
                    "not a polars DataFrame with columns date, asset, value",
                },
                1,
            )
    out.write_parquet(os.path.join(_dir, "result.parquet"))
    _finish({"status": "ok", "reason": "ok"}, 0)


def _run_model(ns: dict[str, Any]) -> None:
    import torch

    n_features, seq_len = int(_cfg["n_features"]), _cfg.get("seq_len")
    torch.manual_seed(0)
    try:
        net = _build_model(ns, n_features, seq_len)
    except BaseException as exc:  # noqa: BLE001
        _user_failure(exc)
        return
    shape = (16, n_features) if seq_len is None else (16, int(seq_len), n_features)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(*shape, generator=gen)
    w = torch.randn(n_features, generator=gen)
    y = (x if seq_len is None else x[:, -1, :]) @ w / n_features**0.5
    try:
        with torch.no_grad():
            out = net(x)
        if not isinstance(out, torch.Tensor):
            _finish(
                {
                    "status": "error",
                    "reason": f"error: forward() returned {type(out).__name__}, not a torch.Tensor",
                },
                1,
            )
        if tuple(out.shape) not in ((16,), (16, 1)):
            _finish(
                {
                    "status": "error",
                    "reason": f"error: forward() on input {shape} returned shape "
                    f"{tuple(out.shape)}; expected (16,) or (16, 1): end forward() with Linear(..., 1) and "
                    ".squeeze(-1)",
                },
                1,
            )
        if not bool(torch.isfinite(out).all()):
            _finish(
                {
                    "status": "error",
                    "reason": f"error: forward() returned NaN or inf on a random batch {shape}",
                },
                1,
            )
        params = [p for p in net.parameters() if p.requires_grad]
        if not params:
            _finish({"status": "error", "reason": "error: the model has no trainable parameters"}, 1)
        opt = torch.optim.Adam(params, lr=1e-2)
        net.train()
        losses = []
        for _ in range(int(_cfg.get("train_steps", 20))):
            opt.zero_grad()
            loss = torch.mean((net(x).reshape(-1) - y) ** 2)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    except BaseException as exc:  # noqa: BLE001
        _user_failure(exc)
        return
    first, last = losses[0], losses[-1]
    if not (last == last) or last >= first:
        _finish(
            {
                "status": "error",
                "reason": f"error: {len(losses)} Adam steps (lr 0.01) on a fixed random regression "
                f"batch did not lower the loss: {first:.4g} -> {last:.4g}",
                "losses": losses,
            },
            1,
        )
    _finish(
        {
            "status": "ok",
            "reason": f"ok: output shape {tuple(out.shape)}, loss {first:.4g} -> {last:.4g} "
            f"in {len(losses)} Adam steps",
            "losses": losses,
        },
        0,
    )


def _build_model(ns: dict[str, Any], n_features: int, seq_len: Any) -> Any:
    import inspect

    from torch import nn

    classes = [
        v
        for v in ns.values()
        if inspect.isclass(v) and issubclass(v, nn.Module) and v.__module__ == USER_MODULE
    ]
    name = _cfg.get("class_name")
    if name:
        factory = ns.get(name)
        if factory is None:
            raise NameError(f"no class {name!r} in the file")
    elif callable(ns.get("build_model")):
        factory = ns["build_model"]
    elif len(classes) == 1:
        factory = classes[0]
    elif not classes:
        raise TypeError("no nn.Module subclass and no build_model(n_features, step_len) function defined")
    else:
        raise TypeError(
            f"several nn.Module subclasses ({', '.join(sorted(c.__name__ for c in classes))}); keep one"
        )
    params = inspect.signature(factory).parameters
    dims = {"n_features": n_features, "step_len": seq_len, "d_feat": n_features, "input_size": n_features}
    net = factory(**{k: v for k, v in dims.items() if k in params})
    if not isinstance(net, nn.Module):
        raise TypeError(f"the model factory returned {type(net).__name__}, not an nn.Module")
    return net


def _run_fit(ns: dict[str, Any]) -> None:
    """Train the module (MSE, Adam, mini-batches, early stopping on valid) and predict every ``xp_*.npy``."""
    import copy

    import numpy as np
    import torch

    def load(name: str) -> Any:
        return np.load(os.path.join(_dir, name), allow_pickle=False)

    x, y = load("x_train.npy"), load("y_train.npy")
    has_valid = os.path.exists(os.path.join(_dir, "x_valid.npy"))
    xv, yv = (load("x_valid.npy"), load("y_valid.npy")) if has_valid else (None, None)
    n_features = int(x.shape[1])
    lr, epochs = float(_cfg.get("lr", 1e-3)), int(_cfg.get("max_epochs", 5))
    batch, patience = int(_cfg.get("batch_size", 2048)), int(_cfg.get("early_stop", 3))
    torch.manual_seed(int(_cfg.get("seed", 0)))
    gen = np.random.default_rng(int(_cfg.get("seed", 0)))
    try:
        net = _build_model(ns, n_features, None)
        opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
        xt, yt = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))

        def predict(arr: Any) -> Any:
            net.eval()
            out = []
            with torch.no_grad():
                for i in range(0, len(arr), 8192):
                    out.append(net(torch.from_numpy(np.ascontiguousarray(arr[i : i + 8192]))).reshape(-1))
            return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)

        best, best_state, bad, history = float("inf"), None, 0, []
        for _ in range(max(1, epochs)):
            net.train()
            order = torch.from_numpy(gen.permutation(len(xt)))
            total = 0.0
            for i in range(0, len(order), batch):
                idx = order[i : i + batch]
                opt.zero_grad()
                loss = torch.mean((net(xt[idx]).reshape(-1) - yt[idx]) ** 2)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            train_loss = total / max(1, len(order))
            if xv is not None and len(xv):
                score = float(np.mean((predict(xv) - yv) ** 2))
            else:
                score = train_loss
            history.append([train_loss, score])
            if not score == score:  # NaN: stop, keep the best so far
                break
            if score < best:
                best, best_state, bad = score, copy.deepcopy(net.state_dict()), 0
            else:
                bad += 1
                if bad >= patience:
                    break
        if best_state is None:
            _finish({"status": "error", "reason": "error: the training loss is NaN from the first epoch"}, 1)
        net.load_state_dict(best_state)
        names = sorted(f[3:-4] for f in os.listdir(_dir) if f.startswith("xp_") and f.endswith(".npy"))
        for name in names:
            pred = predict(load(f"xp_{name}.npy")).astype(np.float64)
            np.save(os.path.join(_dir, f"pred_{name}.npy"), pred)
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything
        _user_failure(exc)
        return
    _finish(
        {
            "status": "ok",
            "reason": f"ok: {len(history)} epoch(s), best valid MSE {best:.4g}",
            "history": history,
        },
        0,
    )
