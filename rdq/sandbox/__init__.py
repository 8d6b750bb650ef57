"""Run untrusted Python (generated or a user's factor / model file) in a child process, isolated.

Layers, outermost first (docs/SANDBOX.md has the attacks and how each is stopped):

* **OS isolation** where the machine allows it: bubblewrap (network, PID, IPC namespaces, a
  read-only view of only the system and Python directories), else ``unshare -rn`` (no network),
  else none (:func:`active_layers` says which);
* **rlimits** (address space, CPU time, file size, processes, no core files), a wall-clock
  timeout that kills the process group, a cap on captured output and on the directory's size;
* **a scrubbed environment** (PATH, LANG, HOME/TMPDIR = the run's own empty directory);
* **an audit hook** in the child (sockets, subprocesses, fork/exec, signals to others, ctypes,
  writes outside the directory and reads outside it and the Python installation end the run
  as ``blocked``) and an import guard (only the allow-list, for imports by the user's code);
* **a static check** of the source (imports outside the allow-list, eval/exec/__import__,
  open for writing, dunder and frame attributes).

Examples
--------
>>> res, frame = run_python_factor(
...     "def factor(panel):\\n    return panel.select('date', 'asset', value=panel['close'])\\n", panel
... )                                                            # doctest: +SKIP
>>> res.status, frame.columns                                    # doctest: +SKIP
('ok', ['date', 'asset', 'value'])
"""

from __future__ import annotations

from rdq.sandbox._api import run_model_check, run_model_fit, run_python_factor, validate_factor_frame
from rdq.sandbox._layers import active_layers, os_level
from rdq.sandbox._static import ALLOWED_MODULES, static_check
from rdq.sandbox._types import Limits, SandboxResult

__all__ = [
    "Limits",
    "SandboxResult",
    "static_check",
    "run_python_factor",
    "run_model_check",
    "run_model_fit",
    "active_layers",
    "os_level",
    "validate_factor_frame",
    "ALLOWED_MODULES",
]
