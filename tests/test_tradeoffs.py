"""Lesson 07's measurement suite: each measure counts what it says, and the verdicts follow the numbers."""
from __future__ import annotations

import dataclasses

import pytest

import labsupport as lab
from labsupport.exercises import lesson07
from labsupport.sessions import InMemorySessions, JWTSessions, SessionStrategy, SignedCookieSessions
from labsupport.sessions.jwt_stateless import REFRESH_LIFETIME
from labsupport.tradeoffs import suite as measures
from labsupport.tradeoffs import verdicts
from labsupport.tradeoffs.setups import setup_named


@pytest.fixture(scope="module")
def suite() -> lab.tradeoffs.Suite:
    return lesson07.measured()


def test_the_counting_store_counts_one_round_trip_per_command_and_per_pipeline() -> None:
    store = lab.tradeoffs.CountingStore(prefix="t07")
    client = store.connect()
    start = store.round_trips
    client.set(store.key("a"), "1", ex=60)
    client.mget(store.key("a"), store.key("b"))
    with client.pipeline(transaction=True) as pipe:
        pipe.set(store.key("b"), "2")
        pipe.delete(store.key("a"))
        pipe.execute()
    assert store.round_trips - start == 3


def test_session_hooks_count_what_a_strategy_fills_in() -> None:
    assert lab.tradeoffs.session_hooks(SignedCookieSessions) == ("end", "load", "save")
    assert lab.tradeoffs.session_hooks(JWTSessions) == ("end", "load", "resume", "save")
    assert "check_revocation" in lab.tradeoffs.session_hooks(lab.RevocableJWTSessions)
    assert lab.tradeoffs.session_hooks(InMemorySessions) == ("end", "load", "save")  # its memory meters left out
    assert set(lab.tradeoffs.session_hooks(lab.ReplicatedMemorySessions)) > set(
        lab.tradeoffs.session_hooks(InMemorySessions))

    class Minimal(SessionStrategy):
        name = "minimal"

        def load(self, app, request):  # type: ignore[no-untyped-def]
            return None

        def save(self, app, session, request, response):  # type: ignore[no-untyped-def]
            return None

        def helper(self) -> int:  # its own helper: not a hook
            return 1

    assert lab.tradeoffs.session_hooks(Minimal) == ("load", "save")


def test_request_price_counts_bytes_round_trips_and_messages() -> None:
    store = measures.request_price(setup_named("store"))
    assert (store.round_trips_read, store.round_trips_write, store.replication_messages_write) == (1, 2, 0)
    assert store.bytes_full_cart == store.bytes_empty_cart  # an id, whatever the cart holds
    jwt = measures.request_price(setup_named("jwt"))
    assert jwt.round_trips_read == 0 and jwt.bytes_full_cart > jwt.bytes_empty_cart > 4 * store.bytes_full_cart
    sticky = measures.request_price(setup_named("memory+sticky"))
    plain = measures.request_price(setup_named("memory"))
    assert sticky.bytes_full_cart == plain.bytes_full_cart + len("; lb=s1")  # the balancer's pin rides along
    assert measures.request_price(setup_named("replicated")).replication_messages_write == measures.SERVERS - 1


@pytest.mark.parametrize(("name", "seconds"), [("jwt", REFRESH_LIFETIME), ("signed-cookie", 30 * 60 + 1),
                                               ("store", 0), ("jwt-revocable", 0), ("memory+sticky", 0)])
def test_revocation_seconds(name: str, seconds: int) -> None:
    assert lab.tradeoffs.revocation_seconds(setup_named(name)) == seconds


def test_the_probe_is_exact_at_the_edge_and_plain_memory_never_revokes() -> None:
    jwt = setup_named("jwt")
    assert lab.tradeoffs.copy_still_works(jwt, REFRESH_LIFETIME - 1)
    assert not lab.tradeoffs.copy_still_works(jwt, REFRESH_LIFETIME)
    assert lab.tradeoffs.revocation_seconds(setup_named("memory"), horizon=600) is None


def test_store_outage_counts_only_what_the_outage_added() -> None:
    assert measures.refused_in_store_outage(setup_named("store"), users=10) == 10
    assert measures.refused_in_store_outage(setup_named("jwt-revocable"), users=10) == 10
    assert measures.refused_in_store_outage(setup_named("jwt"), users=10) == 0
    assert measures.refused_in_store_outage(setup_named("memory"), users=10) == 0  # refused anyway, store or not


def test_session_memory_is_measured_and_extrapolated() -> None:
    memory = measures.session_memory(setup_named("replicated"), users=20)
    replicated_at_40 = measures.session_memory(setup_named("replicated"), users=40)
    assert memory.busiest_server > 0 and memory.store == 0
    assert replicated_at_40.busiest_server == pytest.approx(2 * memory.busiest_server, rel=0.1)
    assert memory.per(2000)[0] == round(memory.busiest_server * 100)
    store = measures.session_memory(setup_named("store"), users=20)
    assert store.busiest_server == 0 and store.store > 0


def test_the_suite_table_has_every_row_and_setup(suite: lab.tradeoffs.Suite) -> None:
    table = suite.table()
    assert table.columns[2:] == list(lab.tradeoffs.SETUP_NAMES)
    assert {row["article's row"] for row in table.rows} == {row.feature for row in lab.tradeoffs.ARTICLE_ROWS}
    assert suite["memory+sticky"].logged_out["rolling deploy"] == suite["memory+sticky"].users
    assert 0.15 < suite["memory+sticky"].logged_out["server dies"] / suite["memory+sticky"].users < 0.5
    assert all(m.logged_out[e] == 0 for m in suite.stateless() for e in measures.EVENTS)
    assert suite["store"].state_lives_in == "store" and suite["jwt"].state_lives_in == "client"
    assert suite["memory+sticky"].extra_infrastructure == "a sticky balancer"


def test_the_verdicts_as_measured(suite: lab.tradeoffs.Suite) -> None:
    found = {v.row.feature: v.verdict for v in lab.tradeoffs.judge(suite)}
    assert found == {"Scalability": "qualified", "Resilience/FT": "qualified", "Complexity": "corrected",
                     "Session Mgmt.": "qualified", "Resource Usage": "qualified", "Load Balancing": "qualified",
                     "Maintenance": "agreed"}
    assert "jwt-revocable" in lab.tradeoffs.judge(suite)[0].evidence


def changed(suite: lab.tradeoffs.Suite, name: str, **changes: object) -> lab.tradeoffs.Suite:
    return lab.tradeoffs.Suite([dataclasses.replace(m, **changes) if m.setup.name == name else m for m in suite])


def test_the_verdicts_follow_the_numbers(suite: lab.tradeoffs.Suite) -> None:
    crashing = changed(suite, "jwt", logged_out={**suite["jwt"].logged_out, "server dies": 5})
    assert verdicts._resilience(crashing)[0] == verdicts.CORRECTED
    assert verdicts._maintenance(changed(suite, "store", logged_out={**suite["store"].logged_out,
                                                                     "rolling deploy": 1}))[0] == verdicts.CORRECTED
    no_store = [m for m in suite if m.setup.name not in ("store", "jwt-revocable")]
    assert verdicts._scalability(lab.tradeoffs.Suite(no_store))[0] == verdicts.AGREED
    verdict, evidence = verdicts._complexity(suite)
    assert verdict == verdicts.CORRECTED and "median 4 against 3" in evidence and "replicated 6" in evidence
    lean = lab.tradeoffs.Suite([dataclasses.replace(m, hooks=("load", "save")) if not m.setup.stateful else m
                                for m in suite])
    assert verdicts._complexity(lean)[0] == verdicts.AGREED
    one_heavy = changed(lean, "jwt-revocable", hooks=suite["jwt-revocable"].hooks)
    verdict, evidence = verdicts._complexity(one_heavy)
    assert verdict == verdicts.QUALIFIED and "But jwt-revocable needs at least as many" in evidence


def test_the_chart_and_the_explorer(suite: lab.tradeoffs.Suite) -> None:
    assert len(lab.tradeoffs.tradeoff_chart(suite).axes) == 8
    explorer = lab.tradeoffs.CostExplorer(suite)
    rtt = lab.store_experiments.RTT_BY_PLACEMENT_MS
    assert explorer.milliseconds()["store"] == pytest.approx((5 * 1 + 1 * 2) * rtt["same data centre"])
    explorer.placement.value = "another region"
    explorer.reads.value = 2
    explorer.writes.value = 0
    explorer.on_change()
    assert explorer.milliseconds()["jwt-revocable"] == pytest.approx(2 * rtt["another region"])
    assert explorer.milliseconds()["jwt"] == 0
    assert repr(explorer).startswith("CostExplorer(store in another region, 2 page views")
    explorer.writes.value = 1
    explorer.on_change()
    assert repr(explorer).startswith("CostExplorer(store in another region, 2 page views, 1 cart update:")
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


def test_the_suite_repeats_itself() -> None:
    setup = setup_named("signed-cookie")
    assert measures.measure(setup, users=20, steps=3) == measures.measure(setup, users=20, steps=3)
