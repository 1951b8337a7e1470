"""Lesson 02's measurements: each stands beside its theory, and repeats exactly."""
from __future__ import annotations

import pytest

import labsupport as lab
from labsupport import experiments


def test_journeys_follow_one_over_n_to_the_k_minus_one() -> None:
    table = experiments.journeys_vs_servers(servers=[1, 2, 4], steps=3, users=400)
    assert table.column("servers") == [1, 2, 4]
    for row in table.rows:
        assert row["theory"] == pytest.approx((1 / row["servers"]) ** 2, abs=1e-3)
        for policy in ("round-robin", "random"):
            assert row[policy] == pytest.approx(row["theory"], abs=0.06)
    assert table.rows[0]["round-robin"] == 1.0


def test_measurements_repeat_exactly() -> None:
    first = experiments.journeys_vs_servers(servers=[3], steps=3, users=100)
    again = experiments.journeys_vs_servers(servers=[3], steps=3, users=100)
    assert first.rows == again.rows


def test_one_sticky_server_dying_logs_out_about_one_in_n() -> None:
    table = experiments.sticky_failover(servers=[2, 4], users=400)
    for row in table.rows:
        assert row["lost"] == pytest.approx(1 / row["servers"], abs=0.05)


def test_rolling_restart_logs_out_every_memory_user_and_no_cookie_user() -> None:
    rows = {r["strategy"]: r for r in experiments.rolling_restart_loss(servers=3, users=60).rows}
    assert rows["memory"]["share logged out"] == 1.0
    assert rows["signed-cookie"]["logged out"] == 0


def test_scale_out_remap_matches_theory() -> None:
    rows = {r["policy"]: r for r in experiments.scale_out_remap(before=4, after=5, clients=2000).rows}
    assert rows["hash-modulo"]["theory"] == pytest.approx(0.8)
    assert rows["consistent-hash"]["theory"] == pytest.approx(0.2)
    for row in rows.values():
        assert row["remapped"] == pytest.approx(row["theory"], abs=0.06)


def test_scale_out_logs_out_remapped_memory_users() -> None:
    rows = {r["policy"]: r["lost"] for r in experiments.scale_out_loss(before=4, users=300).rows}
    assert rows["hash-modulo"] > 0.6
    assert 0.05 < rows["consistent-hash"] < 0.35


def test_memory_grows_with_users_only_for_stateful_strategies() -> None:
    table = experiments.memory_per_server(user_counts=(0, 40, 80), servers=4)
    memory, replicated, cookie = (table.column(c) for c in ("memory", "replicated", "signed-cookie"))
    assert memory[0] == replicated[0] == 0
    assert memory[0] < memory[1] < memory[2]
    assert all(r > m for r, m in zip(replicated[1:], memory[1:]))
    assert cookie == [0, 0, 0]


def test_sticky_load_follows_heavy_users_round_robin_spreads_it() -> None:
    rows = {r["policy"]: r for r in experiments.load_imbalance(servers=4, users=40, heavy=2, heavy_steps=40).rows}
    assert rows["sticky"]["busiest / mean"] > 1.2
    assert rows["round-robin"]["busiest / mean"] <= 1.02
    assert sum(rows["sticky"][s] for s in ("s1", "s2", "s3", "s4")) == sum(
        rows["round-robin"][s] for s in ("s1", "s2", "s3", "s4"))


def test_replication_traffic_is_writes_times_peers() -> None:
    table = experiments.replication_traffic(servers=[1, 3, 5], users=20, steps=3)
    for row in table.rows:
        assert row["session writes"] == 60
        assert row["replication messages"] == row["theory"] == 60 * (row["servers"] - 1)
        assert row["journeys kept"] == 20


def test_skewed_lengths() -> None:
    assert experiments.skewed_lengths(5, heavy=2, heavy_steps=9, light_steps=3) == [9, 9, 3, 3, 3]


def test_tables_render_without_addresses() -> None:
    text = repr(experiments.sticky_failover(servers=[2], users=20))
    assert "0x" not in text and "servers" in text
    assert "<table>" in lab.Table([{"a": 1}])._repr_html_()
