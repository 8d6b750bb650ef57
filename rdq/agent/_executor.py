"""Run candidate evaluations in worker processes, with a time and a memory limit per task.

``Executor.map(fn, shared, items, timeout_s=..., memory_mb=...)`` calls ``fn(shared, item)`` for every item and
returns one :class:`Outcome` per item, in order. ``shared`` (the panel) is sent to each worker once per map.

- :class:`LocalExecutor` (default): a small pool of ``spawn``-started processes (polars, numba and torch are not
  fork-safe) that live across maps. Each task runs under a wall-clock deadline and a resident-memory watchdog
  (the parent samples ``/proc/PID/statm``; an address-space rlimit would also refuse the large virtual
  reservations numba and torch make). A task that raises is ``"error"``; one past its deadline ``"timeout"``;
  one over its memory ``"memory"``; a worker that dies (``os._exit``, a segfault) ``"crashed"``. The worker is
  then killed or reaped and replaced; the other tasks go on. ``max_workers=0`` runs inline, without limits.
- :class:`RayExecutor`: the same on a Ray cluster (``pip install rdq[ray]``): ``ray.put`` of ``shared`` once per
  map, one remote task per item and at most one per cluster CPU in flight (a task's deadline starts at its
  submission), ``ray.wait`` deadlines, ``ray.cancel(force=True)`` on timeout. Point it at a
  cluster with ``address="auto"`` (on a node of the cluster) or ``"ray://HEAD:10001"`` (Ray client).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, Literal, Protocol, TypeVar

from rdq.errors import ConfigError

__all__ = ["Outcome", "Executor", "LocalExecutor", "RayExecutor", "make_executor", "Status"]

T = TypeVar("T")
R = TypeVar("R")
Status = Literal["ok", "error", "timeout", "memory", "crashed"]
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """One task's result: ``value`` when ``status == "ok"``, else ``error`` says what happened."""

    value: R | None
    error: str | None
    seconds: float
    status: Status


class Executor(Protocol):
    """Maps a module-level ``fn(shared, item)`` over items with limits."""

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        shared: Any,
        items: Sequence[Any],
        *,
        timeout_s: float,
        memory_mb: int | None,
    ) -> list[Outcome[Any]]: ...

    def close(self) -> None: ...


def _last_line(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    return lines[-1].strip() if lines else type(exc).__name__


def _worker_main(conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; Ctrl-C must not kill a task mid-write
    token, shared = None, None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "stop":
            return
        _, tok, payload, fn, item = msg
        if payload is not None or tok != token:
            token, shared = tok, payload
        t0 = time.perf_counter()
        reply: tuple[str, Any, str | None, float]
        try:
            value = fn(shared, item)
            reply = ("ok", value, None, time.perf_counter() - t0)
        except MemoryError as exc:
            reply = ("memory", None, f"MemoryError: {exc}", time.perf_counter() - t0)
        except BaseException as exc:  # noqa: BLE001 - everything a task raises is its outcome
            reply = ("error", None, _last_line(exc), time.perf_counter() - t0)
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result
            conn.send(
                ("error", None, f"result cannot be sent back: {_last_line(exc)}", time.perf_counter() - t0)
            )


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.token: int | None = None
        self.task: int | None = None
        self.started = 0.0

    def rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/statm") as fh:
                return int(fh.read().split()[1]) * _PAGE / 2**20
        except (OSError, ValueError, IndexError):
            return 0.0

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class LocalExecutor:
    """A process pool with per-task limits (module docstring)."""

    def __init__(self, max_workers: int = 2) -> None:
        self.max_workers = max(0, int(max_workers))
        self._ctx = mp.get_context("spawn")
        self._workers: list[_Worker] = []
        self._tokens = itertools.count(1)

    def _pool(self, n: int) -> list[_Worker]:
        self._workers = [w for w in self._workers if w.proc.is_alive()]
        while len(self._workers) < n:
            self._workers.append(_Worker(self._ctx))
        return self._workers[:n]

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        shared: Any,
        items: Sequence[Any],
        *,
        timeout_s: float,
        memory_mb: int | None,
    ) -> list[Outcome[Any]]:
        """See :class:`Executor`."""
        if not items:
            return []
        if self.max_workers == 0:
            return [self._inline(fn, shared, it) for it in items]
        token = next(self._tokens)
        out: list[Outcome[Any] | None] = [None] * len(items)
        todo = list(range(len(items)))
        workers = self._pool(min(self.max_workers, len(items)))
        busy: dict[int, _Worker] = {}
        while todo or busy:
            for i, w in enumerate(workers):
                if id(w) in busy or not todo:
                    continue
                if not w.proc.is_alive():
                    workers[i] = w = self._replace(w)
                k = todo.pop(0)
                payload = shared if w.token != token else None
                try:
                    w.conn.send(("task", token, payload, fn, items[k]))
                except (OSError, ValueError) as exc:
                    out[k] = Outcome(None, f"cannot send the task: {_last_line(exc)}", 0.0, "crashed")
                    workers[i] = self._replace(w)
                    continue
                w.token, w.task, w.started = token, k, time.perf_counter()
                busy[id(w)] = w
            ready = wait([w.conn for w in busy.values()], timeout=0.1)
            now = time.perf_counter()
            for i, w in enumerate(workers):
                if id(w) not in busy:
                    continue
                k0 = w.task
                assert k0 is not None
                k = k0
                elapsed = now - w.started
                res: Outcome[Any] | None = None
                if w.conn in ready:
                    try:
                        status, value, err, secs = w.conn.recv()
                        res = Outcome(value, err, secs, status)
                    except (EOFError, OSError):
                        w.proc.join(1)
                        code = w.proc.exitcode
                        why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                        res = Outcome(None, f"the worker died ({why})", elapsed, "crashed")
                elif elapsed > timeout_s:
                    res = Outcome(None, f"no result within {timeout_s:g} s", elapsed, "timeout")
                elif memory_mb is not None and w.rss_mb() > memory_mb:
                    res = Outcome(None, f"resident memory above {memory_mb} MB", elapsed, "memory")
                if res is None:
                    continue
                out[k] = res
                del busy[id(w)]
                w.task = None
                if res.status in ("timeout", "memory", "crashed"):
                    workers[i] = self._replace(w)
        return [o for o in out if o is not None]

    def _replace(self, w: _Worker) -> _Worker:
        w.kill()
        new = _Worker(self._ctx)
        self._workers = [x for x in self._workers if x is not w] + [new]
        return new

    @staticmethod
    def _inline(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> Outcome[Any]:
        t0 = time.perf_counter()
        try:
            return Outcome(fn(shared, item), None, time.perf_counter() - t0, "ok")
        except MemoryError as exc:
            return Outcome(None, f"MemoryError: {exc}", time.perf_counter() - t0, "memory")
        except Exception as exc:  # noqa: BLE001
            return Outcome(None, _last_line(exc), time.perf_counter() - t0, "error")

    def close(self) -> None:
        """Stop the workers."""
        for w in self._workers:
            try:
                w.conn.send(("stop",))
            except (OSError, ValueError):
                pass
            w.proc.join(2)
            w.kill()
        self._workers = []

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RayExecutor:
    """The same contract on Ray (module docstring)."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address, self.num_cpus = address, num_cpus
        self._ray: Any = None

    def _init(self) -> Any:
        if self._ray is None:
            try:
                import ray
            except ModuleNotFoundError:
                raise ConfigError("the ray executor needs Ray: pip install 'rdq[ray]'") from None
            if not ray.is_initialized():
                kw: dict[str, Any] = {
                    "include_dashboard": False,
                    "ignore_reinit_error": True,
                    "log_to_driver": False,
                }
                if self.address:
                    kw["address"] = self.address
                elif self.num_cpus:
                    kw["num_cpus"] = self.num_cpus
                ray.init(**kw)
            self._ray = ray
        return self._ray

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        shared: Any,
        items: Sequence[Any],
        *,
        timeout_s: float,
        memory_mb: int | None,
    ) -> list[Outcome[Any]]:
        """See :class:`Executor`."""
        if not items:
            return []
        ray = self._init()
        ref = ray.put(shared)
        opts: dict[str, Any] = {"max_retries": 0}
        if memory_mb:
            opts["memory"] = int(memory_mb) * 2**20
        remote = ray.remote(_ray_call).options(**opts)
        # at most one task per CPU in flight, so that each task's deadline starts when it can start running
        slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        out: dict[int, Outcome[Any]] = {}
        queue = list(range(len(items)))
        pending: dict[int, tuple[Any, float]] = {}
        while queue or pending:
            while queue and len(pending) < slots:
                k = queue.pop(0)
                pending[k] = (remote.remote(fn, ref, items[k]), time.perf_counter())
            now = time.perf_counter()
            left = min(t0 + timeout_s - now for _, t0 in pending.values())
            done, _ = ray.wait([r for r, _ in pending.values()], num_returns=1, timeout=max(0.0, left))
            now = time.perf_counter()
            for k, (r, t0) in list(pending.items()):
                if r in done:
                    del pending[k]
                    try:
                        status, value, err, secs = ray.get(r)
                        out[k] = Outcome(value, err, secs, status)
                    except Exception as exc:  # noqa: BLE001 - a dead worker, an OOM kill
                        kind: Status = "memory" if "OutOfMemory" in type(exc).__name__ else "crashed"
                        out[k] = Outcome(None, _last_line(exc)[:500], now - t0, kind)
                elif now - t0 >= timeout_s:
                    del pending[k]
                    ray.cancel(r, force=True)
                    out[k] = Outcome(None, f"no result within {timeout_s:g} s", now - t0, "timeout")
        return [out[k] for k in range(len(items))]

    def close(self) -> None:
        """Leave the Ray session to its owner (``ray.shutdown()`` ends it)."""


def _ray_call(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> tuple[str, Any, str | None, float]:
    t0 = time.perf_counter()
    try:
        return "ok", fn(shared, item), None, time.perf_counter() - t0
    except MemoryError as exc:
        return "memory", None, f"MemoryError: {exc}", time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001
        return "error", None, _last_line(exc), time.perf_counter() - t0


def make_executor(
    name: Literal["local", "ray"] | str, *, max_workers: int = 2, address: str | None = None
) -> Executor:
    """``local`` (:class:`LocalExecutor`) or ``ray`` (:class:`RayExecutor`)."""
    if name == "local":
        return LocalExecutor(max_workers)
    if name == "ray":
        return RayExecutor(address=address, num_cpus=max_workers or None)
    raise ConfigError(f"executor {name!r}: choose local or ray")
