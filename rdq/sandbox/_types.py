"""The sandbox's settings and result: :class:`Limits` and :class:`SandboxResult`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Limits", "SandboxResult", "Status"]

Status = Literal["ok", "blocked", "error", "timeout", "killed"]


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run (defaults suit a laptop).

    Attributes
    ----------
    wall_s:
        Wall-clock seconds before the whole process group is killed (status ``timeout``).
    cpu_s:
        CPU seconds (``RLIMIT_CPU``; status ``killed``, "CPU limit").
    memory_mb:
        Address space in MiB (``RLIMIT_AS``; a ``MemoryError`` or a crash is status ``killed``).
    nproc:
        Processes (``RLIMIT_NPROC``; not enforced by Linux for root, so the audit hook's ban on
        fork/spawn and bubblewrap's PID namespace carry this one there).
    file_mb:
        Largest file (``RLIMIT_FSIZE``) and the most the run's directory may hold in total (MiB).
    output_kb:
        Captured stdout and stderr, each, in KiB; printing more kills the run.
    """

    wall_s: float = 60.0
    cpu_s: float = 60.0
    memory_mb: int = 4096
    nproc: int = 64
    file_mb: int = 256
    output_kb: int = 1024

    def __post_init__(self) -> None:
        from rdq.errors import ConfigError

        for name in ("wall_s", "cpu_s", "memory_mb", "nproc", "file_mb", "output_kb"):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(f"sandbox limit {name} must be positive, got {value!r}")


@dataclass(frozen=True)
class SandboxResult:
    """What one sandboxed run did.

    Attributes
    ----------
    status:
        ``ok``; ``blocked`` (static check or audit hook refused an action); ``error`` (the code
        raised, or returned something invalid); ``timeout`` (wall clock); ``killed`` (a signal,
        or the memory / CPU / file-size / output limit).
    reason:
        One line a user or an LLM can act on, e.g.
        ``"blocked: import of 'socket' is not allowed (line 3)"``.
    stdout, stderr:
        What the code printed (each cut at ``Limits.output_kb``).
    seconds:
        Wall-clock duration of the child process.
    layers:
        The isolation layers active for this run (see :func:`rdq.sandbox.active_layers`).
    traceback_tail:
        For ``error``: the last frame of the user's code and the exception line.
    """

    status: Status
    reason: str
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    layers: tuple[str, ...] = ()
    traceback_tail: str = ""

    @property
    def ok(self) -> bool:
        """Whether the status is ``ok``."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``layers`` as a list)."""
        out = asdict(self)
        out["layers"] = list(self.layers)
        return out
