"""An embedded q interpreter: lexer, parser, evaluator and the q console formatter.

Public API
----------
- :class:`Session` — one q workspace. ``display(src)`` returns exactly what the q console prints for
  one input line (errors as ``'name``; ``Session(error_trace=True)`` adds the q 4 trace lines),
  ``eval(src)`` returns the q value, ``run_script(text)`` runs a script as ``q file.q`` does and
  returns a :class:`ScriptResult` (``stdout``, ``stderr``, ``exit_code``).
- :class:`QExit` — raised by ``exit n`` outside scripts; :class:`QError` — a q signal.

Each session has its own display precision (``\\P``). A Python exception inside the interpreter is an
rdq bug and prints as ``'internal error: ...`` (never q's ``'nyi``); ``Session(debug=True)`` or
``RDQ_Q_DEBUG=1`` adds the Python error. The package's modules are layered one way (listed in
:mod:`rdq.qlang._verbs`; ``tests/qlang/test_import_graph.py`` keeps the import graph acyclic).

Values live in :mod:`rdq.qlang._values` (atoms, numpy-backed vectors, general lists, dictionaries,
tables, functions). The interpreter is checked against console examples printed by real q in the
reference docs (KX, CC BY 4.0): ``python -m rdq.qlang.golden --file core|dev [--flag qsql] --per-file``.

>>> from rdq.qlang import Session
>>> Session().display("1+til 3")
'1 2 3'
"""

from __future__ import annotations

from rdq.qlang._fn import QExit
from rdq.qlang._session import ScriptResult, Session
from rdq.qlang._values import QError

__all__ = ["Session", "ScriptResult", "QExit", "QError"]
