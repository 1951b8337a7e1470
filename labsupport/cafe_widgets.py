"""The cafe dashboard: barista kind, how many, dispatcher; a break or a new barista; it redraws (lesson 01).

Like lesson 02's cluster dashboard, each change re-runs a fresh seeded cafe (or takes the result
from the cache). The callbacks are plain methods (``on_setting``, ``on_break``, ``on_start``,
``on_reset``): tests call them, nbval never fires them.
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
from matplotlib.artist import Artist

from .cafe import DISPATCHERS, KINDS, Cafe, CafeRun
from .dashboard import Dashboard, ShareBar, StackedBars
from .plots import KEPT_COLOR, LOST_COLOR

EVENT_VISIT = 2
"""Breaks and new baristas happen just before this visit round (after every customer's first visit)."""


@dataclass
class CafeSettings:
    """What the dashboard runs: a fresh seeded cafe, ``customers`` x ``visits`` visits at most."""

    kind: str = "remembering"
    baristas: int = 3
    dispatcher: str = "round-robin"
    customers: int = 12
    visits: int = 3
    seed: int = 1
    events: list[str] = field(default_factory=list)
    """Cafe events (``"break Ana"``, ``"start"``) applied before visit 2."""

    def key(self) -> Hashable:
        """Every field, as a value that can key a cache (a seeded run depends on nothing else)."""
        return (self.kind, self.baristas, self.dispatcher, self.customers, self.visits, self.seed,
                tuple(self.events))

    def cafe(self, *, staffed: bool = False) -> Cafe:
        """A fresh cafe for these settings; ``staffed`` applies the events now (who is on duty from visit 2)."""
        cafe = Cafe(baristas=self.baristas, kind=self.kind, dispatcher=self.dispatcher,
                    customers=self.customers, visits=self.visits, seed=self.seed)
        for event in self.events if staffed else ():
            cafe.apply(event)
        return cafe

    def describe(self) -> str:
        """The setting in words (the start of the dashboard's status line)."""
        events = ", ".join(self.events) or "none"
        return (f"{self.baristas} {self.kind} baristas, dispatcher={self.dispatcher}, "
                f"events before visit {EVENT_VISIT}: {events}")


@dataclass(frozen=True)
class CafeService:
    """One run of the cafe and the cafe after it (who is on staff, who is on break)."""

    cafe: Cafe
    run: CafeRun


class CafeDashboard(Dashboard[CafeService]):
    """Controls for a simulated cafe and a live plot of which orders came out right."""

    title = "CafeDashboard"
    shows_running = False  # a cafe runs in under a millisecond; saying "running…" first would only delay it

    def __init__(self, settings: CafeSettings | None = None) -> None:
        self.settings = settings or CafeSettings()
        s = self.settings
        self.kind = widgets.Dropdown(options=list(KINDS), value=s.kind, description="baristas")
        self.baristas = widgets.IntSlider(value=s.baristas, min=1, max=6, description="how many",
                                          continuous_update=False)
        self.dispatcher = widgets.Dropdown(options=list(DISPATCHERS), value=s.dispatcher, description="dispatcher")
        wide = widgets.Layout(width="auto")
        self.break_button = widgets.Button(description="send a barista on break", button_style="danger", layout=wide)
        self.start_button = widgets.Button(description="a new barista starts", button_style="success", layout=wide)
        self.reset_button = widgets.Button(description="reset")
        super().__init__(controls=[self.kind, self.baristas, self.dispatcher],
                         buttons=[self.break_button, self.start_button, self.reset_button])
        barista_axes, share_axes = self.figure.subplots(1, 2, width_ratios=[3, 1])
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.9, wspace=0.25)
        self._served = StackedBars(barista_axes, colors=(KEPT_COLOR, LOST_COLOR),
                                   labels=("served right", "served wrong"), ylabel="visits served")
        self._right = ShareBar(share_axes, label="customers\nserved right", color=KEPT_COLOR)
        for control in self.controls:
            control.observe(self.on_setting, names="value")
        self.break_button.on_click(self.on_break)
        self.start_button.on_click(self.on_start)
        self.reset_button.on_click(self.on_reset)
        self.refresh()

    @property
    def run(self) -> CafeRun | None:
        """The run on show."""
        return self.result.run if self.result is not None else None

    @property
    def cafe(self) -> Cafe | None:
        """The cafe of the run on show, after its events."""
        return self.result.cafe if self.result is not None else None

    def on_setting(self, change: Any = None) -> None:
        """A slider or dropdown moved: copy the controls into the settings, drop events that no longer fit, re-run."""
        self.settings.kind = self.kind.value
        self.settings.baristas = self.baristas.value
        self.settings.dispatcher = self.dispatcher.value
        events, self.settings.events = list(self.settings.events), []
        for event in events:  # drops e.g. "break Cleo" after the slider went down to 2 baristas
            on_duty = self.settings.cafe(staffed=True).on_duty()
            if event == "start" or (event.split()[1] in on_duty and len(on_duty) > 1):
                self.settings.events.append(event)
        self.refresh()

    def on_break(self, button: Any = None) -> None:
        """Send the first barista on duty on break before visit 2 (somebody always stays) and re-run."""
        on_duty = self.settings.cafe(staffed=True).on_duty()
        if len(on_duty) > 1:
            self.settings.events.append(f"break {on_duty[0]}")
        self.refresh()

    def on_start(self, button: Any = None) -> None:
        """A new barista starts before visit 2; re-run."""
        self.settings.events.append("start")
        self.refresh()

    def on_reset(self, button: Any = None) -> None:
        """Forget breaks and new baristas and re-run."""
        self.settings.events.clear()
        self.refresh()

    def setting(self) -> Hashable:
        return self.settings.key()

    def describe_setting(self) -> str:
        return self.settings.describe()

    def compute(self) -> CafeService:
        cafe = self.settings.cafe()
        return CafeService(cafe, cafe.run(events={EVENT_VISIT: list(self.settings.events)}))

    def draw(self, result: CafeService) -> tuple[Hashable, list[Artist]]:
        run, cafe = result.run, result.cafe
        labels = [f"{name}\n(break)" if name in cafe.on_break else name for name in cafe.staff]
        right = [sum(v.correct for v in run.visits if v.barista == name) for name in cafe.staff]
        wrong = [sum(not v.correct for v in run.visits if v.barista == name) for name in cafe.staff]
        self._served.show(labels, right, wrong, title=f"{run.kind} baristas, {run.dispatcher} dispatcher")
        self._right.show(run.share_right, title=f"{run.share_right:.0%}")
        return self._served.layout, [*self._served.changing(), *self._right.changing()]

    def describe_result(self, result: CafeService) -> str:
        run = result.run
        return (f"{self.settings.describe()}; customers served right {len(run.right_customers)} of "
                f"{len(run.customers)}, {len(run.visits)} visits")
