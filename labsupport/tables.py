"""A plain table of records that prints the same in a terminal, a notebook and nbval."""
from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if value is None:
        return ""
    return str(value)


class Table:
    """Rows of plain dicts shown as a text table (``repr``) and an HTML table (notebooks)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], *, columns: Sequence[str] | None = None,
                 title: str | None = None) -> None:
        self.rows = [dict(r) for r in rows]
        self.columns = list(columns) if columns else list(self.rows[0]) if self.rows else []
        self.title = title

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def column(self, name: str) -> list[Any]:
        """All values of one column, top to bottom."""
        return [r.get(name) for r in self.rows]

    def __repr__(self) -> str:
        cells = [[_cell(r.get(c)) for c in self.columns] for r in self.rows]
        widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(self.columns)]
        line = lambda values: "  ".join(v.rjust(w) for v, w in zip(values, widths))  # noqa: E731
        out = [self.title] if self.title else []
        out += [line(self.columns), line(["-" * w for w in widths]), *(line(row) for row in cells)]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in self.columns) + "</tr>"
            for r in self.rows
        )
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
