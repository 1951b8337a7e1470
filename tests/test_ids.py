"""Ids: 128 random bits from ``secrets`` by default (unique across processes), seeded streams inside a lab."""
from __future__ import annotations

import re
import subprocess
import sys

from labsupport import Lab
from labsupport.ids import ID_BYTES, SecretIds, SeededIds, new_session_id
from labsupport.tokens import peek

SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")

DRAW_IN_A_PROCESS = """
import sys
from labsupport import SimClock
from labsupport.serve import create_app
app = create_app(strategy="jwt", server="s1")
client = app.test_client()
with SimClock():  # the same instant in both processes: only the ids can differ
    for _ in range(int(sys.argv[1])):
        body = client.post("/login", json={"user": "alice", "password": "alice-password"}).get_json()
        print(body["access_token"], body["refresh_token"])
"""


def jtis_from_a_new_process(logins: int) -> list[str]:
    out = subprocess.run([sys.executable, "-c", DRAW_IN_A_PROCESS, str(logins)], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    return [peek(token)["payload"]["jti"] for token in out]


def test_real_processes_never_repeat_a_jti() -> None:
    first, second = jtis_from_a_new_process(20), jtis_from_a_new_process(20)
    assert len(first) == len(second) == 40
    assert len(set(first) | set(second)) == 80  # a per-process counter would repeat every one
    assert all(SHAPE.fullmatch(jti) for jti in first + second)


def test_secret_ids_carry_128_bits_and_a_prefix() -> None:
    ids = SecretIds()
    drawn = [ids("sid_") for _ in range(1000)]
    assert len(set(drawn)) == 1000 and all(SHAPE.fullmatch(d.removeprefix("sid_")) for d in drawn)
    assert ID_BYTES * 8 == 128 and new_session_id().startswith("sid_")


def test_seeded_ids_reproduce_and_differ_by_seed() -> None:
    assert [SeededIds("a")() for _ in range(3)] == [SeededIds("a")() for _ in range(3)]
    one = SeededIds("a")
    assert len({one() for _ in range(100)}) == 100
    assert SeededIds("a")() != SeededIds("b")()
    assert repr(SeededIds("lab 0")) == "SeededIds('lab 0')"


def test_a_lab_gives_each_server_and_boot_its_own_stream() -> None:
    lab = Lab(servers=2, users=0, seed=3)
    streams = [lab.ids_for(s, boot)() for s in ("s1", "s2") for boot in (1, 2)]
    assert len(set(streams)) == 4
    assert lab.ids_for("s1", 1)() == Lab(servers=2, users=0, seed=3).ids_for("s1", 1)()
    assert lab.ids_for("s1", 1)() != Lab(servers=2, users=0, seed=4).ids_for("s1", 1)()


def test_a_restarted_server_never_reissues_an_old_session_id() -> None:
    lab = Lab(servers=1, users=40, seed=0)
    run = lab.run_journeys(steps=2, events={1: "restart s1"})
    before = {u.client.get_cookie("sid").value for u in lab.users}
    lab.run_journeys(steps=1)
    after = {u.client.get_cookie("sid").value for u in lab.users}
    assert run.share_kept == 0.0 and len(before) == len(after) == 40 and not before & after
