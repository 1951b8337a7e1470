"""Explore what the store's round trips cost a page as the store moves away (lesson 07).

The round trips are the suite's counts; the times are the documented model
(``store_experiments.RTT_BY_PLACEMENT_MS``). Like the other dashboards it redraws its bars in
place and keeps what it computed; the callback is a plain method, tested directly.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import ipywidgets as widgets
from matplotlib.artist import Artist
from matplotlib.patches import Rectangle

from ..dashboard import BAR_WIDTH, Dashboard, nice_top
from ..plots import KEPT_COLOR, LOST_COLOR
from ..store_experiments import RTT_BY_PLACEMENT_MS
from ..tables import Table
from .suite import Suite


class CostExplorer(Dashboard[Mapping[str, float]]):
    """Pick where the store sits and what a page does; see the network time each setup adds to it."""

    title = "CostExplorer"
    shows_running = False  # a few multiplications: the new picture is the feedback

    def __init__(self, suite: Suite, *, placement: str = "same data centre", reads: int = 5, writes: int = 1) -> None:
        self.suite = suite
        self.placement = widgets.Dropdown(options=list(RTT_BY_PLACEMENT_MS), value=placement, description="store in")
        self.reads = widgets.IntSlider(value=reads, min=0, max=20, description="page views", continuous_update=False)
        self.writes = widgets.IntSlider(value=writes, min=0, max=10, description="cart updates",
                                        continuous_update=False)
        super().__init__(controls=[self.placement, self.reads, self.writes], buttons=[], figsize=(7, 3.2))
        self.axes = self.figure.subplots()
        self.figure.subplots_adjust(left=0.19, right=0.97, bottom=0.16, top=0.9)
        names = suite.names
        self.bars = [Rectangle((0, i - BAR_WIDTH / 2), 0, BAR_WIDTH, linewidth=0) for i in range(len(names))]
        for bar in self.bars:
            self.axes.add_patch(bar)
        self.axes.set_yticks(range(len(names)), names)
        self.axes.set_ylim(len(names) - 0.4, -0.6)  # the first setup on top
        self.axes.set_xlabel("milliseconds of store round trips (modelled)")
        self.axes.grid(axis="x", alpha=0.3)
        for control in self.controls:
            control.observe(self.on_change, names="value")
        self.refresh()

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
                     title=f"{self.requests()}, one after another, "
                           f"store in: {self.placement.value}")

    def requests(self, joined: str = " + ") -> str:
        """The page's requests in words: "5 page views + 1 cart update"."""
        return joined.join(f"{count} {noun}{'s' * (count != 1)}" for count, noun in
                           ((self.reads.value, "page view"), (self.writes.value, "cart update")))

    def on_change(self, change: Any = None) -> None:
        """A control moved: show the times for the new setting."""
        self.refresh()

    def setting(self) -> Hashable:
        return self.placement.value, self.reads.value, self.writes.value

    def describe_setting(self) -> str:
        return f"store in {self.placement.value}, {self.requests(', ')}"

    def compute(self) -> Mapping[str, float]:
        return self.milliseconds()

    def draw(self, result: Mapping[str, float]) -> tuple[Hashable, list[Artist]]:
        for bar, value in zip(self.bars, result.values()):
            bar.set_width(value)
            bar.set_facecolor(LOST_COLOR if value > 0 else KEPT_COLOR)
        right = nice_top(max(result.values(), default=0))
        self.axes.set_xlim(0, right)
        self.axes.set_title(f"{self.requests()}; store in: "
                            f"{self.placement.value}", fontsize=10)
        return right, [*self.bars, *self.axes.spines.values(), self.axes.title]

    def describe_result(self, result: Mapping[str, float]) -> str:
        slowest = max(result, key=lambda name: result[name])
        return f"{self.describe_setting()}: {slowest} spends {result[slowest]:g} ms"


__all__ = ["CostExplorer"]
