"""A hint followed literally leads to an accepted answer: each hint's recipe, done as its words say.

Where a hint names code, the test checks the hint still says it, then runs exactly that; where it
gives a rule of thumb, the test computes the answer by that rule. Lesson 04's hints are followed in
tests/test_exercises_lesson04.py, and lesson 08's in tests/test_exercises_lesson08.py.
"""
from __future__ import annotations

import base64
import json
import warnings

import labsupport as lab
from labsupport.exercises import lesson03


def hint(key: str) -> str:
    return str(lab.hint(key))


def accepted(key: str, answer: object) -> None:
    verdict = lab.check(key, answer)
    assert verdict.ok, (key, answer, verdict)


def test_00_1_send_them_and_count() -> None:
    assert "send them and count the X-Served-By headers" in hint("00.1")
    user = lab.Lab(servers=3, users=1, seed=0).users[0]
    served = [user.request("GET", "/").headers["X-Served-By"] for _ in range(300)]
    accepted("00.1", served.count("s1"))


def test_00_2_build_the_lab_and_send_them() -> None:
    assert "build the lab and send them" in hint("00.2")
    built = lab.Lab(servers=3, users=3, seed=0)
    built.users[0].request("GET", "/")
    built.users[1].request("GET", "/")
    accepted("00.2", built.users[0].request("GET", "/").headers["X-Served-By"])


def test_00_3_build_run_and_look() -> None:
    assert "`.cluster.sessions_held()`" in hint("00.3")
    built = lab.Lab(servers=3, users=8, seed=1)
    built.run_journeys(steps=2)
    accepted("00.3", built.cluster.sessions_held()["s2"])


def test_01_1_run_the_cafe() -> None:
    code = ("lab.cafe.Cafe(baristas=2, kind='remembering', dispatcher='random', customers=1000, visits=3, "
            "seed=11).run().share_right")
    assert code in hint("01.1")
    accepted("01.1", eval(code, {"lab": lab}))
    accepted("01.1", (1 / 2) ** 2)  # the reasoning in the hint's first sentences


def test_01_2_run_each_option() -> None:
    assert "run(events={3: 'break Ben'})" in hint("01.2")
    options = {"a": ("remembering", "regular"), "b": ("remembering", "round-robin"), "c": ("ticket", "random")}
    everyone = [key for key, (kind, dispatcher) in options.items()
                if lab.cafe.Cafe(baristas=3, customers=12, visits=3, seed=1, kind=kind, dispatcher=dispatcher)
                .run(events={3: "break Ben"}).share_right == 1.0]
    assert len(everyone) == 1
    accepted("01.2", everyone[0])


def test_01_3_build_section_7s_lab_and_look() -> None:
    words = hint("01.3")
    assert "lab.Lab(servers=3, strategy='signed-cookie', policy='round-robin', users=20, seed=1)" in words
    built = lab.Lab(servers=3, strategy="signed-cookie", policy="round-robin", users=20, seed=1)
    built.run_journeys(steps=4)
    held = sum(built.cluster.sessions_held().values())
    carried = built.users[0].client.get_cookie("session") is not None
    accepted("01.3", "client" if held == 0 and carried else "server")


def test_02_2_about_one_in_n() -> None:
    assert "about 1/N" in hint("02.2")
    accepted("02.2", 1 / 5)


def test_02_3_compare_the_two_rows() -> None:
    assert "lab.experiments.scale_out_loss()" in hint("02.3")
    rows = lab.experiments.scale_out_loss().rows
    accepted("02.3", min(rows, key=lambda row: row["lost"])["policy"])


def test_02_4_every_write_to_every_other_server() -> None:
    assert "each write is sent to every other live server" in hint("02.4")
    accepted("02.4", 50 * 3 * (6 - 1))


def test_03_1_the_recipe() -> None:
    assert "part + '=' * (-len(part) % 4)" in hint("03.1")

    def read(token: str) -> dict:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    accepted("03.1", read)


def test_03_2_measure_with_growing_leeways() -> None:
    assert "lab.tokens.Tokens(leeway=...).verify(token)" in hint("03.2")
    with lab.SimClock() as clock:
        token = lab.tokens.Tokens().issue("alice", lifetime=60, jti="t-1")
        clock.advance(63)
        leeway = 0
        while True:
            try:
                lab.tokens.Tokens(leeway=leeway).verify(token)
                break
            except lab.TokenRejected:
                leeway += 1
    accepted("03.2", leeway)


def test_03_3_print_the_set_cookie_headers() -> None:
    assert "Print the Set-Cookie headers of a jwt-cookie login" in hint("03.3")
    with lab.SimClock():
        login = lab.Lab(servers=1, strategy="jwt-cookie", users=1, seed=0).users[0].login()
    access = next(h for h in login.headers.getlist("Set-Cookie") if h.startswith("access_token="))
    attributes = [part.strip().split("=")[0] for part in access.split(";")[1:]]
    accepted("03.3", next(a for a in attributes if a.lower() == "samesite"))


def test_03_4_add_items_until_werkzeug_warns() -> None:
    assert "stop when Werkzeug warns" in hint("03.4")
    user = lab.Lab(servers=1, strategy="jwt-cookie", users=1, seed=0).users[0]
    with warnings.catch_warnings(record=True) as caught, lab.SimClock():
        warnings.simplefilter("always")
        user.login()
        fitted = 0
        while True:
            user.add_item(lesson03.ITEM)
            if caught:
                break
            fitted += 1
    accepted("03.4", fitted)


def test_05_1_the_recipe() -> None:
    words = hint("05.1")
    assert "lab.JWTSessions.configured(access_lifetime=600)" in words and "at 420 s" in words
    shop = lab.Lab(servers=3, strategy=lab.JWTSessions.configured(access_lifetime=600), users=1, seed=0)
    user, copy = shop.users[0], lab.SimUser(shop.balancer, 99)
    with lab.SimClock() as clock:
        user.login()
        clock.advance(120)
        copy.tokens["access_token"] = user.tokens["access_token"]
        clock.advance(300)
        user.request("POST", "/logout")
        seconds = 0
        while copy.request("GET", "/profile").status_code == 200:
            clock.advance(1)
            seconds += 1
    accepted("05.1", seconds)


def test_05_2_entries_per_minute_times_minutes() -> None:
    assert "entries alive = entries added per minute x minutes each one stays" in hint("05.2")
    accepted("05.2", 3 * (15 - 5))  # 3 logouts a minute, each entry lives 15 - 5 minutes


def test_05_4_count_per_request() -> None:
    words = hint("05.4")
    assert "a verified token is one round trip" in words and "a logout one more" in words
    login, page, cart, refresh, logout = 1 + 1, 1, 1 + 1, 1 + 1, 1 + 1  # as the hint counts each request
    accepted("05.4", login + 4 * page + 2 * cart + refresh + logout)


def test_05_4_measure_it() -> None:
    assert "lab.revocation_experiments.store_round_trips" in hint("05.4")
    shop = lab.revocation_experiments.revocable_lab(users=1, seed=0)
    user = shop.users[0]
    with lab.SimClock() as clock:
        for action in ["login"] + ["profile"] * 4 + ["cart"] * 2 + ["refresh", "logout"]:
            if action == "login":
                user.login()
            elif action == "profile":
                user.request("GET", "/profile")
            elif action == "cart":
                user.add_item("tea")
            elif action == "refresh":
                user.request("POST", "/refresh", {"refresh_token": user.tokens["refresh_token"]})
            else:
                user.request("POST", "/logout")
            clock.advance(1)
    accepted("05.4", lab.revocation_experiments.store_round_trips(shop))


def test_06_1_possible_ids_over_live_sessions() -> None:
    assert "(possible ids) / (live sessions)" in hint("06.1")
    accepted("06.1", 2 ** 20 / 500)


def test_06_3_the_idle_gaps() -> None:
    assert "20, 25, 25, 35, 5 minutes" in hint("06.3")
    statuses, alive = [], True
    for gap in (20, 25, 25, 35, 5):
        alive = alive and gap <= 30
        statuses.append(200 if alive else 401)
    accepted("06.3", statuses)


def test_06_4_look_up_and_add() -> None:
    assert "lab.store_experiments.RTT_BY_PLACEMENT_MS" in hint("06.4")
    accepted("06.4", 4 * lab.store_experiments.RTT_BY_PLACEMENT_MS["another zone"])


def test_02_1_one_in_n_for_each_later_request() -> None:
    assert "Each of the k - 1 later requests must land on that same server, with probability 1/N" in hint("02.1")
    accepted("02.1", lambda servers, steps: (1 / servers) ** (steps - 1))


def test_05_3_a_spent_refresh_token_revokes_the_family() -> None:
    words = hint("05.3")
    assert "single-use" in words and "the family it revokes" in words
    # the victim presents a spent token (refused), the family is revoked (the attacker's page refused),
    # and a password login starts a new family (200)
    accepted("05.3", [401, 401, 200])


def test_06_2_count_the_sessions_of_someone_else() -> None:
    assert "Count the sessions that belong to someone else" in hint("06.2")
    accepted("06.2", 1)  # user001's one session


def test_every_exercise_outside_lesson_04_has_a_hint_test() -> None:
    tested = {name[5:9].replace("_", ".") for name in globals() if name.startswith("test_0")}
    assert {key for key in lab.exercises.EXERCISES if not key.startswith(("04.", "08."))} == tested


def test_07_1_keep_the_setups_with_0_in_all_three_rows() -> None:
    rows = ("users logged out when a server dies", "users logged out by a rolling deploy",
            "users logged out by a scale-out")
    assert all(f"'{row}'" in hint("07.1") for row in rows) and "keep the setups with 0 in all three" in hint("07.1")
    table = lab.exercises.lesson07.measured().table()
    read = [r for r in table.rows if r["measured"].startswith(rows)]
    accepted("07.1", [name for name in lab.tradeoffs.SETUP_NAMES if all(r[name] == 0 for r in read)])


def test_07_2_a_setup_with_0_in_every_row_of_the_scenario() -> None:
    assert "lab.exercises.lesson07.SCENARIOS" in hint("07.2") and "shows 0 in every one of its rows" in hint("07.2")
    table = lab.exercises.lesson07.measured().table()
    picks = {}
    for key, scenario in lab.exercises.lesson07.SCENARIOS.items():
        rows = [r for r in table.rows if r["measured"].startswith(tuple(need.measure for need in scenario.needs))]
        assert len(rows) == len(scenario.needs)
        picks[key] = next(name for name in lab.tradeoffs.SETUP_NAMES if all(r[name] == 0 for r in rows))
    accepted("07.2", picks)
