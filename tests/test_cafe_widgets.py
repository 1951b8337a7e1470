"""The cafe dashboard's callbacks are plain methods: call them and look at what changed (lesson 01)."""
from __future__ import annotations

import pytest

import labsupport as lab
from labsupport.cafe import Cafe
from labsupport.cafe_widgets import CafeDashboard, CafeService, CafeSettings
from labsupport.dashboard import CACHED_TEXT, RUNNING_TEXT

PNG_MAGIC = b"\x89PNG"
STORED_TEXT = ("CafeDashboard(3 remembering baristas, dispatcher=round-robin, events before visit 2: none; "
               "customers served ri")
"""The text form lesson 01 stores (ipywidgets shows its first 110 characters): it must not drift."""


@pytest.fixture
def dashboard() -> CafeDashboard:
    return CafeDashboard()


def test_first_draw_shows_the_default_setting(dashboard: CafeDashboard) -> None:
    run = dashboard.run
    assert run is not None and (run.kind, run.dispatcher, run.baristas) == ("remembering", "round-robin", 3)
    assert run == Cafe(baristas=3, customers=12, visits=3, seed=1).run()  # the lesson's busy cafe
    assert bytes(dashboard.image.value).startswith(PNG_MAGIC)
    assert f"customers served right {len(run.right_customers)} of 12" in dashboard.status.value
    assert repr(dashboard.view) == repr(dashboard)
    assert repr(dashboard)[:110] == STORED_TEXT
    assert "0x" not in repr(dashboard)
    assert not dashboard.from_cache and CACHED_TEXT not in dashboard.status.value
    assert lab.cafe_widgets.CafeDashboard is CafeDashboard


def test_same_settings_same_run_and_picture() -> None:
    first, second = CafeDashboard(), CafeDashboard()
    assert first.run == second.run
    assert first.image.value == second.image.value


def test_moving_a_control_reruns_with_it(dashboard: CafeDashboard) -> None:
    before = dashboard.image.value
    assert dashboard.run is not None and dashboard.run.share_right < 1
    dashboard.kind.value = "ticket"  # observe() fires on_setting
    assert dashboard.settings.kind == "ticket"
    assert dashboard.run.kind == "ticket" and dashboard.run.share_right == 1.0
    assert dashboard.image.value != before
    assert "3 ticket baristas" in dashboard.status.value


def test_on_setting_copies_every_control(dashboard: CafeDashboard) -> None:
    dashboard.baristas.value = 1
    dashboard.dispatcher.value = "random"
    dashboard.on_setting()
    assert (dashboard.settings.baristas, dashboard.settings.dispatcher) == (1, "random")
    assert dashboard.run is not None and dashboard.run.share_right == 1.0  # one barista remembers everything
    assert {v.barista for v in dashboard.run.visits} == {"Ana"}


@pytest.mark.parametrize("kind", ["ticket", "order-book"])
def test_a_break_loses_nothing_when_no_barista_holds_the_order(kind: str) -> None:
    dashboard = CafeDashboard(CafeSettings(kind=kind, dispatcher="regular"))
    dashboard.on_break()
    assert dashboard.settings.events == ["break Ana"]
    assert dashboard.run is not None and dashboard.run.share_right == 1.0
    assert "Ana" not in {v.barista for v in dashboard.run.visits if v.visit > 1}
    assert "events before visit 2: break Ana" in dashboard.status.value


def test_a_break_loses_the_remembering_baristas_orders() -> None:
    dashboard = CafeDashboard(CafeSettings(dispatcher="regular"))
    assert dashboard.run is not None and dashboard.run.share_right == 1.0
    before = dashboard.image.value
    dashboard.on_break()
    run = dashboard.run
    assert 0 < run.share_right < 1
    lost = {v.customer for v in run.visits if not v.correct}
    assert lost == {v.customer for v in run.visits if v.visit == 1 and v.barista == "Ana"}
    assert dashboard.image.value != before and bytes(dashboard.image.value).startswith(PNG_MAGIC)
    assert f"served right {len(run.right_customers)} of 12" in dashboard.status.value


def test_break_then_start_then_reset(dashboard: CafeDashboard) -> None:
    full = dashboard.run
    dashboard.on_break()
    dashboard.on_break()
    assert dashboard.settings.events == ["break Ana", "break Ben"]
    dashboard.on_break()  # Cleo is the last one on duty: she stays
    assert dashboard.settings.events == ["break Ana", "break Ben"]
    assert dashboard.run is not None and {v.barista for v in dashboard.run.visits if v.visit > 1} == {"Cleo"}
    dashboard.on_start()
    assert dashboard.settings.events[-1] == "start"
    assert "Dev" in {v.barista for v in dashboard.run.visits}
    assert "break Ana, break Ben, start" in dashboard.status.value
    dashboard.on_reset()
    assert dashboard.settings.events == []
    assert dashboard.run == full


def test_a_new_barista_gets_no_regulars(dashboard: CafeDashboard) -> None:
    dashboard.dispatcher.value = "regular"
    dashboard.on_start()
    assert dashboard.run is not None and dashboard.run.share_right == 1.0
    assert "Dev" not in {v.barista for v in dashboard.run.visits}  # sticky: the regulars stay with their barista
    dashboard.dispatcher.value = "round-robin"
    assert "Dev" in {v.barista for v in dashboard.run.visits}


def test_fewer_baristas_drop_breaks_that_no_longer_fit(dashboard: CafeDashboard) -> None:
    dashboard.on_break()
    dashboard.on_break()
    dashboard.baristas.value = 2  # Ana and Ben remain: Ben would be the last on duty, so his break goes
    assert dashboard.settings.events == ["break Ana"]
    dashboard.on_start()
    dashboard.baristas.value = 1  # Ana alone cannot go on break; the new barista still starts
    assert dashboard.settings.events == ["start"]
    assert dashboard.run is not None and dashboard.run.share_right < 1  # Ben (new) has no notes


def test_a_setting_seen_before_comes_from_the_cache(dashboard: CafeDashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[tuple[str, ...]] = []
    compute = dashboard.compute

    def counted() -> CafeService:
        computed.append(tuple(dashboard.settings.events))
        return compute()

    monkeypatch.setattr(dashboard, "compute", counted)
    first, first_picture = dashboard.run, dashboard.image.value
    dashboard.on_break()
    dashboard.on_reset()  # back to the first setting
    assert computed == [("break Ana",)]
    assert dashboard.from_cache and CACHED_TEXT in dashboard.status.value
    assert dashboard.run == first == CafeSettings().cafe().run()  # the same as computing it again
    assert dashboard.image.value == first_picture
    assert dashboard.cafe is not None and dashboard.cafe.on_break == set()
    dashboard.on_break()  # seen before too
    assert computed == [("break Ana",)] and dashboard.from_cache
    assert dashboard.cafe is not None and dashboard.cafe.on_break == {"Ana"}  # labels come from the cached cafe


def test_the_cafe_answers_without_a_running_state(dashboard: CafeDashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cafe runs in well under a millisecond: its answer is the feedback, so it never says "running…"."""
    seen: list[tuple[str, list[bool]]] = []
    compute = dashboard.compute

    def watched() -> CafeService:
        seen.append((dashboard.status.value, [c.disabled for c in (*dashboard.controls, *dashboard.buttons)]))
        return compute()

    monkeypatch.setattr(dashboard, "compute", watched)
    dashboard.start_button.click()
    (status, disabled), = seen
    assert not CafeDashboard.shows_running
    assert RUNNING_TEXT not in status and disabled == [False] * 6
    assert "events before visit 2: start" in dashboard.status.value


def test_every_button_is_wired_to_its_callback(dashboard: CafeDashboard) -> None:
    dashboard.break_button.click()
    dashboard.start_button.click()
    assert dashboard.settings.events == ["break Ana", "start"]
    dashboard.reset_button.click()
    assert dashboard.settings.events == [] and dashboard.from_cache


def test_redrawing_changes_the_same_artists(dashboard: CafeDashboard) -> None:
    axes = list(dashboard.figure.axes)
    for baristas in (6, 2, 6, 3):
        dashboard.baristas.value = baristas
    assert dashboard.figure.axes == axes and len(axes[0].patches) == 2 * 6
    assert [t.get_text() for t in axes[0].texts if t.get_visible()] == ["Ana", "Ben", "Cleo"]
