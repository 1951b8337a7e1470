"""The course in a real JupyterLab, driven by headless Chromium: every lesson with a dashboard.

Each such lesson (any notebook whose code builds a ``lab.widgets.`` or ``lab.cafe_widgets.``
dashboard, so new ones are picked up) is opened, cleared and Run All; every dashboard must show,
and every control is used: each slider step, each dropdown option, each button. Each click must
bring a new picture and status line, showing "running…" first unless the cache answered it.
Nothing may reach the console as an error or a cell's stderr. A screenshot of each dashboard
is saved under pytest's temporary folder, and the click timings go to a JSON file
(``$COURSE_BROWSER_TIMINGS``, default ``browser-timings.json`` there); nothing asserts on time.

Every notebook is also opened by a JupyterLab that has no kernel to start, as a reader without
a kernel would see it: its stored pictures must show.

It needs Debian's ``chromium`` (``.ci/run`` installs it) and Playwright from the lock; without
them it is skipped with the reason. It serves a copy of the notebooks, so JupyterLab's autosave
can never touch the stored ones.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from labsupport import notebook_driver as driver
from labsupport.dashboard import Dashboard

if TYPE_CHECKING:
    from playwright.sync_api import Browser

MISSING = driver.missing()
LESSONS = driver.dashboard_lessons()
CONTROL_KINDS = {"tradeoffs.CostExplorer": {"slider", "dropdown"}}
"""The kinds of control a dashboard has, where it lacks some (the others have all three)."""
NOTEBOOKS = sorted(path.name for path in driver.NOTEBOOKS.glob("*.ipynb"))

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab serving a copy of notebooks/; yields its base URL."""
    root = tmp_path_factory.mktemp("course")
    driver.copy_notebooks(root)
    with driver.JupyterLabServer(root, home=tmp_path_factory.mktemp("jupyter-home")) as server:
        yield server.url


@pytest.fixture(scope="module")
def reader_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab serving a copy of notebooks/ that cannot start any kernel; yields its base URL."""
    root = tmp_path_factory.mktemp("course-read-only")
    driver.copy_notebooks(root)
    with driver.JupyterLabServer(root, home=tmp_path_factory.mktemp("jupyter-home-reader"),
                                  kernels=False) as server:
        yield server.url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with driver.chromium() as running:
        yield running


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def timings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[driver.ClickTiming]]:
    """Collects every click's timing; written to JSON when the module's tests are done."""
    collected: list[driver.ClickTiming] = []
    yield collected
    default = tmp_path_factory.getbasetemp() / "browser-timings.json"
    driver.write_timings(Path(os.environ.get("COURSE_BROWSER_TIMINGS") or default), collected)


def dashboard_class(built: str) -> type[Dashboard[Any]]:
    """The class behind ``"module.Class"`` as the scan names it."""
    module, name = built.split(".")
    found = getattr(importlib.import_module(f"labsupport.{module}"), name)
    assert isinstance(found, type) and issubclass(found, Dashboard), built
    return found


def test_the_scan_finds_every_lesson_with_a_dashboard() -> None:
    assert {"00_start_here.ipynb", "01_the_cafe.ipynb", "02_stateful_server_behind_a_load_balancer.ipynb",
            "03_jwt_client_side_sessions.ipynb"} <= set(LESSONS)
    assert LESSONS["01_the_cafe.ipynb"] == ["cafe_widgets.CafeDashboard"]
    assert LESSONS["07_tradeoffs_and_microservices.ipynb"] == ["tradeoffs.CostExplorer"]
    assert all(dashboard_class(built) for built in sum(LESSONS.values(), []))


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_lesson_runs_all_and_every_control_redraws(lesson: str, jupyterlab: str, chromium: Browser,
                                                   screenshots: Path, timings: list[driver.ClickTiming]) -> None:
    page = driver.LessonPage(chromium, jupyterlab, lesson)
    try:
        page.run_all()
        dashboards = page.dashboards(len(LESSONS[lesson]))
        assert len(dashboards) == len(LESSONS[lesson])
        for index, (dashboard, built) in enumerate(zip(dashboards, LESSONS[lesson])):
            shows_running = dashboard_class(built).shows_running
            clicks = driver.operate_every_control(page.page, dashboard, lesson=lesson, index=index)
            timings.extend(clicks)
            assert {click.kind for click in clicks} == CONTROL_KINDS.get(built, {"slider", "dropdown", "button"})
            for click in clicks:  # each brought a new picture and status line (operate waits for both)
                assert click.running_shown == (shows_running and not click.cached), click
                assert click.disabled_while_running == click.running_shown, click
            assert any(click.cached for click in clicks)  # a slider stepping back, a dropdown back to its first
            dashboard.screenshot(path=screenshots / f"{Path(lesson).stem}-dashboard-{index}.png")
        assert page.problems() == []
    finally:
        page.close()


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_stored_pictures_show_without_a_kernel(notebook: str, reader_lab: str, chromium: Browser) -> None:
    expected = driver.stored_pictures(driver.NOTEBOOKS / notebook)
    page = driver.LessonPage(chromium, reader_lab, notebook, kernel=False)
    try:
        assert page.shown_pictures(expected) == expected
        assert page.problems() == []
    finally:
        page.close()
