"""The cluster dashboard: pick servers, policy and sessions, kill or add a server, see it redraw (lesson 02).

The callbacks are plain methods (``on_setting``, ``on_kill``, ``on_add``, ``on_reset``) so tests
call them directly; nbval never fires them. Caching, the running state and drawing in place
come from ``labsupport.dashboard``.
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
from matplotlib.artist import Artist

from .balancer import POLICIES
from .dashboard import Dashboard, ShareBar, StackedBars, format_share, share_with_error
from .plots import KEPT_COLOR, LOST_COLOR
from .scenario import JourneyRun, Lab
from .sessions import STRATEGIES


@dataclass
class DashboardSettings:
    """What the dashboard runs: a fresh seeded lab, ``users`` x ``steps`` requests at most."""

    servers: int = 3
    policy: str = "round-robin"
    sessions: str = "memory"
    users: int = 100
    steps: int = 5
    seed: int = 0
    events: list[str] = field(default_factory=list)
    """Cluster events applied before round 2 (after everyone logged in and made one request)."""

    def key(self) -> Hashable:
        """Every field, as a value that can key a cache (a seeded run depends on nothing else)."""
        return (self.servers, self.policy, self.sessions, self.users, self.steps, self.seed, tuple(self.events))

    def servers_up(self) -> list[str]:
        """The servers up from round 2, after the events, in the order they joined."""
        up = [f"s{i}" for i in range(1, self.servers + 1)]
        joined = self.servers
        for event in self.events:
            if event == "add_server":
                joined += 1
                up.append(f"s{joined}")
            elif event.split()[1] in up:
                up.remove(event.split()[1])
        return up

    def drop_events_that_no_longer_fit(self) -> None:
        """Forget kills of servers that no longer exist (e.g. ``kill s3`` after the slider went down to 2)."""
        events, self.events = list(self.events), []
        for event in events:
            if event == "add_server" or event.split()[1] in self.servers_up():
                self.events.append(event)

    def describe(self) -> str:
        """The setting in words (the start of the dashboard's status line)."""
        events = ", ".join(self.events) or "none"
        return (f"servers={self.servers}, balancer={self.policy}, sessions={self.sessions}, "
                f"events before round 2: {events}")

    def run(self) -> JourneyRun:
        """Build the lab and run the journeys."""
        lab = Lab(servers=self.servers, strategy=self.sessions, policy=self.policy,
                  users=self.users, seed=self.seed)
        return lab.run_journeys(self.steps, events={2: list(self.events)})


class ClusterDashboard(Dashboard[JourneyRun]):
    """Controls for a simulated cluster and a live plot of what its users experienced."""

    title = "ClusterDashboard"

    def __init__(self, settings: DashboardSettings | None = None) -> None:
        self.settings = settings or DashboardSettings()
        s = self.settings
        self.servers = widgets.IntSlider(value=s.servers, min=1, max=8, description="servers",
                                         continuous_update=False)
        self.policy = widgets.Dropdown(options=list(POLICIES), value=s.policy, description="balancer")
        self.sessions = widgets.Dropdown(options=list(STRATEGIES), value=s.sessions, description="sessions")
        self.kill_button = widgets.Button(description="kill a server", button_style="danger")
        self.add_button = widgets.Button(description="add a server", button_style="success")
        self.reset_button = widgets.Button(description="reset")
        super().__init__(controls=[self.servers, self.policy, self.sessions],
                         buttons=[self.kill_button, self.add_button, self.reset_button])
        served_axes, kept_axes = self.figure.subplots(1, 2, width_ratios=[3, 1])
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.9, wspace=0.25)
        self._served = StackedBars(served_axes, colors=(KEPT_COLOR, LOST_COLOR),
                                   labels=("session kept", "session lost"), ylabel="requests answered")
        self._kept = ShareBar(kept_axes, label="journeys kept", color=KEPT_COLOR)
        for control in self.controls:
            control.observe(self.on_setting, names="value")
        self.kill_button.on_click(self.on_kill)
        self.add_button.on_click(self.on_add)
        self.reset_button.on_click(self.on_reset)
        self.refresh()

    @property
    def run(self) -> JourneyRun | None:
        """The run on show."""
        return self.result

    def on_setting(self, change: Any = None) -> None:
        """A slider or dropdown moved: copy the controls into the settings, drop kills that no longer fit, re-run."""
        self.settings.servers = self.servers.value
        self.settings.policy = self.policy.value
        self.settings.sessions = self.sessions.value
        self.settings.drop_events_that_no_longer_fit()
        self.refresh()

    def on_kill(self, button: Any = None) -> None:
        """Kill the first server that is still up (after round 1) and re-run."""
        up = self.settings.servers_up()
        if up:
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

    def setting(self) -> Hashable:
        return self.settings.key()

    def describe_setting(self) -> str:
        return self.settings.describe()

    def compute(self) -> JourneyRun:
        return self.settings.run()

    def draw(self, result: JourneyRun) -> tuple[Hashable, list[Artist]]:
        kept: dict[str, int] = {}
        lost: dict[str, int] = {}
        for r in result.records:
            if r.server:
                target = kept if r.kept else lost
                target[r.server] = target.get(r.server, 0) + 1
        names = sorted(set(kept) | set(lost), key=lambda s: int(s[1:]))
        self._served.show(names, [kept.get(n, 0) for n in names], [lost.get(n, 0) for n in names],
                          title=f"{result.strategy} sessions behind {result.policy}")
        share, error = share_with_error(len(result.kept_users), len(result.users))
        self._kept.show(share, error=error, title=format_share(share, error))
        return self._served.layout, [*self._served.changing(), *self._kept.changing()]

    def describe_result(self, result: JourneyRun) -> str:
        share, error = share_with_error(len(result.kept_users), len(result.users))
        return (f"{self.settings.describe()}; journeys kept {len(result.kept_users)} of {len(result.users)} "
                f"({format_share(share, error)}), {len(result.records)} requests")
