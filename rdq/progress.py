"""One progress facility for rdq: a rich bar on a terminal, throttled log lines everywhere else.

Every long loop of the library (factor chunks, pipeline stages, rolling splits, torch epochs, q-bench
problems) reports through :func:`progress`::

    with progress("factors", total=len(todo), enabled=show) as bar:
        for chunk in chunks:
            ...
            bar.advance(len(chunk))

What it shows depends on where the process writes (resolved once, when the context is entered):

- ``stderr`` is an interactive terminal (or a Jupyter kernel, see :func:`draws_bars`): a transient
  rich progress bar on stderr; nested loops add a row to the same bar (one live display per process);
- otherwise (CI, ``nohup``, a pipe, a file): a plain line through :mod:`logging` at INFO on the
  caller's logger (a name under ``rdq.``), at most one every ``interval_s`` seconds (default 5, or
  the ``RDQ_PROGRESS_INTERVAL`` environment variable), and one closing line when the loop ends
  (``stopped by ...`` when it raised)::

      factors: 40/158 (25%) elapsed 12s eta 36s
      factors: 158/158 (100%) done in 47s

- ``enabled=False`` or :func:`set_quiet` ``(True)``: nothing at all.

Nothing is ever written to stdout, so ``--json`` output stays pure JSON.

Logging convention
------------------
rdq's library code logs through ``logging.getLogger(__name__)`` (names under ``rdq.``) and never
configures logging. A library user therefore sees no progress lines unless they configure logging,
e.g. ``logging.basicConfig(level=logging.INFO)`` or
``logging.getLogger("rdq").setLevel(logging.INFO)`` plus a handler. rdq adds no handler of its own
(not even a ``NullHandler``), so its warnings still reach stderr through Python's last-resort
handler when nothing is configured, while INFO progress stays silent. The ``rdq`` command line
configures INFO for ``rdq`` on stderr (see :func:`rdq.cli.main`); ``rdq --quiet`` sets WARNING and
turns the bars off.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, Self

from rich.console import Console

__all__ = [
    "Progress",
    "ProgressMode",
    "progress",
    "set_quiet",
    "is_quiet",
    "stderr_console",
    "draws_bars",
    "format_duration",
    "DEFAULT_INTERVAL_S",
]

log = logging.getLogger(__name__)

#: seconds between two progress lines when stderr is not a terminal
DEFAULT_INTERVAL_S = 5.0
#: environment variable overriding :data:`DEFAULT_INTERVAL_S` (seconds, ``0``: every update)
INTERVAL_ENV = "RDQ_PROGRESS_INTERVAL"

ProgressMode = Literal["auto", "bar", "log", "off"]

_QUIET = False
_CONSOLE: Console | None = None
# the one live rich bar of the process and how many open Progress objects share it
_BAR: Any = None
_BAR_USERS = 0


def set_quiet(value: bool) -> None:
    """Silence (``True``) or restore every progress bar and line of the process (``rdq --quiet``)."""
    global _QUIET
    _QUIET = bool(value)


def is_quiet() -> bool:
    """Whether :func:`set_quiet` silenced progress."""
    return _QUIET


def stderr_console() -> Console:
    """The process's rich console on stderr: bars and the CLI's log handler share it (lines print above bars)."""
    global _CONSOLE
    if _CONSOLE is None:
        _CONSOLE = Console(stderr=True)
    return _CONSOLE


def draws_bars() -> bool:
    """Whether progress is drawn as bars: stderr is an interactive terminal, or this is a Jupyter kernel.

    ``FORCE_COLOR`` (set by some CI systems) colours output but does not make a log a terminal:
    the file itself must be a TTY (and not ``TERM=dumb``; ``TTY_INTERACTIVE=0`` turns bars off).
    """
    con = stderr_console()
    if con.is_jupyter:
        return True
    isatty = getattr(con.file, "isatty", None)
    try:
        tty = bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream (e.g. at interpreter exit)
        tty = False
    return tty and con.is_interactive


def format_duration(seconds: float) -> str:
    """``"8s"``, ``"3m05s"``, ``"2h07m"``; ``"?"`` when unknown.

    Examples
    --------
    >>> format_duration(7.6), format_duration(185), format_duration(7620), format_duration(float("nan"))
    ('8s', '3m05s', '2h07m', '?')
    """
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def _interval_from_env() -> float:
    text = os.environ.get(INTERVAL_ENV, "").strip()
    if not text:
        return DEFAULT_INTERVAL_S
    try:
        value = float(text)
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %.0f", INTERVAL_ENV, text, DEFAULT_INTERVAL_S)
        return DEFAULT_INTERVAL_S
    return max(0.0, value)


class Progress:
    """Progress of one loop: ``done`` of ``total`` steps of a named stage.

    Make one with :func:`progress` (the same class); enter it as a context manager, call :meth:`advance`
    per step.

    Parameters
    ----------
    stage:
        What is running (``"factors"``, ``"demo: model"``); the start of every line.
    total:
        Number of steps, ``None`` when unknown (lines then show only the elapsed time).
    enabled:
        ``False``: report nothing.
    mode:
        ``"auto"`` (a bar when stderr is a terminal, else lines), ``"bar"``, ``"log"`` or ``"off"``.
    logger:
        Where lines go (a logger or its name; default ``rdq.progress``).
    interval_s:
        Least seconds between two lines (``None``: ``RDQ_PROGRESS_INTERVAL`` or 5).
    clock:
        Monotonic clock in seconds (tests inject a fake one).
    lines:
        ``False``: a bar on a terminal but no lines elsewhere (for a loop that logs every step
        itself, such as torch epochs).
    thread:
        ``False``: the bar has no refresh thread and redraws on each update (for loops that fork
        worker processes: forking beside a running thread is unsafe).

    Examples
    --------
    >>> import logging
    >>> with progress("demo", total=3, mode="log", interval_s=0, logger="rdq.doc") as p:
    ...     for _ in range(3):
    ...         p.advance()
    >>> p.lines  # two intermediate lines and the closing one
    3
    """

    def __init__(
        self,
        stage: str,
        total: int | None = None,
        *,
        enabled: bool = True,
        mode: ProgressMode = "auto",
        logger: logging.Logger | str | None = None,
        interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        lines: bool = True,
        thread: bool = True,
    ) -> None:
        self.stage = stage
        self.total = total
        self.enabled = enabled
        self.requested_mode: ProgressMode = mode
        self.logger = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger or __name__)
        self.interval_s = _interval_from_env() if interval_s is None else max(0.0, float(interval_s))
        self.clock = clock
        self.log_lines = lines
        self.thread = thread
        self.done = 0
        self.info = ""
        self.mode: ProgressMode = "off"
        self.lines = 0
        self._start = 0.0
        self._last_line = 0.0
        self._task: Any = None

    # ------------------------------------------------------------------ state
    @property
    def elapsed_s(self) -> float:
        """Seconds since the context was entered."""
        return self.clock() - self._start

    @property
    def eta_s(self) -> float:
        """Estimated seconds left at the average pace so far (``nan`` while unknown)."""
        if self.total is None or self.done <= 0:
            return math.nan
        return self.elapsed_s / self.done * max(0, self.total - self.done)

    def line(self, *, final: bool = False) -> str:
        """The plain progress line (as logged): stage, done/total, percent, elapsed, ETA, info."""
        if self.total is None:
            steps = f" {self.done} steps," if self.done else ""
            text = f"{self.stage}:{steps} {'done in' if final else 'elapsed'} {format_duration(self.elapsed_s)}"
        else:
            pct = 100.0 * self.done / self.total if self.total else 100.0
            text = f"{self.stage}: {self.done}/{self.total} ({pct:.0f}%)"
            if final:
                text += f" done in {format_duration(self.elapsed_s)}"
            else:
                text += f" elapsed {format_duration(self.elapsed_s)} eta {format_duration(self.eta_s)}"
        return f"{text} | {self.info}" if self.info else text

    # ------------------------------------------------------------------ context
    def _resolve_mode(self) -> ProgressMode:
        if not self.enabled or _QUIET or self.requested_mode == "off":
            return "off"
        if self.requested_mode != "auto":
            return self.requested_mode
        if draws_bars():
            return "bar"
        return "log" if self.log_lines else "off"

    def __enter__(self) -> Self:
        global _BAR, _BAR_USERS
        self.mode = self._resolve_mode()
        self._start = self.clock()
        self._last_line = self._start
        if self.mode == "bar":
            if _BAR is None:
                from rich import progress as rp

                _BAR = rp.Progress(
                    rp.TextColumn("{task.description}"),
                    rp.BarColumn(),
                    rp.MofNCompleteColumn(),
                    rp.TextColumn("{task.fields[info]}"),
                    rp.TimeElapsedColumn(),
                    rp.TextColumn("eta"),
                    rp.TimeRemainingColumn(),
                    console=stderr_console(),
                    transient=True,
                    auto_refresh=self.thread,
                )
                _BAR.start()
            _BAR_USERS += 1
            self._task = _BAR.add_task(self.stage, total=self.total, info="")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        global _BAR, _BAR_USERS
        if self.mode == "bar":
            if _BAR is not None:
                _BAR.remove_task(self._task)
                _BAR_USERS -= 1
                if _BAR_USERS <= 0:
                    _BAR.stop()
                    _BAR, _BAR_USERS = None, 0
        elif self.mode == "log":
            if exc_type is not None:
                self.info = f"stopped by {exc_type.__name__}"
            self._emit(final=exc_type is None)
        self.mode = "off"

    # ------------------------------------------------------------------ steps
    def advance(self, n: int = 1, *, info: str | None = None, stage: str | None = None) -> None:
        """``n`` more steps done; ``info`` (e.g. ``"valid loss 0.99"``) is shown beside the count,
        ``stage`` renames what runs next (``"demo: model"``)."""
        self.update(done=self.done + n, stage=stage, info=info)

    def update(self, *, done: int | None = None, stage: str | None = None, info: str | None = None) -> None:
        """Set the count, rename the stage (``"demo: model"``) or change the info text."""
        if done is not None:
            self.done = done
        if stage is not None:
            self.stage = stage
        self._changed(info)

    def _changed(self, info: str | None) -> None:
        if info is not None:
            self.info = info
        if self.mode == "bar" and _BAR is not None:
            _BAR.update(self._task, completed=self.done, description=self.stage, info=self.info)
            if not self.thread:
                _BAR.refresh()
        elif self.mode == "log":
            # the closing line reports the last step; in between, at most one line per interval
            finished = self.total is not None and self.done >= self.total
            if not finished and self.clock() - self._last_line >= self.interval_s:
                self._emit(final=False)

    def _emit(self, *, final: bool) -> None:
        self.logger.info("%s", self.line(final=final))
        self._last_line = self.clock()
        self.lines += 1


#: ``progress(stage, total, **options)``: a :class:`Progress` for ``total`` steps of ``stage`` (enter
#: it with ``with``); the class itself, so its signature and documentation are the class's
progress = Progress
