"""Read back the tables of an rdq ``_repr_html_`` (stdlib parser), importable from any test.

Each table becomes a :class:`Table`: its caption, header texts and rows of :class:`Cell` (the display text
and the exact ``data-value`` when the cell holds a number).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Cell:
    text: str
    value: float | None = None


@dataclass
class Table:
    caption: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)

    def row(self, name: str) -> dict[str, Cell]:
        """The row whose first cell reads ``name``, keyed by header."""
        for r in self.rows:
            if r[0].text == name:
                return dict(zip(self.header, r, strict=True))
        raise KeyError(f"no row {name!r} in table {self.caption!r}: {[r[0].text for r in self.rows]}")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self._where: str | None = None
        self._text = ""
        self._value: float | None = None
        self._row: list[Cell] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(Table())
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th", "caption"):
            self._where, self._text = tag, ""
            raw = dict(attrs).get("data-value")
            self._value = float(raw) if raw is not None else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag == "caption":
            self.tables[-1].caption = self._text
            self._where = None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(Cell(self._text, self._value))
            self._where = None
        elif tag == "tr" and self._row is not None:
            if self._in_head:
                self.tables[-1].header = [c.text for c in self._row]
            else:
                self.tables[-1].rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._where is not None:
            self._text += data


def parse_tables(html: str) -> list[Table]:
    """Every ``<table>`` of ``html`` in order."""
    p = _Parser()
    p.feed(html)
    p.close()
    return p.tables
