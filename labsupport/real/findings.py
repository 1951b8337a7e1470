"""What one of lesson 08's experiments found: tables, live or stored, and the plain data behind them.

A machine without redis-server, gunicorn or nginx cannot run the experiments; the lesson then
shows the findings stored from a run where they ran (``stored_results.py``). Both kinds print the
same way, the stored ones under a line that says so.
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field
from typing import Any

from ..clients import RequestRecord
from ..scenario import JourneyRun
from ..tables import Table
from .errors import RealProcessError

STORED_NOTE = "stored result (recorded on a machine with redis-server, gunicorn and nginx; nothing ran here)"


@dataclass(frozen=True)
class Findings:
    """Named tables (the first is the one shown) and, for journeys, the run itself; ``live`` or stored."""

    experiment: str
    tables: Mapping[str, Table]
    live: bool = True
    journeys: JourneyRun | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.tables:
            raise RealProcessError(f"findings of {self.experiment!r} need at least one table")

    @property
    def table(self) -> Table:
        """The main table."""
        return next(iter(self.tables.values()))

    def __getitem__(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"{self.experiment} has the tables {', '.join(self.tables)}, not {name!r}") from None

    def run(self) -> JourneyRun:
        """The journeys behind these findings (experiments that make journeys)."""
        if self.journeys is None:
            raise RealProcessError(f"{self.experiment!r} made no journeys")
        return self.journeys

    def note(self) -> str:
        """``""`` for live findings; the stored-result line otherwise."""
        return "" if self.live else STORED_NOTE

    def __repr__(self) -> str:
        return "\n".join(part for part in (self.note(), repr(self.table)) if part)

    def _repr_html_(self) -> str:
        note = f"<p><em>{html.escape(self.note())}</em></p>" if self.note() else ""
        return note + self.table._repr_html_()

    def to_data(self) -> dict[str, Any]:
        """Plain data (for ``stored_results.py``)."""
        data: dict[str, Any] = {"tables": {name: {"title": t.title, "columns": t.columns, "rows": t.rows}
                                           for name, t in self.tables.items()}}
        if self.journeys is not None:
            run = self.journeys
            data["journeys"] = {"strategy": run.strategy, "policy": run.policy, "users": list(run.users),
                                "records": [list(astuple(r)) for r in run.records]}
        return data

    @classmethod
    def from_data(cls, experiment: str, data: Mapping[str, Any]) -> Findings:
        """Stored findings, from ``to_data()``'s plain data."""
        tables = {name: Table(t["rows"], columns=t["columns"], title=t["title"]) for name, t in data["tables"].items()}
        found = data.get("journeys")
        journeys = None if found is None else JourneyRun(
            tuple(RequestRecord(*record) for record in found["records"]), tuple(found["users"]),
            found["strategy"], found["policy"])
        return cls(experiment, tables, live=False, journeys=journeys)


__all__ = ["STORED_NOTE", "Findings"]
