"""The course in a real JupyterLab driven by headless Chromium (tests/test_browser.py, the benchmark).

``JupyterLabServer`` serves a folder on 127.0.0.1 (always a copy of the notebooks, so autosave
never touches the stored ones); ``LessonPage`` opens one notebook in Chromium, runs it and
collects what went wrong (console errors, stderr, error outputs, widgets that failed to show);
``operate_every_control`` moves every slider, picks every dropdown option and clicks every
button of a dashboard, timing each click in the page with ``performance.now()`` from the click
to the new picture and status line.

It needs Debian's ``chromium`` and Playwright (the ``test`` extra); ``missing()`` says which one
is absent. Playwright is imported only when a page is opened. Never run ``playwright install``:
Chromium comes from the system.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .dashboard import CACHED_TEXT, RUNNING_TEXT
from .errors import LabError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = PACKAGE_ROOT / "notebooks"
DASHBOARD_CODE = re.compile(r"\blab\.((?:cafe_)?widgets|tradeoffs)\.(\w*(?:Dashboard|Explorer))\(")
"""Code that builds one of the course's dashboards, e.g. ``lab.widgets.ClusterDashboard(`` or
``lab.tradeoffs.CostExplorer(``."""

DASHBOARD = ".jp-OutputArea-output .widget-vbox:has(> img.widget-image):has(> .widget-html)"
"""A dashboard on the page: a box holding a picture and a status line (the layout every dashboard shares)."""
PANEL = """(path) => [...(window.jupyterapp?.shell.widgets('main') ?? [])].find(w => w.context?.path === path)"""
KERNEL_IDLE = f"""(path) => ({PANEL})(path)?.sessionContext?.session?.kernel?.status === 'idle'"""
START_RUN_ALL = f"""async (path) => {{
    const app = window.jupyterapp;
    app.shell.activateById(({PANEL})(path).id);
    await app.commands.execute('notebook:clear-all-cell-outputs');
    window.labRunAll = {{done: false, ok: null, error: null}};
    app.commands.execute('notebook:run-all-cells').then(
        ok => {{ window.labRunAll = {{done: true, ok, error: null}}; }},
        error => {{ window.labRunAll = {{done: true, ok: false, error: String(error)}}; }});
}}"""
START_CLICK_RECORD = """(root) => {
    const image = root.querySelector(':scope > img.widget-image');
    const status = root.querySelector(':scope > .widget-html .widget-html-content');
    const controls = [...root.querySelectorAll('button, select, .widget-slider .slider')];
    const record = {clicked: null, picture: null, statuses: [], before: status.innerText, beforeSrc: image.src,
                    controls: controls.length, mostDisabled: 0};
    const mark = () => { if (record.clicked === null) record.clicked = performance.now(); };
    for (const type of ['pointerdown', 'keydown', 'change']) {
        root.addEventListener(type, mark, {capture: true, once: true});
    }
    const observer = new MutationObserver(() => {
        const now = performance.now();
        if (record.picture === null && image.src !== record.beforeSrc) record.picture = now;
        const text = status.innerText;
        const last = record.statuses.length ? record.statuses[record.statuses.length - 1].text : record.before;
        if (text !== last) record.statuses.push({text, at: now});
        if (text.startsWith(RUNNING)) {
            const disabled = controls.filter(c => c.disabled || c.hasAttribute('disabled')).length;
            record.mostDisabled = Math.max(record.mostDisabled, disabled);
        }
    });
    observer.observe(root, {subtree: true, attributes: true, childList: true, characterData: true});
    record.stop = () => observer.disconnect();
    window.labClickRecord = record;
}""".replace("RUNNING", json.dumps(RUNNING_TEXT))
CLICK_ANSWERED = """() => {
    const r = window.labClickRecord;
    const last = r.statuses.length ? r.statuses[r.statuses.length - 1].text : r.before;
    return r.picture !== null && last !== r.before && !last.startsWith(RUNNING);
}""".replace("RUNNING", json.dumps(RUNNING_TEXT))
STOP_CLICK_RECORD = """() => {
    const r = window.labClickRecord;
    r.stop();
    return {clicked: r.clicked, picture: r.picture, statuses: r.statuses, before: r.before,
            controls: r.controls, mostDisabled: r.mostDisabled};
}"""


class DriverError(LabError):
    """The notebook could not be driven: JupyterLab did not start, Run All stopped, a click went unanswered."""


def missing() -> str | None:
    """Why the course cannot be driven in a browser here, or None when it can."""
    if not CHROMIUM.exists():
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if find_spec("playwright") is None:
        return "needs Playwright (pip install the course's test extra)"
    return None


def dashboard_lessons(notebooks: Path = NOTEBOOKS) -> dict[str, list[str]]:
    """Each notebook whose code builds a dashboard (``lab.widgets.`` or ``lab.cafe_widgets.``), with the
    dashboards it builds in order, as ``module.Class`` (e.g. ``"widgets.ClusterDashboard"``)."""
    found = {}
    for path in sorted(notebooks.glob("*.ipynb")):
        built = [f"{module}.{name}" for cell in _cells(path) if cell["cell_type"] == "code"
                 for module, name in DASHBOARD_CODE.findall("".join(cell["source"]))]
        if built:
            found[path.name] = built
    return found


def stored_pictures(notebook: Path) -> int:
    """How many PNG pictures the notebook stores in its outputs."""
    return sum("image/png" in output.get("data", {})
               for cell in _cells(notebook) if cell["cell_type"] == "code" for output in cell["outputs"])


def _cells(notebook: Path) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return cells


def copy_notebooks(root: Path, notebooks: Path = NOTEBOOKS) -> Path:
    """Copy the notebooks to ``root/notebooks`` (served instead of the stored ones); return that folder."""
    if not notebooks.is_dir():
        raise DriverError(f"no notebooks folder at {notebooks}: run from a checkout of the course")
    return Path(shutil.copytree(notebooks, root / "notebooks"))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class JupyterLabServer:
    """A JupyterLab on 127.0.0.1 serving ``root``, with its own settings, no token, no windowing.

    Its kernels import ``labsupport`` from this checkout. Use it as a context manager; ``url``
    is its base URL.
    """

    def __init__(self, root: Path, *, home: Path, kernels: bool = True, startup_seconds: float = 60) -> None:
        self.root, self.home, self.kernels, self.startup_seconds = root, home, kernels, startup_seconds
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> JupyterLabServer:
        settings = self.home / "settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True, exist_ok=True)
        # Render every cell (no windowing), so the page holds all prompts and outputs at once.
        (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(self.home / "config"),
               "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
               "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
               "JUPYTERLAB_SETTINGS_DIR": str(self.home / "settings"),
               "PYTHONPATH": os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")) if p)}
        port = free_port()
        # Without kernels, only a kernel spec that does not exist is allowed: a reader's view.
        no_kernels = [] if self.kernels else ["--KernelSpecManager.allowed_kernelspecs=no-kernel-to-start"]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
             "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", f"--ServerApp.root_dir={self.root}",
             "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", *no_kernels],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=1):
                    return self
            except OSError:
                time.sleep(0.5)
        self.__exit__(None, None, None)
        raise DriverError(f"JupyterLab did not start within {self.startup_seconds:g} s")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __repr__(self) -> str:
        return f"JupyterLabServer(root={self.root.name!r}, running={self._process is not None})"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium from the system, driven by Playwright."""
    reason = missing()
    if reason:
        raise DriverError(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


class LessonPage:
    """One notebook open in JupyterLab, and everything that went wrong on its page."""

    def __init__(self, browser: Browser, server_url: str, notebook: str, *, kernel: bool = True,
                 timeout_ms: float = 60_000) -> None:
        self.notebook = notebook
        self.console_errors: list[str] = []
        self.page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(timeout_ms)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        self.path = f"notebooks/{notebook}"
        self.page.goto(f"{server_url}/lab/tree/{self.path}?reset")  # a fresh workspace: no other notebook opens
        self.page.wait_for_function(f"(path) => !!({PANEL})(path)", arg=self.path)
        if kernel:
            self.page.wait_for_function(KERNEL_IDLE, arg=self.path)
        else:  # a server without kernels asks which one to start: none
            self.page.locator(".jp-Dialog .jp-Dialog-button", has_text="No Kernel").click()
            self.page.wait_for_selector(".jp-Dialog", state="detached")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def run_all(self, *, timeout_ms: float = 300_000) -> None:
        """Clear every output, then Run All and wait until the last cell has run."""
        self.page.evaluate(START_RUN_ALL, self.path)
        self.page.wait_for_function("() => window.labRunAll.done", timeout=timeout_ms)
        outcome = self.page.evaluate("() => window.labRunAll")
        if not outcome["ok"]:
            raise DriverError(f"{self.notebook}: Run All stopped ({outcome['error'] or 'at a failing cell'})")
        self.page.wait_for_function(KERNEL_IDLE, arg=self.path)

    def dashboards(self, expected: int) -> list[Locator]:
        """The dashboards on the page, once ``expected`` of them show."""
        self.page.wait_for_function(f"() => document.querySelectorAll({json.dumps(DASHBOARD)}).length >= {expected}")
        found = self.page.locator(DASHBOARD)
        return [found.nth(i) for i in range(found.count())]

    def shown_pictures(self, expected: int, *, wait_ms: float = 20_000) -> int:
        """How many PNG outputs the page shows, loaded and not empty, once ``expected`` show (or after ``wait_ms``)."""
        count = """() => [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/png"] img')]
            .filter(img => img.complete && img.naturalWidth > 0).length"""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(f"() => ({count})() >= {expected}", timeout=wait_ms)
        except PlaywrightTimeout:
            pass  # report the count that did show
        return int(self.page.evaluate(count))

    def problems(self) -> list[str]:
        """Console errors, stderr and error outputs, and widgets that failed to show."""
        found = list(self.console_errors)
        for mime in ("application/vnd.jupyter.stderr", "application/vnd.jupyter.error"):
            for text in self.page.locator(f".jp-OutputArea-output[data-mime-type='{mime}']").all_inner_texts():
                found.append(f"{mime} output: {text.strip()[:300]}")
        if self.page.get_by_text("Error displaying widget").count():
            found.append("a widget shows 'Error displaying widget'")
        return found

    def close(self) -> None:
        """Shut the notebook's kernel down and close the page."""
        self.page.evaluate(f"async (path) => await ({PANEL})(path)?.sessionContext.shutdown()", self.path)
        self.page.close()

    def __repr__(self) -> str:
        return f"LessonPage({self.notebook!r})"


@dataclass(frozen=True)
class ClickTiming:
    """What one click on a dashboard control did, timed in the page from the click (milliseconds)."""

    lesson: str
    dashboard: int
    control: str
    kind: str
    """``slider``, ``dropdown`` or ``button``."""
    status: str
    cached: bool
    """The status line says the result came from the cache."""
    running_shown: bool
    """"running…" showed before the result."""
    disabled_while_running: bool
    """Every control of the dashboard showed as disabled while "running…" showed."""
    feedback_ms: float
    """Click to the first change of the status line ("running…" or the result)."""
    picture_ms: float
    """Click to the new picture (the image's ``src`` changed)."""
    status_ms: float
    """Click to the final status line."""

    def as_row(self) -> dict[str, Any]:
        """As a plain dict, for JSON and tables."""
        return asdict(self)


@dataclass(frozen=True)
class Action:
    """One thing to do to a dashboard: a label and a Playwright step."""

    control: str
    kind: str
    """``slider``, ``dropdown`` or ``button``."""
    target: str
    """For a slider the key to press, for a dropdown the option, for a button its text."""
    index: int = 0
    """Which slider or dropdown of the dashboard (0 is the first)."""


def every_control(dashboard: Locator) -> list[Action]:
    """Every control of a dashboard, each used once: each slider one step and back, each dropdown
    option in turn and back to the first, then each button in order."""
    actions = []
    sliders = dashboard.locator(".widget-slider")
    for i in range(sliders.count()):
        handle = sliders.nth(i).locator(".noUi-handle")
        name = sliders.nth(i).locator(".widget-label").inner_text()
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        there, back = ("ArrowLeft", "ArrowRight") if at_max else ("ArrowRight", "ArrowLeft")
        actions += [Action(f"{name} {there}", "slider", there, i), Action(f"{name} {back}", "slider", back, i)]
    dropdowns = dashboard.locator(".widget-dropdown")
    for i in range(dropdowns.count()):
        name = dropdowns.nth(i).locator(".widget-label").inner_text()
        select = dropdowns.nth(i).locator("select")
        first = select.input_value()
        options = [o for o in select.locator("option").evaluate_all("os => os.map(o => o.value)") if o != first]
        actions += [Action(f"{name}={option}", "dropdown", option, i) for option in [*options, first]]
    for text in dashboard.locator("button").all_inner_texts():
        actions.append(Action(f"button: {text}", "button", text))
    return actions


def operate(page: Page, dashboard: Locator, action: Action, *, lesson: str, index: int,
            timeout_ms: float = 60_000) -> ClickTiming:
    """Do ``action`` and wait for the new picture and final status line; time it in the page."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    dashboard.evaluate(START_CLICK_RECORD)
    if action.kind == "slider":
        dashboard.locator(".widget-slider").nth(action.index).locator(".noUi-handle").focus()
        page.keyboard.press(action.target)
    elif action.kind == "dropdown":
        dashboard.locator(".widget-dropdown select").nth(action.index).select_option(action.target)
    else:
        dashboard.locator("button", has_text=action.target).click()
    try:
        page.wait_for_function(CLICK_ANSWERED, timeout=timeout_ms)
    except PlaywrightTimeout as error:
        record = page.evaluate(STOP_CLICK_RECORD)
        raise DriverError(f"{lesson} dashboard {index}: {action.control} gave no new picture and status "
                           f"within {timeout_ms / 1000:g} s (status changes: {record['statuses']})") from error
    record = page.evaluate(STOP_CLICK_RECORD)
    clicked, statuses = record["clicked"], record["statuses"]
    final = statuses[-1]["text"]
    return ClickTiming(
        lesson=lesson, dashboard=index, control=action.control, kind=action.kind, status=final,
        cached=CACHED_TEXT in final, running_shown=statuses[0]["text"].startswith(RUNNING_TEXT),
        disabled_while_running=record["controls"] > 0 and record["mostDisabled"] == record["controls"],
        feedback_ms=round(statuses[0]["at"] - clicked, 1), picture_ms=round(record["picture"] - clicked, 1),
        status_ms=round(statuses[-1]["at"] - clicked, 1),
    )


def operate_every_control(page: Page, dashboard: Locator, *, lesson: str, index: int) -> list[ClickTiming]:
    """Use every control of the dashboard once (``every_control``), timing each click."""
    dashboard.scroll_into_view_if_needed()
    return [operate(page, dashboard, action, lesson=lesson, index=index) for action in every_control(dashboard)]


def write_timings(path: Path, timings: Sequence[ClickTiming]) -> None:
    """Save click timings as a JSON list of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([t.as_row() for t in timings], indent=1), encoding="utf-8")
