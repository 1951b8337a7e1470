"""How fast the simulator and its dashboards are, beside their goals: ``python -m labsupport.benchmark``.

Prints simulated requests per second through the cluster, the per-request cost through
client, balancer and server divided by a raw WSGI call to the same Flask app, and the
dashboard goals: redrawing, re-running, and (when Chromium and Playwright are here) clicks in
a real JupyterLab timed in the page from the click to the new picture, a lesson's Run All in
that JupyterLab, and every lesson's cells timed in a fresh kernel. Timings are wall clock,
so they vary between runs and machines; the goals are for a 2-core machine. Nothing here
asserts on a time: a row that cannot be measured says why.
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from . import notebook_driver as driver
from .errors import LabError
from .scenario import Lab
from .sessions import STRATEGIES
from .tables import Table
from .widgets import ClusterDashboard, DashboardSettings

RATIO_TARGET = 2.5
CLICK_GOAL_MS = 250.0
SLOWEST_STRATEGY_GOAL_MS = 1000.0
CAFE_CLICK_GOAL_MS = 100.0
FEEDBACK_GOAL_MS = 100.0
REDRAW_GOAL_MS = 40.0
RERUN_GOAL_MS = 300.0
RUN_ALL_GOAL_MS = 15_000.0
SLOWEST_CELL_GOAL_MS = 5_000.0
SAYS_SO_ABOVE_MS = 3_000.0
"""A cell slower than this says so in the text above it."""
RUN_ALL_LESSON = "02_stateful_server_behind_a_load_balancer.ipynb"
REAL_PROCESS_LESSONS = ("08",)
"""Lessons whose cells start real programs (redis-server, gunicorn, nginx): their seconds are the
programs' start-up and the experiments' own waits, so the cell goal is for the simulator lessons."""
NEW_SETTING_CLICKS = 9
BENCHMARK_NOTEBOOK = "dashboard_clicks.ipynb"


class BenchmarkError(LabError):
    """A measurement went wrong (a request failed), so its figure would mean nothing."""


def best_of(repeats: int, action: Callable[[], Any]) -> float:
    """The fastest of ``repeats`` runs of ``action``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def scenario_rate(strategy: str, policy: str, *, users: int = 200, steps: int = 5, repeats: int = 5) -> dict[str, Any]:
    """Simulated requests per second for a 1,000-request scenario (fresh seeded lab each run)."""
    counts = []

    def run() -> None:
        counts.append(len(Lab(servers=3, strategy=strategy, policy=policy, users=users, seed=0)
                          .run_journeys(steps).records))

    seconds = best_of(repeats, run)
    return {"strategy": strategy, "policy": policy, "requests": counts[0],
            "requests/s": round(counts[0] / seconds)}


def cluster_vs_raw(strategy: str, policy: str, *, requests: int = 2000, repeats: int = 5) -> dict[str, Any]:
    """Cost of ``GET /profile`` through user -> balancer -> server, divided by a raw WSGI call."""
    lab = Lab(servers=3, strategy=strategy, policy=policy, users=1, seed=0)
    user = lab.users[0]
    if user.login().status_code != 200:
        raise BenchmarkError("benchmark user could not log in")
    jar = [user.client.get_cookie(name) for name in ("sid", "session", "lb")]
    cookie = "; ".join(f"{c.key}={c.value}" for c in jar if c is not None)
    server = lab.cluster.server(user.request("GET", "/profile").headers["X-Served-By"])
    environ = EnvironBuilder(path="/profile", headers=[("Cookie", cookie)],
                             environ_base={"REMOTE_ADDR": user.address}).get_environ()

    def through_cluster() -> None:
        for _ in range(requests):
            status = user.request("GET", "/profile").status_code
            if status != 200:
                raise BenchmarkError(f"GET /profile through the cluster answered {status}, not 200")

    def raw_wsgi() -> None:
        status: list[str] = []

        def start_response(s: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
            status.append(s)
            return lambda data: None

        for _ in range(requests):
            body = b"".join(server.app(dict(environ, **{"wsgi.input": io.BytesIO()}), start_response))
            if not body:
                raise BenchmarkError("the raw WSGI call to /profile returned an empty body")
        if not status[-1].startswith("200"):
            raise BenchmarkError(f"the raw WSGI call to /profile answered {status[-1]}, not 200")

    cluster_s = best_of(repeats, through_cluster) / requests
    raw_s = best_of(repeats, raw_wsgi) / requests
    return {"strategy": strategy, "policy": policy, "through cluster (us)": round(cluster_s * 1e6, 1),
            "raw WSGI (us)": round(raw_s * 1e6, 1), "ratio": round(cluster_s / raw_s, 2),
            "target": f"<= {RATIO_TARGET}", "met": cluster_s / raw_s <= RATIO_TARGET}


def goal_row(name: str, times_ms: Sequence[float], goal_ms: float | None, *, statistic: str = "median",
             note: str = "") -> dict[str, Any]:
    """One measurement beside its goal: the median (or slowest, ``statistic="max"``) of ``times_ms``."""
    if not times_ms:
        raise BenchmarkError(f"no times measured for {name!r}")
    value = statistics.median(times_ms) if statistic == "median" else max(times_ms)
    return {"measurement": name, "ms": round(value, 1), "of": len(times_ms), "goal": _goal(goal_ms),
            "met": value <= goal_ms if goal_ms is not None else "", "note": note}


def missing_row(name: str, goal_ms: float | None, reason: str) -> dict[str, Any]:
    """A measurement that could not be taken here, and why."""
    return {"measurement": name, "ms": None, "of": 0, "goal": _goal(goal_ms), "met": "", "note": reason}


def _goal(goal_ms: float | None) -> str:
    return f"<= {goal_ms:g} ms" if goal_ms is not None else "not counted"


def kernel_timings(*, repeats: int = 7) -> list[dict[str, Any]]:
    """The dashboard's own work, without a browser: redraw alone; re-run 1,000 requests and redraw
    (a new seed each time, so the cache never answers); a setting answered from the cache."""
    dashboard = ClusterDashboard(DashboardSettings(policy="sticky", sessions="memory", users=200, steps=5))
    if dashboard.run is None or len(dashboard.run.records) != 1000:
        raise BenchmarkError("the benchmark's dashboard setting should make exactly 1,000 requests")
    redraw, rerun, cached = [], [], []
    for seed in range(1, repeats + 1):
        redraw.append(best_of(1, dashboard.redraw) * 1000)
        dashboard.settings.seed = seed
        rerun.append(best_of(1, dashboard.refresh) * 1000)
        if dashboard.from_cache or len(dashboard.run.records) != 1000:
            raise BenchmarkError(f"seed {seed} should be computed afresh and make 1,000 requests")
    for seed in range(1, repeats + 1):
        dashboard.settings.seed = seed
        cached.append(best_of(1, dashboard.refresh) * 1000)
        if not dashboard.from_cache:
            raise BenchmarkError(f"seed {seed} ran before, so the cache should answer it")
    return [goal_row("redraw alone", redraw, REDRAW_GOAL_MS),
            goal_row("re-run 1,000 requests + redraw", rerun, RERUN_GOAL_MS),
            goal_row("setting answered from the cache + redraw", cached, None)]


BROWSER_ROWS = (
    ("lesson 02 cluster dashboard: click to picture + status, new setting", CLICK_GOAL_MS),
    ("same, each strategy in the sessions dropdown (slowest)", SLOWEST_STRATEGY_GOAL_MS),
    ("lesson 01 cafe dashboard: click to picture, new setting", CAFE_CLICK_GOAL_MS),
    ("visible feedback after any click (slowest)", FEEDBACK_GOAL_MS),
    ("clicks answered from the cache: click to picture", None),
)


def browser_rows(clicks: Sequence[driver.ClickTiming] | None, *, reason: str = "") -> list[dict[str, Any]]:
    """The goal rows for clicks timed in a real JupyterLab (``measure_clicks``), or rows that say
    why they are missing (``clicks`` None)."""
    if clicks is None:
        return [missing_row(name, goal, reason) for name, goal in BROWSER_ROWS]
    cluster = [c for c in clicks if c.dashboard == 0]
    strategies = [c for c in cluster if c.control.startswith("sessions=") and not c.cached]
    cafe = [c for c in clicks if c.dashboard == 1 and not c.cached]
    slowest = max(strategies, key=lambda c: c.status_ms)
    feedback = max(clicks, key=lambda c: c.feedback_ms)
    running = "'running…' and disabled controls came first on every cluster click computed"
    if not all(c.cached or (c.running_shown and c.disabled_while_running) for c in cluster):
        running = "a cluster click computed showed no 'running…' or left a control enabled"
    return [
        goal_row(BROWSER_ROWS[0][0], [c.status_ms for c in cluster if c.kind == "button" and not c.cached],
                 CLICK_GOAL_MS),
        goal_row(BROWSER_ROWS[1][0], [c.status_ms for c in strategies], SLOWEST_STRATEGY_GOAL_MS, statistic="max",
                 note=f"slowest: {slowest.control}"),
        goal_row(BROWSER_ROWS[2][0], [c.picture_ms for c in cafe], CAFE_CLICK_GOAL_MS),
        goal_row(BROWSER_ROWS[3][0], [c.feedback_ms for c in clicks], FEEDBACK_GOAL_MS, statistic="max",
                 note=f"slowest: {feedback.control}; {running}"),
        goal_row(BROWSER_ROWS[4][0], [c.picture_ms for c in clicks if c.cached], None),
    ]


def click_table(clicks: Sequence[driver.ClickTiming]) -> Table:
    """Every click of ``measure_clicks``, in order, with its timings."""
    names = {0: "cluster", 1: "cafe"}
    return Table([{"dashboard": names.get(c.dashboard, c.dashboard), "control": c.control, "cached": c.cached,
                   "running… shown": c.running_shown, "controls disabled": c.disabled_while_running,
                   "feedback (ms)": c.feedback_ms,
                   "picture (ms)": c.picture_ms, "status (ms)": c.status_ms} for c in clicks],
                 title="every click in the browser, timed in the page from the click")


def _clicks_notebook() -> str:
    cells = ["import labsupport as lab", "lab.widgets.ClusterDashboard()", "lab.cafe_widgets.CafeDashboard()"]
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell{i}", "metadata": {}, "outputs": [],
                   "source": source} for i, source in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    })


def measure_clicks() -> list[driver.ClickTiming]:
    """Click the default cluster and cafe dashboards in a real JupyterLab and time every click.

    The cluster dashboard gets ``NEW_SETTING_CLICKS`` clicks that each make a setting not seen
    before (adding and killing servers in turn), a reset (cached), then every strategy of the
    sessions dropdown and back to ``memory`` (cached); the cafe dashboard gets as many new settings
    through all its controls, then a slider step back (cached).
    """
    add, kill = driver.Action("button: add a server", "button", "add a server"), \
        driver.Action("button: kill a server", "button", "kill a server")
    cluster_plan = [add if i % 2 == 0 else kill for i in range(NEW_SETTING_CLICKS)]
    cluster_plan.append(driver.Action("button: reset", "button", "reset"))
    strategies = list(STRATEGIES)  # the sessions dropdown's options, "memory" (the default) first
    cluster_plan += [driver.Action(f"sessions={s}", "dropdown", s, index=1) for s in (*strategies[1:], strategies[0])]
    cafe_plan = [driver.Action("how many ArrowRight", "slider", "ArrowRight"),
                 driver.Action("button: send a barista on break", "button", "send a barista on break"),
                 driver.Action("button: a new barista starts", "button", "a new barista starts"),
                 driver.Action("dispatcher=random", "dropdown", "random", index=1),
                 driver.Action("dispatcher=regular", "dropdown", "regular", index=1),
                 driver.Action("baristas=ticket", "dropdown", "ticket", index=0),
                 driver.Action("baristas=order-book", "dropdown", "order-book", index=0),
                 driver.Action("how many ArrowRight", "slider", "ArrowRight"),
                 driver.Action("button: send a barista on break", "button", "send a barista on break"),
                 driver.Action("how many ArrowLeft", "slider", "ArrowLeft"),
                 driver.Action("how many ArrowRight", "slider", "ArrowRight")]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "root"
        (root / "notebooks").mkdir(parents=True)
        (root / "notebooks" / BENCHMARK_NOTEBOOK).write_text(_clicks_notebook(), encoding="utf-8")
        with driver.JupyterLabServer(root, home=Path(folder) / "home") as server, driver.chromium() as chromium:
            page = driver.LessonPage(chromium, server.url, BENCHMARK_NOTEBOOK)
            page.run_all()
            cluster, cafe = page.dashboards(2)
            clicks = [driver.operate(page.page, cluster, action, lesson=BENCHMARK_NOTEBOOK, index=0)
                      for action in cluster_plan]
            clicks += [driver.operate(page.page, cafe, action, lesson=BENCHMARK_NOTEBOOK, index=1)
                       for action in cafe_plan]
            problems = page.problems()
            page.close()
    if problems:
        raise BenchmarkError(f"the dashboards misbehaved in the browser: {problems}")
    return clicks


def run_all_in_browser(lesson: str = RUN_ALL_LESSON) -> tuple[float, float]:
    """Open ``lesson`` (a copy) in a real JupyterLab and Run All: (ms from opening, ms of Run All alone)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "root"
        driver.copy_notebooks(root)
        with driver.JupyterLabServer(root, home=Path(folder) / "home") as server, driver.chromium() as chromium:
            opened = time.perf_counter()
            page = driver.LessonPage(chromium, server.url, lesson)
            started = time.perf_counter()
            page.run_all()
            finished = time.perf_counter()
            problems = page.problems()
            page.close()
    if problems:
        raise BenchmarkError(f"{lesson} misbehaved in the browser: {problems}")
    return (finished - opened) * 1000, (finished - started) * 1000


@dataclass(frozen=True)
class CellTime:
    """How long one code cell of a lesson ran, in a fresh kernel."""

    lesson: str
    index: int
    first_line: str
    ms: float


def cell_times(notebook: Path) -> list[CellTime]:
    """Run ``notebook`` in a fresh kernel (not saved) and time each code cell from the kernel's own
    timestamps: from the cell's start to its reply."""
    import nbformat
    from nbclient import NotebookClient

    cells = nbformat.read(notebook, as_version=4)
    NotebookClient(cells, timeout=900, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    times = []
    for index, cell in enumerate(cells.cells):
        timing = cell.metadata.get("execution", {})
        if cell.cell_type == "code" and "shell.execute_reply" in timing:
            start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            times.append(CellTime(notebook.name, index, cell.source.splitlines()[0][:60] if cell.source else "",
                                  (end - start).total_seconds() * 1000))
    return times


def lesson_rows(times: Sequence[CellTime] | None, run_all: tuple[float, float] | None, *,
                reason: str = "") -> list[dict[str, Any]]:
    """The goal rows for a whole lesson: Run All in the browser, and the slowest cell, simulator lessons
    and real-process lessons apart."""
    rows = []
    name = f"lesson {RUN_ALL_LESSON[:2]} Run All in the browser"
    if run_all is None:
        rows.append(missing_row(name, RUN_ALL_GOAL_MS, reason or "skipped"))
    else:
        rows.append(goal_row(name, [run_all[1]], RUN_ALL_GOAL_MS, note=f"{run_all[0] / 1000:.1f} s from opening"))
    kinds = (("slowest cell of a simulator lesson", SLOWEST_CELL_GOAL_MS, False),
             ("slowest cell of a lesson on real processes", None, True))
    for name, goal, real in kinds:
        chosen = None if times is None else [t for t in times if (t.lesson[:2] in REAL_PROCESS_LESSONS) == real]
        if not chosen:
            rows.append(missing_row(name, goal, (reason or "skipped") if times is None else "no such lesson"))
            continue
        slowest = max(chosen, key=lambda t: t.ms)
        rows.append(goal_row(name, [t.ms for t in chosen], goal, statistic="max",
                             note=f"{slowest.lesson[:2]} [{slowest.index}] {slowest.first_line}"))
    return rows


def slow_cells_table(times: Sequence[CellTime]) -> Table:
    """Every cell over ``SAYS_SO_ABOVE_MS``, and each lesson's total, slowest first."""
    totals: dict[str, float] = {}
    for t in times:
        totals[t.lesson] = totals.get(t.lesson, 0.0) + t.ms
    rows = [{"lesson": t.lesson[:2], "cell": t.index, "code": t.first_line, "ms": round(t.ms)}
            for t in sorted(times, key=lambda t: -t.ms) if t.ms > SAYS_SO_ABOVE_MS]
    rows += [{"lesson": lesson[:2], "cell": "all", "code": "(every cell, one after another)", "ms": round(total)}
             for lesson, total in sorted(totals.items())]
    return Table(rows, title=f"cells over {SAYS_SO_ABOVE_MS / 1000:g} s (each says so above it), and each lesson's total")


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and no browser (for a smoke run)")
    parser.add_argument("--no-browser", action="store_true", help="skip the clicks in a real JupyterLab")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else 5
    setups = [("memory", "sticky"), ("signed-cookie", "round-robin"), ("replicated", "round-robin")]
    print(Table([scenario_rate(s, p, repeats=repeats) for s, p in setups],
                title="simulated requests per second (200 users x 5 steps, 3 servers)"), end="\n\n")
    print(Table([cluster_vs_raw(s, p, repeats=repeats, requests=500 if args.quick else 2000) for s, p in setups],
                title="per-request cost: through the cluster / raw WSGI call to the same app"), end="\n\n")
    reason = "skipped: --quick" if args.quick else "skipped: --no-browser" if args.no_browser else driver.missing()
    clicks = None if reason else measure_clicks()
    run_all = None if reason else run_all_in_browser()
    times = None if args.quick else [t for lesson in sorted(driver.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
                                     for t in cell_times(lesson)]
    rows = browser_rows(clicks, reason=reason or "") + kernel_timings(repeats=3 if args.quick else 7)
    rows += lesson_rows(times, run_all, reason=reason or "skipped: --quick")
    print(Table(rows, title="dashboard and lesson goals (browser clicks timed in the page; cached clicks not counted)"))
    if clicks:
        print("", click_table(clicks), sep="\n")
    if times:
        print("", slow_cells_table(times), sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
