"""Explore what the store's round trips cost a page as the store moves away (lesson 07).

The round trips are the suite's counts; the times are the documented model
(``store_experiments.RTT_BY_PLACEMENT_MS``). The callback is a plain method, tested directly.
"""
from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..plots import KEPT_COLOR, LOST_COLOR, LabFigure
from ..store_experiments import RTT_BY_PLACEMENT_MS
from ..tables import Table
from .suite import Suite


class CostView(widgets.VBox):
    """The explorer's widgets, with a short stable text form for notebooks without a kernel."""

    def __init__(self, children: list[widgets.Widget]) -> None:
        super().__init__(children)
        self.summary_text = ""

    def __repr__(self) -> str:
        return f"CostExplorer({self.summary_text})"


class CostExplorer:
    """Pick where the store sits and what a page does; see the network time each setup adds to it."""

    def __init__(self, suite: Suite, *, placement: str = "same data centre", reads: int = 5, writes: int = 1) -> None:
        self.suite = suite
        self.placement = widgets.Dropdown(options=list(RTT_BY_PLACEMENT_MS), value=placement, description="store in")
        self.reads = widgets.IntSlider(value=reads, min=0, max=20, description="page views")
        self.writes = widgets.IntSlider(value=writes, min=0, max=10, description="cart updates")
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.figure = LabFigure(figsize=(7, 3.2), layout="constrained")
        self.axes = self.figure.subplots()
        for control in (self.placement, self.reads, self.writes):
            control.observe(self.on_change, names="value")
        self.view = CostView([widgets.HBox([self.placement, self.reads, self.writes]), self.status, self.image])
        self.on_change()

    def milliseconds(self) -> dict[str, float]:
        """Network time each setup spends on the store for the chosen page, by the model."""
        rtt = RTT_BY_PLACEMENT_MS[self.placement.value]
        return {m.setup.name: round((self.reads.value * m.price.round_trips_read
                                     + self.writes.value * m.price.round_trips_write) * rtt, 3) for m in self.suite}

    def table(self) -> Table:
        """The current setting as a table: round trips and milliseconds per setup."""
        times = self.milliseconds()
        return Table([{"setup": m.setup.name, "round trips": self.reads.value * m.price.round_trips_read
                       + self.writes.value * m.price.round_trips_write, "network ms": times[m.setup.name]}
                      for m in self.suite],
                     title=f"{self.reads.value} page views + {self.writes.value} cart updates, one after another, "
                           f"store in: {self.placement.value}")

    def on_change(self, change: Any = None) -> None:
        """A control moved: recompute and redraw."""
        times = self.milliseconds()
        ax = self.axes
        ax.clear()
        ax.barh(list(times), list(times.values()),
                color=[LOST_COLOR if value > 0 else KEPT_COLOR for value in times.values()])
        ax.invert_yaxis()
        ax.set_xlabel("milliseconds of store round trips (modelled)")
        ax.set_title(f"{self.reads.value} page views + {self.writes.value} cart updates; store in: "
                     f"{self.placement.value}", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        self.image.value = self.figure.png(dpi=72)
        slowest = max(times, key=lambda name: times[name])
        self.view.summary_text = (f"store in {self.placement.value}, {self.reads.value} page views, "
                                  f"{self.writes.value} cart updates: {slowest} spends {times[slowest]:g} ms")
        self.status.value = f"<b>{self.view.summary_text}</b>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)

    def __repr__(self) -> str:
        return repr(self.view)


__all__ = ["CostExplorer", "CostView"]
