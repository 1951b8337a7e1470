"""The simulated users' browser sends and keeps cookies exactly as werkzeug's test Client does."""
from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.test import Client

from labsupport.browser import Browser


def cookie_app() -> Flask:
    app = Flask("cookies")

    @app.route("/set/<name>/<value>", methods=["GET", "POST"])
    def set_cookie(name: str, value: str):  # type: ignore[no-untyped-def]
        response = jsonify(seen=request.headers.get("Cookie"), body=request.get_json(silent=True))
        response.set_cookie(name, value, path=request.args.get("path", "/"), httponly=True, samesite="Lax")
        return response

    @app.get("/drop/<name>")
    def drop(name: str):  # type: ignore[no-untyped-def]
        response = jsonify(seen=request.headers.get("Cookie"))
        response.delete_cookie(name, path=request.args.get("path", "/"))
        return response

    @app.get("/echo/<path:rest>")
    def echo(rest: str):  # type: ignore[no-untyped-def]
        return jsonify(seen=request.headers.get("Cookie"), address=request.remote_addr,
                       auth=request.headers.get("Authorization"), query=request.args.get("q"))

    return app


STEPS = [("GET", "/set/a/1"), ("GET", "/set/b/2?path=/echo/deep"), ("GET", "/echo/x"), ("GET", "/echo/deep/y"),
         ("POST", "/set/a/3"), ("GET", "/drop/b?path=/echo/deep"), ("GET", "/echo/deep/y"), ("GET", "/drop/a"),
         ("GET", "/echo/z")]


def test_the_browser_keeps_and_sends_cookies_as_werkzeugs_client_does() -> None:
    app = cookie_app()
    browser, client = Browser(app, address="2001:db8::1"), Client(app)
    for method, path in STEPS:
        ours = browser.send(method, path)
        theirs = client.open(path, method=method, environ_base={"REMOTE_ADDR": "2001:db8::1"})
        assert (ours.status_code, ours.get_json()) == (theirs.status_code, theirs.get_json()), path
        assert ours.headers.getlist("Set-Cookie") == theirs.headers.getlist("Set-Cookie")
        assert {k: c.value for k, c in browser._cookies.items()} == {k: c.value for k, c in client._cookies.items()}


def test_the_browser_sends_json_headers_its_address_and_a_query() -> None:
    browser = Browser(cookie_app(), address="2001:db8::7")
    body = browser.send("POST", "/set/k/v", json={"item": "tea"}).get_json()
    assert body == {"seen": None, "body": {"item": "tea"}}
    answer = browser.send("GET", "/echo/p?q=42", headers={"Authorization": "Bearer t"}).get_json()
    assert answer == {"seen": "k=v", "address": "2001:db8::7", "auth": "Bearer t", "query": "42"}
    assert browser.get_cookie("k").http_only and browser.get_cookie("k").same_site == "Lax"
    browser.set_cookie("planted", "x")
    assert browser.send("GET", "/echo/q").get_json()["seen"] == "k=v; planted=x"
    assert repr(browser).startswith("Browser(2001:db8::7 -> <Flask 'cookies'>")


def test_the_path_and_the_content_headers_reach_flask_as_through_werkzeugs_client() -> None:
    app = Flask("paths")

    @app.route("/<path:rest>", methods=["GET", "POST"])
    def seen(rest: str):  # type: ignore[no-untyped-def]
        return jsonify(path=request.path, rest=rest, mimetype=request.mimetype, length=request.content_length)

    browser, client = Browser(app, address="192.0.2.1"), Client(app)
    for path, headers in [("/caf%C3%A9/a%20b", {}), ("/plain", {"Content-Type": "text/plain"})]:
        ours = browser.send("POST", path, headers=headers).get_json()
        theirs = client.post(path, headers=headers).get_json()
        assert ours == theirs, path
    assert browser.send("GET", "/caf%C3%A9").get_json()["path"] == "/café"
