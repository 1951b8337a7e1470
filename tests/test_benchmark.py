"""The benchmark's measurements run and report sane, self-consistent figures (no timing asserts)."""
from __future__ import annotations

import pytest

from labsupport import benchmark


def test_scenario_rate_counts_a_1000_request_scenario() -> None:
    row = benchmark.scenario_rate("memory", "sticky", repeats=1)
    assert row["requests"] == 1000 and row["requests/s"] > 0


@pytest.mark.parametrize("strategy,policy", [("memory", "sticky"), ("signed-cookie", "round-robin")])
def test_cluster_vs_raw_reports_a_ratio(strategy: str, policy: str) -> None:
    row = benchmark.cluster_vs_raw(strategy, policy, requests=50, repeats=1)
    assert row["raw WSGI (us)"] > 0
    assert row["ratio"] == pytest.approx(row["through cluster (us)"] / row["raw WSGI (us)"], rel=0.05)


def test_main_prints_three_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert benchmark.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for title in ("requests per second", "raw WSGI", "dashboard interaction"):
        assert title in out
