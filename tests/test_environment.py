"""Lesson 00's environment check: the rows it reports, and that a bad REDIS_URL is a row, not a hang or a crash."""
from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator

import fakeredis
import pytest

from labsupport import environment
from labsupport.environment import PACKAGES, check_environment, mask_url, package_row, python_row
from labsupport.tables import Table

STORE_ROWS = ("session store", "embedded store (fakeredis)", "simulated time (time-machine)")


def by_check(table: Table) -> dict[str, dict[str, object]]:
    return {row["check"]: row for row in table.rows}


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel's backlog) but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        yield s.getsockname()[1]


@pytest.fixture
def tcp_fake_redis() -> Iterator[int]:
    """A Redis-speaking server on 127.0.0.1 (fakeredis over TCP) for the answering case."""
    server = fakeredis.TcpFakeServer(("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_table_has_every_row_with_check_result_ok(embedded: None) -> None:
    table = check_environment()
    assert table.columns == ["check", "result", "ok"]
    checks = table.column("check")
    assert checks[0] == "Python (3.11 or newer)"
    for name in (*PACKAGES, "widgets (ipywidgets in a kernel)", *STORE_ROWS):
        assert name in checks
    assert "Redis PING" not in checks
    assert all(isinstance(ok, bool) for ok in table.column("ok"))
    assert table.title is not None and table.title.startswith("Environment check (lesson 00)")


def test_python_row_is_major_minor_only(embedded: None) -> None:
    row = by_check(check_environment())["Python (3.11 or newer)"]
    assert re.fullmatch(r"\d+\.\d+", str(row["result"]))
    assert row["ok"] is True


def test_python_row_flags_an_old_python() -> None:
    assert python_row((3, 10, 12))["ok"] is False
    assert "3.11 or newer" in python_row((3, 10, 12))["result"]
    assert python_row((3, 13, 0)) == {"check": "Python (3.11 or newer)", "result": "3.13", "ok": True}


def test_package_versions_come_from_metadata(embedded: None) -> None:
    rows = by_check(check_environment())
    for name in PACKAGES:
        assert rows[name]["ok"] is True
        assert re.fullmatch(r"\d+(\.\d+)+", str(rows[name]["result"])), rows[name]


def test_a_missing_package_is_a_row_with_a_fix() -> None:
    row = package_row("labsupport-no-such-distribution")
    assert row["ok"] is False
    assert "course.sh" in row["result"]


def test_embedded_store_rows_ok_without_redis_url(embedded: None) -> None:
    rows = by_check(check_environment())
    assert rows["session store"] == {"check": "session store",
                                     "result": "embedded (fakeredis): REDIS_URL is not set", "ok": True}
    assert rows["embedded store (fakeredis)"]["ok"] is True
    assert rows["simulated time (time-machine)"]["ok"] is True


def test_the_check_leaves_the_clock_alone(embedded: None) -> None:
    before = time.time()
    check_environment()
    assert abs(time.time() - before) < 60


def test_output_repeats_exactly(embedded: None) -> None:
    assert repr(check_environment()) == repr(check_environment())
    assert check_environment()._repr_html_() == check_environment()._repr_html_()


def test_outside_a_kernel_widgets_are_not_live(embedded: None) -> None:
    row = by_check(check_environment())["widgets (ipywidgets in a kernel)"]
    assert environment.in_kernel() is False
    assert row["ok"] is False
    assert "JupyterLab" in row["result"]


def test_unreachable_redis_is_a_failed_row_within_two_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    started = time.perf_counter()
    table = check_environment()
    assert time.perf_counter() - started < 2.0
    rows = by_check(table)
    assert rows["session store"]["ok"] is False
    assert rows["session store"]["result"].startswith("real Redis at redis://127.0.0.1:")
    assert rows["Redis PING"]["ok"] is False
    assert "fix:" in rows["Redis PING"]["result"]
    assert "unset REDIS_URL" in rows["Redis PING"]["result"]
    assert rows["embedded store (fakeredis)"]["ok"] is True
    assert "failed" in str(table.title)


def test_a_silent_server_times_out_after_about_a_second(monkeypatch: pytest.MonkeyPatch, silent_server: int) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{silent_server}")
    started = time.perf_counter()
    rows = by_check(check_environment())
    assert time.perf_counter() - started < 2.5
    assert rows["Redis PING"]["ok"] is False
    assert "Timeout" in rows["Redis PING"]["result"]


def test_a_malformed_url_is_a_failed_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "localhost:6379")
    rows = by_check(check_environment())
    assert rows["Redis PING"]["ok"] is False
    assert "not a usable Redis URL" in rows["Redis PING"]["result"]


def test_an_answering_redis_is_ok(monkeypatch: pytest.MonkeyPatch, tcp_fake_redis: int) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{tcp_fake_redis}/0")
    table = check_environment()
    rows = by_check(table)
    assert rows["session store"] == {"check": "session store",
                                     "result": f"real Redis at redis://127.0.0.1:{tcp_fake_redis}/0", "ok": True}
    assert rows["Redis PING"] == {"check": "Redis PING", "result": "answered within 1 s", "ok": True}


def test_a_password_in_the_url_is_masked_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://learner:s3cret-pw@127.0.0.1:{closed_port()}/0")
    table = check_environment()
    shown = repr(table) + table._repr_html_()
    assert "s3cret-pw" not in shown
    assert "redis://learner:***@127.0.0.1:" in by_check(table)["session store"]["result"]


@pytest.mark.parametrize(("url", "masked"), [
    ("redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
    ("redis://user:p%40ss@host:6379", "redis://user:***@host:6379"),
    ("rediss://user:pa:ss@host:6380/1", "rediss://user:***@host:6380/1"),
    ("redis://host:6379/0?password=zz&db=1", "redis://host:6379/0?password=***&db=1"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ("unix:///run/redis.sock?db=0", "unix:///run/redis.sock?db=0"),
])
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_url_never_raises() -> None:
    assert mask_url("http://[::1") == "<a URL that cannot be parsed>"


def test_mask_url_keeps_a_unix_socket_path() -> None:
    assert mask_url("unix:///run/redis.sock?db=0&password=pw") == "unix:///run/redis.sock?db=0&password=***"
