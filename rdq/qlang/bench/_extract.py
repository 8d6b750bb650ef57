"""Pull the code out of a model's answer: the last ```q block, else the last fenced block, else the raw text."""

from __future__ import annotations

import re

__all__ = ["extract_code"]

_FENCE = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.DOTALL | re.MULTILINE)

_ALIASES = {"q": ("q", "kdb", "kdb+", "k", "qsql"), "python": ("python", "py", "python3")}


def extract_code(text: str, *, language: str = "q") -> str:
    """The code of a model answer.

    Parameters
    ----------
    text:
        The model's whole answer.
    language:
        ``"q"`` or ``"python"``: the block tag looked for first.

    Returns
    -------
    str
        The last block tagged ``language`` (``q`` also accepts ``kdb``/``k``), else the last fenced block
        of any tag, else ``text`` itself, stripped. An unclosed final fence counts as a block.

    Examples
    --------
    >>> extract_code("Here:\\n```q\\nsolve:{x+1}\\n```\\nDone")
    'solve:{x+1}'
    >>> extract_code("solve:{x}")
    'solve:{x}'
    """
    blocks = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]
    if not blocks:
        # an answer cut off inside its last block
        m = re.search(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*)\Z", text, re.DOTALL)
        if m:
            blocks = [(m.group(1).lower(), m.group(2))]
    tags = _ALIASES.get(language, (language,))
    tagged = [body for tag, body in blocks if tag in tags]
    if tagged:
        return tagged[-1].strip()
    if blocks:
        return blocks[-1][1].strip()
    return text.strip()
