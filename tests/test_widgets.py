"""The dashboard's callbacks are plain methods: call them and look at what changed."""
from __future__ import annotations

import pytest

from labsupport.widgets import ClusterDashboard, DashboardSettings

PNG_MAGIC = b"\x89PNG"


@pytest.fixture
def dashboard() -> ClusterDashboard:
    return ClusterDashboard(DashboardSettings(users=40, steps=3))


def test_first_draw_shows_the_default_setting(dashboard: ClusterDashboard) -> None:
    assert dashboard.run is not None
    assert dashboard.run.strategy == "memory" and dashboard.run.policy == "round-robin"
    assert bytes(dashboard.image.value).startswith(PNG_MAGIC)
    assert "journeys kept" in dashboard.status.value
    assert repr(dashboard.view).startswith("ClusterDashboard(servers=3")


def test_moving_a_control_reruns_with_it(dashboard: ClusterDashboard) -> None:
    before = dashboard.image.value
    dashboard.sessions.value = "signed-cookie"  # observe() fires on_setting
    assert dashboard.settings.sessions == "signed-cookie"
    assert dashboard.run is not None and dashboard.run.share_kept == 1.0
    assert dashboard.image.value != before


def test_on_setting_copies_every_control(dashboard: ClusterDashboard) -> None:
    dashboard.servers.value = 1
    dashboard.policy.value = "sticky"
    dashboard.on_setting()
    assert (dashboard.settings.servers, dashboard.settings.policy) == (1, "sticky")
    assert dashboard.run is not None and dashboard.run.share_kept == 1.0
    assert set(dashboard.run.served()) == {"s1"}


def test_kill_then_add_then_reset(dashboard: ClusterDashboard) -> None:
    dashboard.policy.value = "sticky"
    full = dashboard.run
    assert full is not None and full.share_kept == 1.0
    dashboard.on_kill(None)
    assert dashboard.settings.events == ["kill s1"]
    assert dashboard.run is not None and 0 < dashboard.run.share_kept < 1
    dashboard.on_kill(None)
    assert dashboard.settings.events == ["kill s1", "kill s2"]
    dashboard.on_add(None)
    assert dashboard.settings.events[-1] == "add_server"
    assert "s4" in dashboard.run.served()
    assert "kill s1, kill s2, add_server" in dashboard.status.value
    dashboard.on_reset(None)
    assert dashboard.settings.events == []
    assert dashboard.run.records == full.records


def test_killing_the_last_server_leaves_users_with_503() -> None:
    dashboard = ClusterDashboard(DashboardSettings(servers=1, policy="sticky", users=10, steps=3))
    dashboard.on_kill()
    dashboard.on_kill()  # nothing left to kill: no error, no event
    assert dashboard.settings.events == ["kill s1"]
    assert dashboard.run is not None
    assert {r.status for r in dashboard.run.records if r.step == 2} == {503}
