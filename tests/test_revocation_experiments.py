"""Lesson 05's measurements: against their theory, seeded (they repeat), on the embedded store."""
from __future__ import annotations

import pytest

import labsupport as lab
from labsupport import revocation_experiments as rx


def test_revocable_lab_uses_an_embedded_store_even_with_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there: must never be dialled
    shop = rx.revocable_lab(users=1, seed=3, access_lifetime=60)
    assert shop.store is not None and shop.store.embedded
    strategy = shop.cluster.server("s1").strategy
    assert isinstance(strategy, lab.RevocableJWTSessions) and strategy.access_lifetime == 60
    assert rx.revocable_lab(users=1).cluster.strategy_name == "jwt-revocable"


def test_browse_refreshes_once_on_an_expired_token_and_retries() -> None:
    shop = lab.Lab(servers=3, strategy=lab.JWTSessions.configured(access_lifetime=60), users=1, seed=0)
    user = shop.users[0]
    with lab.SimClock() as clock:
        user.login()
        assert rx.browse(user)[0].status_code == 200 and rx.browse(user)[1] is False
        clock.advance(60)  # exp == now: expired
        response, refreshed = rx.browse(user)
        assert response.status_code == 200 and refreshed is True
        user.tokens["refresh_token"] = "garbage"
        clock.advance(60)
        response, refreshed = rx.browse(user)
        assert response.status_code == 401 and refreshed is True
        user.tokens.clear()
        assert rx.browse(user)[0].status_code == 401  # not logged in: no refresh attempted
    assert rx.reason_of(response).startswith("malformed token")


@pytest.mark.parametrize("lifetime", [60, 300])
def test_exposure_run_matches_the_theory(lifetime: int) -> None:
    row = rx.exposure_run(lifetime, users=4, thefts_per_user=10, request_every=30, seed=1)
    assert row["pages per user-hour"] == 120
    assert row["refreshes per user-hour"] == row["theory 3600/L"] == 3600 // lifetime
    assert row["thefts"] == 40
    assert 0 < row["longest exposure (s)"] <= lifetime  # never beyond exp: PyJWT refuses from exp on
    assert abs(row["mean exposure (s)"] - lifetime / 2) < 0.25 * lifetime


def test_exposure_run_needs_a_lifetime_the_request_interval_divides() -> None:
    with pytest.raises(ValueError, match="multiple of request_every"):
        rx.exposure_run(45, request_every=30)


def test_exposure_vs_refresh_is_seeded_and_monotone() -> None:
    first = rx.exposure_vs_refresh(lifetimes=(60, 120, 300), users=3, thefts_per_user=5)
    again = rx.exposure_vs_refresh(lifetimes=(60, 120, 300), users=3, thefts_per_user=5)
    assert first.rows == again.rows
    refreshes = first.column("refreshes per user-hour")
    longest = first.column("longest exposure (s)")
    assert refreshes == [60, 30, 12] and longest == sorted(longest)
    assert [r * lt for r, lt in zip(refreshes, first.column("access lifetime (s)"))] == [3600] * 3


def test_denylist_over_time_follows_littles_law_and_empties() -> None:
    table = rx.denylist_over_time(access_lifetime=300, logout_every=10, visit=60, logins_for=600, until=1000)
    entries = table.column("denylist entries")
    assert entries == table.column("theory")
    assert max(entries) == 240 // 10  # logouts per second x seconds each entry lives
    assert entries[-1] == 0 and table[-1]["store keys"] == 0  # every entry and every family has expired
    assert table[-1]["logouts so far"] == 60
    assert rx.denylist_over_time(access_lifetime=300, logout_every=10, visit=60, logins_for=600,
                                 until=1000).rows == table.rows


def test_denylist_over_time_refuses_a_visit_longer_than_the_token() -> None:
    with pytest.raises(ValueError):
        rx.denylist_over_time(access_lifetime=60, visit=60)


@pytest.mark.parametrize(("lifetime", "every", "age", "expected"), [(900, 20, 300, 30), (300, 10, 60, 24),
                                                                  (120, 30, 30, 3)])
def test_steady_denylist(lifetime: int, every: int, age: int, expected: int) -> None:
    assert rx.steady_denylist(access_lifetime=lifetime, logout_every=every, token_age=age) == expected


def test_round_trips_per_action() -> None:
    table = rx.round_trips_per_action()
    assert table.column("jwt: store round trips") == [0] * len(rx.VISIT)
    assert table.column("jwt-revocable: store round trips") == [2, 1, 2, 2, 2, 2, 2]
    assert table.column("jwt-revocable: status") == [200] * len(rx.VISIT)
    assert table.column("jwt: status") == [200] * 6 + [400]  # stateless JWT cannot log out everywhere


def test_verification_timings_rows() -> None:
    table = rx.verification_timings(repeat=20)
    assert table.column("kind") == ["measured", "measured", "measured", "modelled", "sum"]
    assert table[3]["microseconds"] == rx.MODELLED_RTT_MS * 1000 == lab.store_experiments.MODELLED_RTT_MS * 1000
    assert all(v > 0 for v in table.column("microseconds"))
    assert table[4]["microseconds"] == pytest.approx(table[1]["microseconds"] + table[3]["microseconds"], abs=0.2)


def test_store_round_trips_is_zero_without_a_store() -> None:
    assert rx.store_round_trips(lab.Lab(servers=2, strategy="memory", users=0)) == 0
