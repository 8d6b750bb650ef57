"""An embedded q interpreter: lexer, parser, evaluator and the q console formatter.

>>> from rdq.qlang import Session
>>> Session().display("1+til 3")
'1 2 3'
"""

from __future__ import annotations

from rdq.qlang._interp import QExit
from rdq.qlang._session import ScriptResult, Session
from rdq.qlang._values import QError

__all__ = ["Session", "ScriptResult", "QExit", "QError"]
