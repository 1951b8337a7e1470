"""The cluster dashboard: pick servers, policy and sessions, kill or add a server, see it redraw (lesson 02).

The callbacks are plain methods (``on_setting``, ``on_kill``, ``on_add``, ``on_reset``) so tests
call them directly; nbval never fires them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from .balancer import POLICIES
from .plots import KEPT_COLOR, LOST_COLOR, LabFigure
from .scenario import JourneyRun, Lab
from .sessions import STRATEGIES


@dataclass
class DashboardSettings:
    """What the dashboard runs: a fresh seeded lab, ``users`` x ``steps`` requests at most."""

    servers: int = 3
    policy: str = "round-robin"
    sessions: str = "memory"
    users: int = 200
    steps: int = 5
    seed: int = 0
    events: list[str] = field(default_factory=list)
    """Cluster events applied before round 2 (after everyone logged in and made one request)."""

    def run(self) -> JourneyRun:
        """Build the lab and run the journeys."""
        lab = Lab(servers=self.servers, strategy=self.sessions, policy=self.policy,
                  users=self.users, seed=self.seed)
        return lab.run_journeys(self.steps, events={2: list(self.events)})


class DashboardView(widgets.VBox):
    """A dashboard's widget tree, with a short, stable text form for notebooks without a kernel.

    nbval compares that text, so it names the dashboard and its current setting, nothing more.
    """

    def __init__(self, title: str, children: list[widgets.Widget]) -> None:
        super().__init__(children)
        self.title = title
        self.summary_text = ""

    def __repr__(self) -> str:
        return f"{self.title}({self.summary_text})"


class ClusterDashboard:
    """Controls for a simulated cluster and a live plot of what its users experienced."""

    def __init__(self, settings: DashboardSettings | None = None) -> None:
        self.settings = settings or DashboardSettings()
        s = self.settings
        self.servers = widgets.IntSlider(value=s.servers, min=1, max=8, description="servers")
        self.policy = widgets.Dropdown(options=list(POLICIES), value=s.policy, description="balancer")
        self.sessions = widgets.Dropdown(options=list(STRATEGIES), value=s.sessions, description="sessions")
        self.kill_button = widgets.Button(description="kill a server", button_style="danger")
        self.add_button = widgets.Button(description="add a server", button_style="success")
        self.reset_button = widgets.Button(description="reset")
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.figure = LabFigure(figsize=(7.5, 3.2))
        self._served_axes, self._kept_axes = self.figure.subplots(1, 2, width_ratios=[3, 1])
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.9, wspace=0.25)
        for control in (self.servers, self.policy, self.sessions):
            control.observe(self.on_setting, names="value")
        self.kill_button.on_click(self.on_kill)
        self.add_button.on_click(self.on_add)
        self.reset_button.on_click(self.on_reset)
        self.view = DashboardView("ClusterDashboard", [
            widgets.HBox([self.servers, self.policy, self.sessions]),
            widgets.HBox([self.kill_button, self.add_button, self.reset_button]),
            self.status, self.image,
        ])
        self.run: JourneyRun | None = None
        self.refresh()

    def on_setting(self, change: Any = None) -> None:
        """A slider or dropdown moved: copy the controls into the settings and re-run."""
        self.settings.servers = self.servers.value
        self.settings.policy = self.policy.value
        self.settings.sessions = self.sessions.value
        self.refresh()

    def on_kill(self, button: Any = None) -> None:
        """Kill the first server that is still up (after round 1) and re-run."""
        up = self._servers_up()
        if len(up) > 0:
            self.settings.events.append(f"kill {up[0]}")
        self.refresh()

    def on_add(self, button: Any = None) -> None:
        """Add a server (after round 1) and re-run."""
        self.settings.events.append("add_server")
        self.refresh()

    def on_reset(self, button: Any = None) -> None:
        """Forget kills and additions and re-run."""
        self.settings.events.clear()
        self.refresh()

    def _servers_up(self) -> list[str]:
        up = [f"s{i}" for i in range(1, self.settings.servers + 1)]
        added = self.settings.servers
        for event in self.settings.events:
            if event == "add_server":
                added += 1
                up.append(f"s{added}")
            else:
                up.remove(event.split()[1])
        return up

    def refresh(self) -> None:
        """Run the scenario for the current settings and redraw."""
        self.run = self.settings.run()
        self.redraw()

    def redraw(self) -> None:
        """Draw the last run into the figure and the image widget."""
        run = self.run
        assert run is not None
        kept: dict[str, int] = {}
        lost: dict[str, int] = {}
        for r in run.records:
            if r.server:
                target = kept if r.kept else lost
                target[r.server] = target.get(r.server, 0) + 1
        names = sorted(set(kept) | set(lost), key=lambda s: int(s[1:]))
        ax = self._served_axes
        ax.clear()
        ax.bar(names, [kept.get(n, 0) for n in names], color=KEPT_COLOR, label="session kept")
        ax.bar(names, [lost.get(n, 0) for n in names], bottom=[kept.get(n, 0) for n in names],
               color=LOST_COLOR, label="session lost")
        tallest = max((kept.get(n, 0) + lost.get(n, 0) for n in names), default=0)
        ax.set_ylim(0, max(tallest, 1) * 1.3)
        ax.set_ylabel("requests answered")
        ax.set_title(f"{run.strategy} sessions behind {run.policy}")
        ax.legend(frameon=False, loc="upper center", ncols=2)
        ax2 = self._kept_axes
        ax2.clear()
        ax2.bar(["journeys kept"], [run.share_kept], color=KEPT_COLOR)
        ax2.set_ylim(0, 1)
        ax2.set_title(f"{run.share_kept:.0%}")
        self.image.value = self.figure.png(dpi=72)
        events = ", ".join(self.settings.events) or "none"
        text = (f"servers={self.settings.servers}, balancer={run.policy}, sessions={run.strategy}, "
                f"events before round 2: {events}; journeys kept {len(run.kept_users)} of {len(run.users)}, "
                f"{len(run.records)} requests")
        self.view.summary_text = text
        self.status.value = f"<b>{text}</b>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)

    def __repr__(self) -> str:
        return f"ClusterDashboard({self.view.summary_text})"
