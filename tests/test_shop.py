"""The shop app on its own: the happy path and every kind of bad input.

Each test talks to one ``create_shop`` app through a werkzeug test ``Client``, once per
session strategy. Whatever goes wrong, the shop must answer with a 4xx status and a JSON
body ``{"error": ..., "reason": ...}``, never a 500, and name itself in ``X-Served-By``.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import base64_decode, base64_encode
from werkzeug.test import Client, TestResponse

from labsupport.shop import MAX_BODY_BYTES, MAX_ITEM_LENGTH
from shop_support import make_shop

STRATEGIES = ("memory", "signed-cookie")
COOKIE_NAME = {"memory": "sid", "signed-cookie": "session"}
ALICE = {"user": "alice", "password": "alice-password"}

FUZZ = settings(max_examples=100, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(params=sorted(STRATEGIES))
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def shop(kind: str, name: str = "s1"):
    return make_shop(kind, name)


def raw(app, method: str, path: str, *, cookie: str | None = None, **kwargs) -> TestResponse:
    """One request with no cookie jar: exactly the Cookie header given, or none."""
    headers = {"Cookie": cookie} if cookie is not None else {}
    return Client(app, use_cookies=False).open(path, method=method, headers=headers, **kwargs)


def logged_in(kind: str, name: str = "s1"):
    """An app, a client holding alice's session, and the session cookie's value."""
    app = shop(kind, name)
    client = Client(app)
    assert client.post("/login", json=ALICE).status_code == 200
    cookie = client.get_cookie(COOKIE_NAME[kind])
    assert cookie is not None and cookie.value
    return app, client, cookie.value


def assert_json_error(response: TestResponse, status: int | None = None) -> dict:
    """A 4xx (``status`` if given) with a JSON body naming the error and the reason."""
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:200])
    if status is not None:
        assert response.status_code == status, response.get_data()[:200]
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data())
    assert isinstance(body, dict)
    assert isinstance(body.get("error"), str) and body["error"]
    assert isinstance(body.get("reason"), str) and body["reason"]
    return body


# --- the happy path -------------------------------------------------------------------


def test_login_cart_profile_logout_then_401(kind: str) -> None:
    app = shop(kind)
    client = Client(app)

    r = client.post("/login", json=ALICE)
    assert r.status_code == 200
    assert r.json == {"user": "alice", "server": "s1"}

    r = client.post("/cart", json={"item": "tea"})
    assert r.status_code == 200 and r.json["cart"] == ["tea"]
    r = client.post("/cart", json={"item": "cake"})
    assert r.status_code == 200 and r.json["cart"] == ["tea", "cake"]

    r = client.get("/cart")
    assert r.status_code == 200
    assert r.json == {"user": "alice", "cart": ["tea", "cake"], "server": "s1"}
    r = client.get("/profile")
    assert r.status_code == 200
    assert r.json == {"user": "alice", "cart_size": 2, "server": "s1"}

    r = client.post("/logout")
    assert r.status_code == 200 and r.json["logged_out"] == "alice"

    for method, path in [("GET", "/profile"), ("GET", "/cart"), ("POST", "/logout")]:
        body = assert_json_error(client.open(path, method=method), 401)
        assert "not logged in" in body["reason"]
    assert_json_error(client.post("/cart", json={"item": "more"}), 401)


def test_a_new_login_starts_an_empty_cart(kind: str) -> None:
    _, client, _ = logged_in(kind)
    client.post("/cart", json={"item": "tea"})
    assert client.post("/login", json=ALICE).status_code == 200
    assert client.get("/cart").json["cart"] == []


def test_hello_names_the_server(kind: str) -> None:
    r = Client(shop(kind, "s7")).get("/")
    assert r.status_code == 200
    assert r.json == {"message": "hello from the shop", "server": "s7"}


def test_every_answer_names_the_server_in_x_served_by(kind: str) -> None:
    app, client, _ = logged_in(kind, "s7")
    answers = [
        client.get("/profile"),                                   # 200
        client.post("/cart", json={"item": ""}),                  # 400
        raw(app, "GET", "/profile"),                              # 401
        client.get("/nowhere"),                                   # 404
        client.delete("/cart"),                                   # 405
    ]
    assert [r.status_code for r in answers] == [200, 400, 401, 404, 405]
    assert [r.headers.get("X-Served-By") for r in answers] == ["s7"] * 5


# --- bad bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/cart"])  # the routes that read a body
def test_a_body_over_the_cap_is_413_json_before_it_is_parsed(kind: str, path: str) -> None:
    app, _client, cookie = logged_in(kind)
    huge = '{"user": "' + "a" * MAX_BODY_BYTES + '"}'
    body = assert_json_error(raw(app, "POST", path, cookie=f"{COOKIE_NAME[kind]}={cookie}", data=huge,
                                 content_type="application/json"), 413)
    assert body == {"error": "payload too large", "reason": "request body too large: the shop reads at most 64 KiB"}


def test_a_body_just_under_the_cap_is_read(kind: str) -> None:
    padding = "x" * (MAX_BODY_BYTES - 200)
    response = raw(shop(kind), "POST", "/login", json={**ALICE, "padding": padding})
    assert response.status_code == 200


@pytest.mark.parametrize("data", [
    '{"user": "alice",',                  # cut short
    "{user: alice}",                      # not JSON
    "",                                   # empty body
    "[" * 60_000,                         # nested deeper than the parser's recursion limit, under the cap
    '{"a":' * 12_000,
])
def test_malformed_json_body_is_400(kind: str, data: str) -> None:
    body = assert_json_error(raw(shop(kind), "POST", "/login", data=data, content_type="application/json"), 400)
    assert "JSON object" in body["reason"]


@pytest.mark.parametrize("value", [["alice", "alice-password"], "alice", 3, None, True, 1.5])
def test_non_object_json_is_400(kind: str, value: object) -> None:
    r = raw(shop(kind), "POST", "/login", data=json.dumps(value), content_type="application/json")
    assert assert_json_error(r, 400)["reason"] == "request body must be a JSON object"


def test_json_without_a_json_content_type_is_400(kind: str) -> None:
    r = raw(shop(kind), "POST", "/login", data=json.dumps(ALICE), content_type="text/plain")
    assert_json_error(r, 400)


@pytest.mark.parametrize(("body", "reason"), [
    ({}, "missing field 'user'"),
    ({"password": "alice-password"}, "missing field 'user'"),
    ({"user": "alice"}, "missing field 'password'"),
    ({"user": None, "password": "x"}, "missing field 'user'"),
    ({"user": "", "password": "x"}, "field 'user' must be a non-empty string"),
    ({"user": "alice", "password": ""}, "field 'password' must be a non-empty string"),
    ({"user": 5, "password": "x"}, "field 'user' must be a non-empty string"),
    ({"user": ["alice"], "password": "x"}, "field 'user' must be a non-empty string"),
    ({"user": {"name": "alice"}, "password": "x"}, "field 'user' must be a non-empty string"),
    ({"user": "alice", "password": False}, "field 'password' must be a non-empty string"),
])
def test_missing_or_wrongly_typed_login_fields_are_400(kind: str, body: dict, reason: str) -> None:
    assert assert_json_error(raw(shop(kind), "POST", "/login", json=body), 400)["reason"] == reason


@pytest.mark.parametrize("field", ["user", "password"])
def test_lone_surrogate_in_a_login_field_is_400_not_500(kind: str, field: str) -> None:
    # JSON may carry "\ud800"; it decodes to a str that cannot be encoded as UTF-8.
    body = dict(ALICE, **{field: "\ud800"})
    r = raw(shop(kind), "POST", "/login", data=json.dumps(body), content_type="application/json")
    assert_json_error(r, 400)


def test_unknown_user_and_wrong_password_are_the_same_401(kind: str) -> None:
    app = shop(kind)
    unknown = raw(app, "POST", "/login", json={"user": "mallory", "password": "alice-password"})
    wrong = raw(app, "POST", "/login", json={"user": "alice", "password": "bob-password"})
    assert assert_json_error(unknown, 401)["reason"] == "unknown user or wrong password"
    assert unknown.get_data() == wrong.get_data() and wrong.status_code == 401  # no user enumeration
    assert "Set-Cookie" not in unknown.headers and "Set-Cookie" not in wrong.headers


def test_item_length_limit(kind: str) -> None:
    _, client, _ = logged_in(kind)
    assert client.post("/cart", json={"item": "x" * MAX_ITEM_LENGTH}).status_code == 200
    body = assert_json_error(client.post("/cart", json={"item": "x" * (MAX_ITEM_LENGTH + 1)}), 400)
    assert str(MAX_ITEM_LENGTH) in body["reason"]
    assert client.get("/cart").json["cart"] == ["x" * MAX_ITEM_LENGTH]  # the rejected item was not added


@pytest.mark.parametrize("body", [{}, {"item": ""}, {"item": 3}, {"item": ["tea"]}, {"item": None}, ["tea"], "tea"])
def test_bad_cart_bodies_are_400_and_change_nothing(kind: str, body: object) -> None:
    _, client, _ = logged_in(kind)
    assert_json_error(client.post("/cart", json=body), 400)
    assert client.get("/cart").json["cart"] == []


# --- bad or missing cookies -----------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("GET", "/profile"), ("GET", "/cart"), ("POST", "/cart"),
                                              ("POST", "/logout")])
def test_no_cookie_is_401(kind: str, method: str, path: str) -> None:
    body = assert_json_error(raw(shop(kind), method, path, json={"item": "tea"}), 401)
    assert body["reason"] == "not logged in: the request carries no session"


@pytest.mark.parametrize("value", ["", "x", "sid_" + "A" * 22, "not.a.cookie", "e30.AAAAAA.AAAA", "z" * 20_000,
                                   '"quoted"', "%00%ff"])
def test_garbage_session_cookies_are_401(kind: str, value: str) -> None:
    app, _, _ = logged_in(kind)  # the server holds a real session, so lookups have something to miss
    body = assert_json_error(raw(app, "GET", "/profile", cookie=f"{COOKIE_NAME[kind]}={value}"), 401)
    assert "not logged in" not in body["reason"]  # it saw the cookie and rejected it


def test_tampered_flask_session_cookie_is_401() -> None:
    app, _, value = logged_in("signed-cookie")
    payload, timestamp, signature = value.split(".")
    data = json.loads(base64_decode(payload))
    assert data["user"] == "alice"
    forged = base64_encode(json.dumps(dict(data, user="bob"), separators=(",", ":"))).decode()
    assert raw(app, "GET", "/profile", cookie=f"session={value}").status_code == 200  # untouched works

    for bad in [f"{forged}.{timestamp}.{signature}",
                # change the first character: the last one of an unpadded base64 signature also
                # holds unused bits, so changing it may leave the decoded signature the same
                f"{payload}.{timestamp}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}",
                f"{payload}.{timestamp}", payload]:
        body = assert_json_error(raw(app, "GET", "/profile", cookie=f"session={bad}"), 401)
        assert body["reason"] == "session cookie rejected: bad signature or expired"


def test_session_id_of_another_server_is_401() -> None:
    _, _, sid = logged_in("memory", "s1")
    other = shop("memory", "s2")
    body = assert_json_error(raw(other, "GET", "/profile", cookie=f"sid={sid}"), 401)
    assert body["reason"] == "session not found: this server holds no session with that id"


COOKIE_TEXT = st.text(st.characters(codec="latin-1", exclude_categories=("Cc",)), max_size=300)


@FUZZ
@given(value=COOKIE_TEXT, kind=st.sampled_from(sorted(STRATEGIES)),
       where=st.sampled_from([("GET", "/profile"), ("GET", "/cart"), ("POST", "/cart"), ("POST", "/logout")]))
def test_fuzzed_cookies_never_get_in(value: str, kind: str, where: tuple[str, str]) -> None:
    app, _, real = logged_in(kind)
    cookie = f"sid={value}; session={value}; lb={value}"
    r = raw(app, where[0], where[1], cookie=cookie, json={"item": "tea"})
    if value == real:  # cannot happen with 128-bit ids and HMAC, but say what would be right
        return
    assert_json_error(r, 401)


@FUZZ
@given(header=st.text(st.characters(codec="latin-1", exclude_categories=("Cc",)), max_size=300))
def test_fuzzed_cookie_headers_never_500(header: str) -> None:
    for kind in STRATEGIES:
        assert_json_error(raw(shop(kind), "GET", "/profile", cookie=header), 401)


# --- fuzzed JSON bodies ---------------------------------------------------------------

# Any code point, with lone surrogates made common: JSON can carry them ("\ud800") though UTF-8 cannot.
ANY_TEXT = st.text(max_size=80) | st.lists(
    st.characters(exclude_categories=()) | st.characters(categories=["Cs"]), max_size=80).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=12,
)


def is_field(value: object, *, max_length: int | None = None) -> bool:
    """What the shop accepts as a field: a non-empty str that UTF-8 can encode."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return max_length is None or len(value) <= max_length


FIELD_VALUES = ANY_TEXT | JSON_VALUES  # a field is text half the time, anything JSON otherwise


@FUZZ
@given(body=JSON_VALUES
       | st.fixed_dictionaries({"user": FIELD_VALUES, "password": FIELD_VALUES})
       | st.fixed_dictionaries({"user": st.sampled_from(["alice", "bob", "user001"]), "password": FIELD_VALUES}),
       kind=st.sampled_from(sorted(STRATEGIES)))
def test_fuzzed_login_bodies(body: object, kind: str) -> None:
    r = raw(shop(kind), "POST", "/login", data=json.dumps(body), content_type="application/json")
    if body == ALICE:
        assert r.status_code == 200
    elif isinstance(body, dict) and is_field(body.get("user")) and is_field(body.get("password")):
        assert_json_error(r, 401)
    else:
        assert_json_error(r, 400)


@FUZZ
@given(body=JSON_VALUES | st.fixed_dictionaries({"item": FIELD_VALUES}), kind=st.sampled_from(sorted(STRATEGIES)))
def test_fuzzed_cart_bodies(body: object, kind: str) -> None:
    _, client, _ = logged_in(kind)
    r = client.post("/cart", data=json.dumps(body), content_type="application/json")
    if isinstance(body, dict) and is_field(body.get("item"), max_length=MAX_ITEM_LENGTH):
        assert r.status_code == 200
        assert r.json["cart"] == [body["item"]]
    else:
        assert_json_error(r, 400)
        assert client.get("/cart").json["cart"] == []


@FUZZ
@given(data=st.binary(max_size=300), path=st.sampled_from(["/login", "/cart"]))
def test_fuzzed_raw_bytes_never_500(data: bytes, path: str) -> None:
    for kind in STRATEGIES:
        _, client, _ = logged_in(kind)
        r = client.post(path, data=data, content_type="application/json")
        assert_json_error(r)


# --- routing --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nowhere", "/login/", "/cart/1", "/%00", "/" + "a" * 5000])
def test_unknown_route_is_json_404(kind: str, path: str) -> None:
    body = assert_json_error(raw(shop(kind), "GET", path), 404)
    assert body["error"] == "not found"


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/login", {"POST"}),
    ("DELETE", "/cart", {"GET", "POST"}),
    ("PUT", "/profile", {"GET"}),
    ("GET", "/logout", {"POST"}),
    ("POST", "/", {"GET"}),
])
def test_wrong_method_is_json_405_with_allow(kind: str, method: str, path: str, allowed: set[str]) -> None:
    r = raw(shop(kind), method, path)
    assert assert_json_error(r, 405)["error"] == "method not allowed"
    assert allowed <= {m.strip() for m in r.headers.get("Allow", "").split(",")}
