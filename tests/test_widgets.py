"""The cluster dashboard's callbacks are plain methods: call them and look at what changed (lessons 00, 02, 03)."""
from __future__ import annotations

import io
import sys
from collections.abc import Hashable

import pytest
from matplotlib.artist import Artist

from labsupport.dashboard import CACHED_TEXT, RUNNING_TEXT
from labsupport.errors import LabError
from labsupport.scenario import JourneyRun
from labsupport.widgets import ClusterDashboard, DashboardSettings

PNG_MAGIC = b"\x89PNG"
STORED_TEXT = ("ClusterDashboard(servers=3, balancer=round-robin, sessions=memory, events before round 2: none; "
               "journeys kept ")
"""The text form the notebooks store (ipywidgets shows its first 110 characters): it must not drift."""


@pytest.fixture
def dashboard() -> ClusterDashboard:
    return ClusterDashboard(DashboardSettings(users=40, steps=3))


def count_computes(dashboard: ClusterDashboard, monkeypatch: pytest.MonkeyPatch) -> list[DashboardSettings]:
    """Record a copy of the settings each time the dashboard computes (rather than using its cache)."""
    computed: list[DashboardSettings] = []
    compute = dashboard.compute

    def counted() -> JourneyRun:
        computed.append(DashboardSettings(**{**vars(dashboard.settings), "events": list(dashboard.settings.events)}))
        return compute()

    monkeypatch.setattr(dashboard, "compute", counted)
    return computed


def test_first_draw_shows_the_default_setting() -> None:
    dashboard = ClusterDashboard()
    run = dashboard.run
    assert run is not None and (run.strategy, run.policy, len(run.users)) == ("memory", "round-robin", 100)
    assert bytes(dashboard.image.value).startswith(PNG_MAGIC)
    assert repr(dashboard) == repr(dashboard.view) and repr(dashboard)[:110] == STORED_TEXT
    assert f"journeys kept {len(run.kept_users)} of 100 (" in dashboard.status.value
    assert not dashboard.from_cache and CACHED_TEXT not in dashboard.status.value
    assert not any(control.disabled for control in (*dashboard.controls, *dashboard.buttons))


def test_the_share_kept_carries_its_sampling_error(dashboard: ClusterDashboard) -> None:
    dashboard.policy.value = "sticky"
    dashboard.on_kill()
    run = dashboard.run
    assert run is not None and 0 < run.share_kept < 1
    adjusted = (len(run.kept_users) + 2) / 44  # Agresti-Coull: two more kept and two more lost of 40
    error = (adjusted * (1 - adjusted) / 44) ** 0.5
    assert error > 0.02 and f"({run.share_kept:.0%} ± {error:.0%})" in dashboard.status.value
    assert dashboard.figure.axes[1].get_title() == f"{run.share_kept:.0%} ± {error:.0%}"


def test_the_servers_slider_reruns_with_it(dashboard: ClusterDashboard) -> None:
    before = dashboard.image.value
    dashboard.servers.value = 5  # observe() fires on_setting
    assert dashboard.settings.servers == 5
    assert dashboard.run is not None and set(dashboard.run.served()) == {"s1", "s2", "s3", "s4", "s5"}
    assert dashboard.image.value != before and "servers=5" in dashboard.status.value


def test_the_balancer_dropdown_reruns_with_it(dashboard: ClusterDashboard) -> None:
    dashboard.policy.value = "sticky"
    assert dashboard.settings.policy == "sticky"
    assert dashboard.run is not None and dashboard.run.policy == "sticky" and dashboard.run.share_kept == 1.0
    assert dashboard.figure.axes[0].get_title() == "memory sessions behind sticky"


def test_the_sessions_dropdown_reruns_with_it(dashboard: ClusterDashboard) -> None:
    before = dashboard.image.value
    dashboard.sessions.value = "signed-cookie"
    assert dashboard.settings.sessions == "signed-cookie"
    assert dashboard.run is not None and dashboard.run.share_kept == 1.0
    assert dashboard.image.value != before and "sessions=signed-cookie" in dashboard.status.value


def test_on_setting_copies_every_control(dashboard: ClusterDashboard) -> None:
    dashboard.servers.value = 1
    dashboard.policy.value = "sticky"
    dashboard.on_setting()
    assert (dashboard.settings.servers, dashboard.settings.policy) == (1, "sticky")
    assert dashboard.run is not None and dashboard.run.share_kept == 1.0
    assert set(dashboard.run.served()) == {"s1"}


def test_the_buttons_kill_then_add_then_reset(dashboard: ClusterDashboard) -> None:
    dashboard.policy.value = "sticky"
    full = dashboard.run
    assert full is not None and full.share_kept == 1.0
    dashboard.kill_button.click()  # the button's handler is on_kill
    assert dashboard.settings.events == ["kill s1"]
    assert dashboard.run is not None and 0 < dashboard.run.share_kept < 1
    dashboard.on_kill(None)
    assert dashboard.settings.events == ["kill s1", "kill s2"]
    dashboard.add_button.click()
    assert dashboard.settings.events[-1] == "add_server"
    assert "s4" in dashboard.run.served()
    assert "kill s1, kill s2, add_server" in dashboard.status.value
    dashboard.reset_button.click()
    assert dashboard.settings.events == []
    assert dashboard.run.records == full.records


def test_killing_the_last_server_leaves_users_with_503() -> None:
    dashboard = ClusterDashboard(DashboardSettings(servers=1, policy="sticky", users=10, steps=3))
    dashboard.on_kill()
    dashboard.on_kill()  # nothing left to kill: no error, no event
    assert dashboard.settings.events == ["kill s1"]
    assert dashboard.run is not None
    assert {r.status for r in dashboard.run.records if r.step == 2} == {503}


def test_fewer_servers_drop_kills_that_no_longer_fit(dashboard: ClusterDashboard) -> None:
    for _ in range(3):
        dashboard.on_kill()
    dashboard.on_add()
    assert dashboard.settings.events == ["kill s1", "kill s2", "kill s3", "add_server"]
    dashboard.servers.value = 2  # s3 no longer exists: its kill goes, the added server stays
    assert dashboard.settings.events == ["kill s1", "kill s2", "add_server"]
    assert dashboard.settings.servers_up() == ["s3"]  # the added server is the third
    assert dashboard.run is not None and {r.server for r in dashboard.run.records if r.step == 2} == {"s3"}


def test_a_setting_seen_before_comes_from_the_cache(dashboard: ClusterDashboard,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    computed = count_computes(dashboard, monkeypatch)
    first_picture = dashboard.image.value
    dashboard.sessions.value = "jwt"
    dashboard.sessions.value = "memory"  # back to the first setting
    assert [s.sessions for s in computed] == ["jwt"]
    assert dashboard.from_cache and CACHED_TEXT in dashboard.status.value
    assert dashboard.run == DashboardSettings(users=40, steps=3).run()  # the same as computing it again
    assert dashboard.image.value == first_picture
    assert CACHED_TEXT not in repr(dashboard)  # the text form names the setting and result only
    dashboard.on_kill()
    assert not dashboard.from_cache and len(computed) == 2


def test_the_cache_key_is_the_whole_setting(dashboard: ClusterDashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    computed = count_computes(dashboard, monkeypatch)
    dashboard.on_kill()
    dashboard.on_reset()
    dashboard.settings.seed = 7  # a field no control shows still keys the cache
    dashboard.refresh()
    dashboard.settings.seed = 0
    dashboard.refresh()
    assert [(s.events, s.seed) for s in computed] == [(["kill s1"], 0), ([], 7)]
    assert dashboard.from_cache


def test_running_shows_before_the_computation_and_disables_every_control(
        dashboard: ClusterDashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, list[bool]]] = []
    compute = dashboard.compute

    def watched() -> JourneyRun:
        seen.append((dashboard.status.value, [c.disabled for c in (*dashboard.controls, *dashboard.buttons)]))
        return compute()

    monkeypatch.setattr(dashboard, "compute", watched)
    dashboard.add_button.click()
    (status, disabled), = seen
    assert RUNNING_TEXT in status and "events before round 2: add_server" in status
    assert disabled == [True] * 6
    assert not any(c.disabled for c in (*dashboard.controls, *dashboard.buttons))
    assert RUNNING_TEXT not in dashboard.status.value and "journeys kept" in dashboard.status.value
    dashboard.on_reset()  # answered by the cache: no running state
    assert len(seen) == 1


class FlushLog(io.StringIO):
    """A stand-in for the kernel's stdout: records what the dashboard showed at each flush."""

    def __init__(self, dashboard: ClusterDashboard, log: list[str]) -> None:
        super().__init__()
        self.dashboard, self.log = dashboard, log

    def flush(self) -> None:
        self.log.append(f"flush: {self.dashboard.status.value}")


def test_running_and_the_status_are_sent_before_computing_and_drawing(
        dashboard: ClusterDashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    compute, draw = dashboard.compute, dashboard.draw
    monkeypatch.setattr(sys, "stdout", FlushLog(dashboard, log))

    def logged_compute() -> JourneyRun:
        log.append("compute")
        return compute()

    def logged_draw(result: JourneyRun) -> tuple[Hashable, list[Artist]]:
        log.append("draw")
        return draw(result)

    monkeypatch.setattr(dashboard, "compute", logged_compute)
    monkeypatch.setattr(dashboard, "draw", logged_draw)
    dashboard.on_kill()
    assert [entry.split(":")[0] for entry in log] == ["flush", "compute", "flush", "draw"]
    assert log[0].startswith(f"flush: <i>{RUNNING_TEXT}") and "journeys kept" in log[2]


def test_a_failed_computation_leaves_the_controls_usable(dashboard: ClusterDashboard,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> JourneyRun:
        raise LabError("the lab broke")

    monkeypatch.setattr(dashboard, "compute", broken)
    with pytest.raises(LabError, match="the lab broke"):
        dashboard.on_add()
    assert not any(c.disabled for c in (*dashboard.controls, *dashboard.buttons))


def test_redrawing_changes_the_same_artists(dashboard: ClusterDashboard) -> None:
    axes = list(dashboard.figure.axes)
    for servers in (5, 2, 5, 3):
        dashboard.servers.value = servers
    assert dashboard.figure.axes == axes
    assert len(axes[0].patches) == 2 * 5  # one kept and one lost bar per server slot, reused
    assert dashboard.figure.backgrounds_drawn <= 3  # one full draw per y limit, not per click
