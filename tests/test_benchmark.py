"""The benchmark's measurements run and report sane, self-consistent figures (no timing asserts)."""
from __future__ import annotations

from pathlib import Path

import pytest

from labsupport import benchmark
from labsupport import notebook_driver as driver


def test_scenario_rate_counts_a_1000_request_scenario() -> None:
    row = benchmark.scenario_rate("memory", "sticky", repeats=1)
    assert row["requests"] == 1000 and row["requests/s"] > 0


@pytest.mark.parametrize("strategy,policy", [("memory", "sticky"), ("signed-cookie", "round-robin")])
def test_cluster_vs_raw_reports_a_ratio(strategy: str, policy: str) -> None:
    row = benchmark.cluster_vs_raw(strategy, policy, requests=50, repeats=1)
    assert row["raw WSGI (us)"] > 0
    assert row["ratio"] == pytest.approx(row["through cluster (us)"] / row["raw WSGI (us)"], rel=0.05)


def test_kernel_timings_give_each_dashboard_goal_a_row() -> None:
    rows = benchmark.kernel_timings(repeats=2)
    assert [r["measurement"] for r in rows] == ["redraw alone", "re-run 1,000 requests + redraw",
                                                "setting answered from the cache + redraw"]
    assert all(r["ms"] > 0 and r["of"] == 2 for r in rows)
    assert [r["goal"] for r in rows] == ["<= 40 ms", "<= 300 ms", "not counted"]
    assert all(r["met"] == (r["ms"] <= 40) for r in rows[:1])


def test_a_goal_row_reports_the_median_or_the_slowest() -> None:
    assert benchmark.goal_row("x", [30, 10, 20], 25)["ms"] == 20 and benchmark.goal_row("x", [30, 10, 20], 25)["met"]
    slowest = benchmark.goal_row("x", [30, 10, 20], 25, statistic="max")
    assert slowest["ms"] == 30 and slowest["met"] is False
    with pytest.raises(benchmark.BenchmarkError, match="no times"):
        benchmark.goal_row("x", [], 25)


def test_browser_rows_say_why_they_are_missing() -> None:
    rows = benchmark.browser_rows(None, reason="skipped: --quick")
    assert [r["measurement"] for r in rows] == [name for name, _ in benchmark.BROWSER_ROWS]
    assert all(r["ms"] is None and r["note"] == "skipped: --quick" for r in rows)
    assert rows[0]["goal"] == "<= 250 ms" and rows[-1]["goal"] == "not counted"


def test_main_prints_every_table_and_goal(capsys: pytest.CaptureFixture[str]) -> None:
    assert benchmark.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for title in ("requests per second", "raw WSGI", "dashboard and lesson goals"):
        assert title in out
    for name, _ in benchmark.BROWSER_ROWS:
        assert name in out
    assert "redraw alone" in out and "re-run 1,000 requests + redraw" in out and "skipped: --quick" in out
    assert "Run All in the browser" in out and "slowest cell of a simulator lesson" in out


def click(control: str, dashboard: int, *, kind: str = "button", cached: bool = False, ms: float = 100.0,
          feedback: float = 30.0) -> driver.ClickTiming:
    return driver.ClickTiming(lesson="x", dashboard=dashboard, control=control, kind=kind, status="done",
                               cached=cached, running_shown=not cached and dashboard == 0,
                               disabled_while_running=not cached and dashboard == 0, feedback_ms=feedback,
                               picture_ms=ms - 2, status_ms=ms)


def test_browser_rows_summarise_the_clicks_by_goal() -> None:
    clicks = [click("button: add a server", 0, ms=200), click("button: kill a server", 0, ms=300),
              click("button: reset", 0, cached=True, ms=50), click("sessions=jwt", 0, kind="dropdown", ms=600),
              click("sessions=store", 0, kind="dropdown", ms=900, feedback=120),
              click("button: start", 1, ms=60), click("how many ArrowLeft", 1, kind="slider", cached=True, ms=40)]
    rows = {r["measurement"]: r for r in benchmark.browser_rows(clicks)}
    names = [name for name, _ in benchmark.BROWSER_ROWS]
    assert rows[names[0]]["ms"] == 250 and rows[names[0]]["of"] == 2  # the new settings' buttons, not the reset
    assert rows[names[1]]["ms"] == 900 and "sessions=store" in rows[names[1]]["note"]
    assert rows[names[2]]["ms"] == 58 and rows[names[2]]["of"] == 1
    assert rows[names[3]]["ms"] == 120 and rows[names[3]]["met"] is False
    assert rows[names[4]]["of"] == 2 and rows[names[4]]["goal"] == "not counted"
    assert "sessions=store" in repr(benchmark.click_table(clicks))


def test_cell_times_time_every_code_cell_of_a_notebook(tmp_path: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# a title"),
                                               nbformat.v4.new_code_cell("import time\ntime.sleep(0.3)"),
                                               nbformat.v4.new_code_cell("1 + 1")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99_timed.ipynb"
    nbformat.write(notebook, path)
    times = benchmark.cell_times(path)
    assert [(t.index, t.first_line) for t in times] == [(1, "import time"), (2, "1 + 1")]
    assert times[0].ms >= 300 and 0 <= times[1].ms < times[0].ms
    assert nbformat.read(path, as_version=4).cells[1].outputs == []  # timed, not saved


def test_lesson_rows_give_the_slowest_cell_and_say_why_a_row_is_missing() -> None:
    times = [benchmark.CellTime("02_x.ipynb", 3, "slow()", 6200.0), benchmark.CellTime("02_x.ipynb", 4, "quick()", 40.0),
             benchmark.CellTime("07_y.ipynb", 5, "suite()", 3500.0), benchmark.CellTime("08_z.ipynb", 9, "real()", 7000.0)]
    rows = benchmark.lesson_rows(times, None, reason="skipped: --no-browser")
    assert rows[0]["ms"] is None and rows[0]["note"] == "skipped: --no-browser" and rows[0]["goal"] == "<= 15000 ms"
    assert rows[1]["ms"] == 6200.0 and rows[1]["met"] is False and rows[1]["note"] == "02 [3] slow()"
    assert rows[2]["ms"] == 7000.0 and rows[2]["goal"] == "not counted" and rows[2]["note"] == "08 [9] real()"
    assert benchmark.lesson_rows(times[:3], None, reason="skipped: --no-browser")[2]["note"] == "no such lesson"
    run_all = benchmark.lesson_rows(times, (12_000.0, 9_000.0))[0]
    assert run_all["ms"] == 9000.0 and run_all["met"] is True and run_all["note"] == "12.0 s from opening"
    table = str(benchmark.slow_cells_table(times))
    assert "slow()" in table and "suite()" in table and "quick()" not in table
    assert "6240" in table and "3500" in table  # each lesson's total
