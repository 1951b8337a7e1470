"""Every lesson-08 check accepts its solution, rejects wrong answers with feedback, and its hint followed
literally leads to an accepted answer. The checks start no real process."""
from __future__ import annotations

import time
from typing import Any

import labsupport as lab
from exercise_contract import contract_tests
from labsupport.exercises import lesson08

SOLUTIONS: dict[str, list[Any]] = {
    "08.1": [1 / 5 + 1 / 5, 0.4, 0.41],
    "08.2": [800, 800.0, 1000, 1600],
    "08.3": [30, 30.0],
    "08.4": [409, 409.0],
}
WRONG: dict[str, list[Any]] = {
    "08.1": [0.2, 0.6, 40, 0.0, "0.4", True],
    "08.2": [0, 1, 400, 799, 1601, 8000, "800"],
    "08.3": [0, 60, 29, 31, "30"],
    "08.4": [200, 401, 403, "409", 409.5],
}

(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "08", SOLUTIONS, WRONG)


def hint(key: str) -> str:
    return str(lab.hint(key))


def test_expected_answers_come_from_the_simulator_and_the_model() -> None:
    assert lesson08.crash_share_lost() == 2 / 5
    assert lesson08.writes_at_risk() == 800
    assert lesson08.lost_updates() == 30
    assert lesson08.replay_status() == 409


def test_specific_feedback() -> None:
    assert "one server's users" in lab.check("08.1", 0.2).message
    assert "kept its session" in lab.check("08.1", 0.6).message
    assert "appendfsync always" in lab.check("08.2", 0).message
    assert "HINCRBY" in lab.check("08.3", 0).message
    assert "after the window" in lab.check("08.4", 401).message


def test_08_1_add_the_two_shares() -> None:
    assert "1/N of the users" in hint("08.1") and "add the two shares" in hint("08.1")
    servers = 5
    assert lab.check("08.1", 1 / servers + 1 / servers).ok


def test_08_2_rate_times_one_second() -> None:
    assert "Multiply the write rate by that one second" in hint("08.2")
    assert lab.check("08.2", 800 * 1).ok


def test_08_3_one_per_round_times_the_rounds() -> None:
    assert "one update lost per round. Multiply by the rounds" in hint("08.3")
    assert lab.check("08.3", 1 * 30).ok


def test_08_4_the_column_the_hint_names() -> None:
    assert "'409 lost the race' column" in hint("08.4")
    status = int("409 lost the race".split()[0])
    assert lab.check("08.4", status).ok


def test_checks_answer_fast_without_real_processes() -> None:
    started = time.perf_counter()
    for key, answers in SOLUTIONS.items():
        lab.check(key, answers[0])
    assert time.perf_counter() - started < 5
