"""Every lesson-03 check accepts its solution and rejects wrong answers with feedback."""
from __future__ import annotations

import base64
import json
from typing import Any


import labsupport as lab
from exercise_contract import contract_tests
from labsupport.exercises import lesson03


def read_payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


SOLUTIONS: dict[str, Any] = {
    "03.1": read_payload,
    "03.2": 4,
    "03.3": "SameSite",
    "03.4": lesson03.cookie_capacity(),
}
WRONG: dict[str, list[Any]] = {
    "03.1": [
        lambda token: json.loads(base64.urlsafe_b64decode(token.split(".")[1])),  # no padding
        lambda token: base64.urlsafe_b64decode(token.split(".")[1] + "==="),  # bytes, not a dict
        lambda token: read_payload(".".join(token.split(".")[1:])),  # the header's neighbour: signature
        lambda token: json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==")),  # the header
        lambda token: {"sub": "alice"},
        lambda token: json.loads(base64.b64decode(token.split(".")[1] + "==")),  # standard alphabet, not base64url
        "not a function",
    ],
    "03.2": [3, 5, 0, 63, "4", True],
    "03.3": ["HttpOnly", "Secure", "Path", "Max-Age", "Domain", 3],
    "03.4": [lesson03.cookie_capacity() + 1, lesson03.cookie_capacity() - 1, 4093, "40", 40.5],
}


(test_every_exercise_is_covered, test_solution_accepted, test_wrong_answer_rejected_with_feedback,
 test_none_is_not_answered_yet_and_a_hint_exists, test_odd_answers_get_feedback) = contract_tests(
    "03", {k: [v] for k, v in SOLUTIONS.items()}, WRONG)


def test_03_1_samples_need_every_kind_of_padding_base64url_and_non_ascii() -> None:
    samples = lesson03.sample_tokens()
    segments = [token.split(".")[1] for token, _ in samples]
    assert {len(segment) % 4 for segment in segments} == {0, 2, 3}
    assert any("-" in segment for segment in segments) and any("_" in segment for segment in segments)
    assert any(not "".join(payload["cart"]).isascii() for _, payload in samples)


def test_03_1_a_standard_base64_decoder_is_refused() -> None:
    verdict = lab.check("03.1", lambda token: json.loads(base64.b64decode(token.split(".")[1] + "==")))
    assert verdict.status == "not yet"


def test_03_1_feedback_points_at_the_padding() -> None:
    verdict = lab.check("03.1", WRONG["03.1"][0])
    assert "padding" in verdict.message


def test_03_2_the_boundary_is_explained() -> None:
    assert lesson03.smallest_leeway() == 4
    assert "exp <= now - leeway" in lab.check("03.2", 3).message
    assert lesson03.smallest_leeway(lifetime=60, presented_after=60) == 1
    assert lesson03.smallest_leeway(lifetime=60, presented_after=59) == 0


def test_03_3_is_measured_from_the_real_set_cookie_header() -> None:
    header = lesson03.access_cookie_header()
    assert header.startswith("access_token=ey") and "SameSite=Lax" in header and "HttpOnly" in header
    assert "reading" in lab.check("03.3", "HttpOnly").message.lower()


def test_03_4_capacity_is_where_werkzeug_starts_warning() -> None:
    capacity = lesson03.cookie_capacity()
    assert 30 < capacity < 50
    assert "already over" in lab.check("03.4", capacity + 1).message
