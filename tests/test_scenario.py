"""Seeded labs: deterministic runs, and journeys kept or lost as the theory says."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from labsupport import EVENTS, ClusterError, JourneyRun, Lab, UnknownChoice, UnknownServer


def run(*, servers: int = 3, strategy: str = "memory", policy: str = "round-robin", users: int = 30,
        seed: int = 0, steps=3, events=None) -> JourneyRun:
    lab = Lab(servers=servers, strategy=strategy, policy=policy, users=users, seed=seed)
    return lab.run_journeys(steps, events=events)


def login_server(result: JourneyRun) -> dict[str, str]:
    return {r.user: r.server for r in result.records if r.step == 0}


# --- determinism ----------------------------------------------------------------------


def test_same_seed_same_records() -> None:
    for policy in ["round-robin", "random", "sticky", "consistent-hash"]:
        first = run(policy=policy, seed=5, events={1: "kill s2", 2: "revive s2"})
        second = run(policy=policy, seed=5, events={1: "kill s2", 2: "revive s2"})
        assert first.records == second.records
        assert first == second


def test_different_seed_different_order() -> None:
    a, b = run(seed=1), run(seed=2)
    assert [r.user for r in a.records[:30]] != [r.user for r in b.records[:30]]
    assert sorted(r.user for r in a.records if r.step == 0) == sorted(r.user for r in b.records if r.step == 0)


def test_records_are_in_order_and_each_journey_starts_with_login() -> None:
    result = run(servers=1, steps=4)
    assert [r.seq for r in result.records] == list(range(len(result.records)))
    for user in result.users:
        mine = [r for r in result.records if r.user == user]
        assert [r.step for r in mine] == [0, 1, 2, 3]
        assert [r.action for r in mine] == ["login", "add item", "add item", "add item"]


def test_rounds_interleave_users_in_a_shuffled_order() -> None:
    result = run(servers=1, users=20, steps=2)
    logins = [r.user for r in result.records if r.step == 0]
    assert [r.step for r in result.records] == [0] * 20 + [1] * 20  # round by round
    assert logins != sorted(logins)  # shuffled, not in user order


def test_a_second_run_on_the_same_lab_continues_the_sequence() -> None:
    lab = Lab(servers=1, users=5, seed=0)
    first = lab.run_journeys(2)
    second = lab.run_journeys(2)
    assert second.records[0].seq == len(first.records)
    assert second.share_kept == 1.0


# --- memory sessions behind round robin -----------------------------------------------


def test_memory_on_one_server_keeps_every_journey() -> None:
    result = run(servers=1, users=50, steps=5)
    assert result.share_kept == 1.0
    assert result.lost_users == [] and result.kept_users == list(result.users)
    assert all(r.kept and r.status == 200 and r.server == "s1" for r in result.records)
    assert len(result.records) == 50 * 5
    assert result.served() == {"s1": 250}


@pytest.mark.parametrize(("servers", "steps"), [(2, 2), (2, 3), (3, 2), (3, 3), (4, 2)])
def test_memory_behind_round_robin_keeps_about_one_in_n_per_step(servers: int, steps: int) -> None:
    result = run(servers=servers, users=400, steps=steps, seed=0)
    expected = (1 / servers) ** (steps - 1)
    assert abs(result.share_kept - expected) <= 0.08, (result.share_kept, expected)
    assert 0 < result.share_kept < 1


def test_a_lost_journey_stops_at_the_first_lost_request() -> None:
    result = run(servers=3, users=100, steps=4)
    for user in result.lost_users:
        mine = [r for r in result.records if r.user == user]
        assert [r.kept for r in mine] == [True] * (len(mine) - 1) + [False]
        last = mine[-1]
        assert last.status == 401 and last.reason and "session not found" in last.reason
        assert last.server != login_server(result)[user]
        assert not result.journey_kept(user)
    assert set(result.kept_users) | set(result.lost_users) == set(result.users)
    assert not set(result.kept_users) & set(result.lost_users)


# --- stateless sessions survive the cluster changing -----------------------------------


def test_signed_cookie_keeps_everyone_through_kills_revivals_and_new_servers() -> None:
    events = {1: "kill s2", 2: ["revive s2", "add_server"], 3: ["kill s1", "scale 5"], 4: "rolling_restart"}
    result = run(strategy="signed-cookie", users=60, steps=6, events=events)
    assert result.share_kept == 1.0
    assert len(result.records) == 60 * 6
    served = result.served()
    assert {"s1", "s2", "s3", "s4", "s5"} <= set(served)
    assert result.strategy == "signed-cookie" and result.policy == "round-robin"


def test_replicated_memory_keeps_everyone_under_round_robin() -> None:
    result = run(strategy="replicated", users=40, steps=4, events={2: "kill s3"})
    assert result.share_kept == 1.0


# --- sticky sessions and their costs --------------------------------------------------


def test_sticky_memory_without_failures_keeps_everyone() -> None:
    result = run(policy="sticky", users=60, steps=5)
    assert result.share_kept == 1.0
    for user, server in login_server(result).items():
        assert {r.server for r in result.records if r.user == user} == {server}


def test_sticky_memory_loses_exactly_the_users_of_a_killed_server() -> None:
    result = run(policy="sticky", servers=3, users=300, steps=4, events={2: "kill s2"})
    lost_share = len(result.lost_users) / len(result.users)
    assert 0.2 <= lost_share <= 0.5, lost_share
    on_s2 = [u for u, server in login_server(result).items() if server == "s2"]
    assert sorted(result.lost_users) == sorted(on_s2)
    for user in result.lost_users:
        lost = [r for r in result.records if r.user == user and not r.kept]
        assert [r.step for r in lost] == [2] and lost[0].server in {"s1", "s3"}


def test_rolling_restart_logs_out_everyone_still_on_a_journey() -> None:
    users = 40
    lengths = [2 if i % 2 else 4 for i in range(users)]  # odd users finish before round 2
    lab = Lab(servers=3, strategy="memory", policy="sticky", users=users, seed=3)
    result = lab.run_journeys(lengths, events={2: "rolling_restart"})
    finished = {f"user{i:03d}" for i in range(users) if lengths[i] == 2}
    assert set(result.kept_users) == finished
    assert set(result.lost_users) == set(result.users) - finished
    failures = [r for r in result.records if not r.kept]
    assert len(failures) == users - len(finished)
    assert all(r.step == 2 and r.status == 401 for r in failures)
    assert all(s.boots == 2 for s in lab.cluster.servers.values())


# --- events and steps -----------------------------------------------------------------


def test_events_apply_to_the_cluster() -> None:
    lab = Lab(servers=3, users=0)
    lab.apply("kill s2")
    assert lab.cluster.alive_names() == ["s1", "s3"]
    lab.apply("revive s2")
    lab.apply("scale 5")
    assert lab.cluster.alive_names() == ["s1", "s2", "s3", "s4", "s5"]
    lab.apply("remove_server s5")
    lab.apply("restart s1")
    assert lab.cluster.server("s1").boots == 2
    assert lab.cluster.add_server() == "s6"


@pytest.mark.parametrize("event", ["explode s1", "KILL s1", "_add", "__init__", "memory"])
def test_unknown_event_verbs_raise_unknown_choice(event: str) -> None:
    lab = Lab(servers=2, users=3)
    with pytest.raises(UnknownChoice) as caught:
        lab.apply(event)
    assert caught.value.known == list(EVENTS)
    assert all(verb in str(caught.value) for verb in EVENTS)
    with pytest.raises(UnknownChoice):
        Lab(servers=2, users=3).run_journeys(3, events={1: event})


def test_events_naming_an_unknown_server_raise() -> None:
    with pytest.raises(UnknownServer):
        Lab(servers=2, users=3).run_journeys(3, events={1: "kill s7"})


def test_scaling_to_a_negative_size_by_event_is_a_cluster_error() -> None:
    with pytest.raises(ClusterError):
        Lab(servers=2, users=3).apply("scale -1")


def test_steps_per_user() -> None:
    lengths = [1, 2, 3, 4, 5] * 4
    result = Lab(servers=1, users=20, seed=0).run_journeys(lengths)
    counts = Counter(r.user for r in result.records)
    assert [counts[f"user{i:03d}"] for i in range(20)] == lengths
    assert result.share_kept == 1.0


@pytest.mark.parametrize("lengths", [[3] * 19, [3] * 21, []])
def test_steps_of_the_wrong_length_raise_value_error(lengths: list[int]) -> None:
    with pytest.raises(ValueError, match="20 users"):
        Lab(servers=1, users=20).run_journeys(lengths)


@pytest.mark.parametrize("lengths", [[0, 2, 0], [2, -1, 2]])
def test_a_journey_needs_at_least_the_login(lengths: list[int]) -> None:
    with pytest.raises(ValueError, match="at least 1 step"):
        Lab(servers=1, users=3, seed=0).run_journeys(lengths)


# --- what notebooks print -------------------------------------------------------------

ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


def test_summary_is_a_stable_table() -> None:
    result = run(servers=1, users=3, steps=2)
    assert repr(result.summary()) == (
        "strategy       policy  requests  users  journeys kept  share kept\n"
        "--------  -----------  --------  -----  -------------  ----------\n"
        "  memory  round-robin         6      3              3       1.000"
    )
    assert repr(result) == ("JourneyRun(strategy='memory', policy='round-robin', requests=6, users=3, "
                            "journeys_kept=3)")


def test_reprs_have_no_addresses_and_repeat_exactly() -> None:
    texts = []
    for _ in range(2):
        lab = Lab(servers=3, strategy="memory", policy="round-robin", users=20, seed=9)
        result = lab.run_journeys(3, events={1: "kill s3"})
        texts.append([repr(lab), repr(result), repr(result.summary()), repr(result.table()),
                      repr(result.table(limit=100)), result.table()._repr_html_()])
    assert texts[0] == texts[1]
    for text in texts[0]:
        assert not ADDRESS.search(text) and "object at" not in text and "sid_" not in text
    table = texts[0][3].splitlines()
    assert table[0].split() == ["seq", "user", "step", "action", "server", "status", "kept", "reason"]
    assert len(table) == 2 + 10
    assert "session not found" in texts[0][4]  # lost requests say why
    assert texts[0][0] == "Lab(servers=['s1', 's2'], strategy='memory', policy='round-robin', users=20, seed=9)"


# --- accounts, failed logins, streams ---------------------------------------------------------


def test_a_lab_makes_accounts_for_every_user_however_many() -> None:
    lab = Lab(servers=1, users=1005, seed=0)
    run = lab.run_journeys(steps=2)
    assert run.share_kept == 1.0 and len(run.kept_users) == 1005 and run.failed_logins == []
    assert "user1004" in lab.accounts and "alice" in lab.accounts


def test_a_failed_login_is_not_a_lost_session() -> None:
    lab = Lab(servers=1, users=4, seed=0)
    lab.users[2].password = "wrong"
    run = lab.run_journeys(steps=3)
    assert run.failed_logins == ["user002"] and run.lost_users == [] and run.share_kept == 1.0
    assert run.started_users == ["user000", "user001", "user003"] and "user002" not in run.kept_users
    assert run.summary()[0]["logins failed"] == 1 and "logins_failed=1" in repr(run)
    assert "logins failed" not in Lab(servers=1, users=2, seed=0).run_journeys(steps=2).summary().columns


def test_shuffling_and_the_random_policy_draw_from_separate_streams() -> None:
    lab = Lab(servers=4, policy="random", users=30, seed=5)
    shuffle_first = lab.rng.random()
    balancer_first = lab.balancer.policy._rng.random()  # type: ignore[attr-defined]
    assert shuffle_first != balancer_first  # the same seed used twice would give the same numbers
    again = Lab(servers=4, policy="random", users=30, seed=5)
    assert again.rng.random() == shuffle_first
    # the order users take turns does not depend on the balancing policy
    orders = [[r.user for r in Lab(servers=3, policy=p, users=20, seed=5).run_journeys(steps=1).records]
              for p in ("random", "round-robin")]
    assert orders[0] == orders[1]
