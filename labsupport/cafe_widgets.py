"""The cafe dashboard: barista kind, how many, dispatcher; a break or a new barista; it redraws (lesson 01).

Like lesson 02's cluster dashboard, each change re-runs a fresh seeded cafe. The callbacks are plain
methods (``on_setting``, ``on_break``, ``on_start``, ``on_reset``): tests call them, nbval never fires them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from .cafe import DISPATCHERS, KINDS, Cafe, CafeRun
from .plots import KEPT_COLOR, LOST_COLOR, LabFigure
from .widgets import DashboardView

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

    def cafe(self, *, staffed: bool = False) -> Cafe:
        """A fresh cafe for these settings; ``staffed`` applies the events now (who is on duty from visit 2)."""
        cafe = Cafe(baristas=self.baristas, kind=self.kind, dispatcher=self.dispatcher,
                    customers=self.customers, visits=self.visits, seed=self.seed)
        for event in self.events if staffed else ():
            cafe.apply(event)
        return cafe


class CafeDashboard:
    """Controls for a simulated cafe and a live plot of which orders came out right."""

    def __init__(self, settings: CafeSettings | None = None) -> None:
        self.settings = settings or CafeSettings()
        s = self.settings
        self.kind = widgets.Dropdown(options=list(KINDS), value=s.kind, description="baristas")
        self.baristas = widgets.IntSlider(value=s.baristas, min=1, max=6, description="how many")
        self.dispatcher = widgets.Dropdown(options=list(DISPATCHERS), value=s.dispatcher, description="dispatcher")
        wide = widgets.Layout(width="auto")
        self.break_button = widgets.Button(description="send a barista on break", button_style="danger", layout=wide)
        self.start_button = widgets.Button(description="a new barista starts", button_style="success", layout=wide)
        self.reset_button = widgets.Button(description="reset")
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.figure = LabFigure(figsize=(7.5, 3.2))
        self._barista_axes, self._share_axes = self.figure.subplots(1, 2, width_ratios=[3, 1])
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.9, wspace=0.25)
        for control in (self.kind, self.baristas, self.dispatcher):
            control.observe(self.on_setting, names="value")
        self.break_button.on_click(self.on_break)
        self.start_button.on_click(self.on_start)
        self.reset_button.on_click(self.on_reset)
        self.view = DashboardView("CafeDashboard", [
            widgets.HBox([self.kind, self.baristas, self.dispatcher]),
            widgets.HBox([self.break_button, self.start_button, self.reset_button]),
            self.status, self.image,
        ])
        self.cafe: Cafe | None = None
        self.run: CafeRun | None = None
        self.refresh()

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

    def refresh(self) -> None:
        """Run the cafe for the current settings and redraw."""
        self.cafe = self.settings.cafe()
        self.run = self.cafe.run(events={EVENT_VISIT: list(self.settings.events)})
        self.redraw()

    def redraw(self) -> None:
        """Draw the last run into the figure and the image widget."""
        run, cafe = self.run, self.cafe
        assert run is not None and cafe is not None
        labels = [f"{name}\n(break)" if name in cafe.on_break else name for name in cafe.staff]
        right = [sum(v.correct for v in run.visits if v.barista == name) for name in cafe.staff]
        wrong = [sum(not v.correct for v in run.visits if v.barista == name) for name in cafe.staff]
        ax = self._barista_axes
        ax.clear()
        ax.bar(labels, right, color=KEPT_COLOR, label="served right")
        ax.bar(labels, wrong, bottom=right, color=LOST_COLOR, label="served wrong")
        ax.set_ylim(0, max([r + w for r, w in zip(right, wrong)] + [1]) * 1.3)
        ax.set_ylabel("visits served")
        ax.set_title(f"{run.kind} baristas, {run.dispatcher} dispatcher")
        ax.legend(frameon=False, loc="upper center", ncols=2)
        ax2 = self._share_axes
        ax2.clear()
        ax2.bar(["customers\nserved right"], [run.share_right], color=KEPT_COLOR)
        ax2.set_ylim(0, 1)
        ax2.set_title(f"{run.share_right:.0%}")
        self.image.value = self.figure.png(dpi=72)
        events = ", ".join(self.settings.events) or "none"
        text = (f"{run.baristas} {run.kind} baristas, dispatcher={run.dispatcher}, events before visit "
                f"{EVENT_VISIT}: {events}; customers served right {len(run.right_customers)} of "
                f"{len(run.customers)}, {len(run.visits)} visits")
        self.view.summary_text = text
        self.status.value = f"<b>{text}</b>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)

    def __repr__(self) -> str:
        return f"CafeDashboard({self.view.summary_text})"
