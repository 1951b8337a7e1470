"""Real processes for lesson 08 (labsupport.real): redis-server, gunicorn servers and nginx on 127.0.0.1.

Tests that start processes are skipped, with the install command as the reason, when a program
is missing. Apps under test live in tests/real/demo_apps.py. Every deployment here uses a
private base folder of this module, so leftover checks never see other runs.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from werkzeug.test import Client

from labsupport.errors import LabError, UnknownChoice, UnknownServer
from labsupport.real import (
    BadSetup,
    Deployment,
    MissingBinaries,
    Nginx,
    NotReady,
    RedisServer,
    RouteCookie,
    app_call,
    available,
    cleanup_leftovers,
    install_hint,
    nginx_config,
    procfs,
    require,
)
from labsupport.real import binaries as real_binaries
from labsupport.real import client as real_client
from labsupport.real.folder import DeploymentFolder

HERE = Path(__file__).parent
APPS = HERE / "real"
FOUND = available()
MISSING = [name for name, path in FOUND.items() if path is None]


def needs(*names: str) -> pytest.MarkDecorator:
    """Skip, with the install command as the reason, unless every program in ``names`` is installed."""
    missing = [name for name in names if FOUND[name] is None]
    return pytest.mark.skipif(bool(missing), reason=install_hint(missing) if missing else "")


needs_redis = needs("redis-server")
needs_programs = needs("redis-server", "gunicorn", "nginx")


@pytest.fixture(scope="module", autouse=True)
def apps_on_path() -> Iterator[None]:
    """gunicorn (a child process) imports the demo apps from tests/real."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(APPS), before]))
    yield
    if before is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = before


@pytest.fixture(scope="module")
def base_dir() -> Iterator[Path]:
    """A short private base folder for this module's deployments (Unix socket paths stay short)."""
    path = Path(tempfile.mkdtemp(prefix="lr-"))
    yield path
    left = [p for p in procfs.processes() if p.mentions(str(path))]
    cleanup_leftovers(path)
    shutil.rmtree(path, ignore_errors=True)
    assert left == [], f"processes outlived this module's deployments: {left}"


@pytest.fixture
def own_base_dir() -> Iterator[Path]:
    """A base folder for one test, for checks that look at everything under it."""
    path = Path(tempfile.mkdtemp(prefix="lr-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def leftovers(folder: Path, pids: list[int]) -> list[int]:
    """Live processes (any user) that mention ``folder`` or are among ``pids``."""
    return [p.pid for p in procfs.processes() if p.mentions(str(folder)) or p.pid in pids]


def all_pids(deployment: Deployment) -> list[int]:
    return sorted(pid for group in deployment.pids().values() for pid in group)


# --- without processes ------------------------------------------------------------------------

def test_available_names_the_three_programs_and_where_they_are() -> None:
    found = available()
    assert set(found) == {"redis-server", "gunicorn", "nginx"}
    for path in found.values():
        assert path is None or os.path.exists(path)


def test_a_missing_program_is_one_sentence_with_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(MissingBinaries) as caught:
        require(["nginx", "redis-server"], path=str(tmp_path))
    assert isinstance(caught.value, LabError)
    assert caught.value.names == ("nginx", "redis-server")
    assert str(caught.value) == "nginx and redis-server are not installed: sudo apt-get install -y nginx redis-server"
    assert install_hint(["gunicorn"]).startswith("gunicorn is not installed: ")
    assert install_hint(["gunicorn"]).endswith(" -m pip install gunicorn")


def test_a_deployment_checks_programs_before_it_starts_anything(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(real_binaries, "SBIN_DIRS", ())
    base = tmp_path / "base"
    with pytest.raises(MissingBinaries) as caught:
        Deployment(redis=True, base_dir=base).start()
    assert caught.value.names == ("redis-server",)
    assert not base.exists()


def test_nginx_is_found_in_sbin_when_path_lacks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    nginx = shutil.which("nginx", path=os.pathsep.join(real_binaries.SBIN_DIRS))
    if nginx is None:
        pytest.skip("nginx is not installed in an sbin folder")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert available()["nginx"] == nginx


def test_an_answer_cut_off_midway_is_an_oserror_like_no_answer() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def answer_half() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 81\r\n\r\n{\"cut")  # then it dies

        worker = threading.Thread(target=answer_half)
        worker.start()
        with pytest.raises(OSError, match="cut off"):
            real_client.request(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=5)
        worker.join()


def _flask_app() -> Flask:
    app = Flask("route-test")
    app.add_url_rule("/", "index", lambda: "hi")
    return app


def test_route_cookie_is_set_when_the_request_lacks_this_server_route() -> None:
    client = Client(RouteCookie(_flask_app(), "s2"))
    first = client.get("/")
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("route=s2;")
    assert {"HttpOnly", "Path=/", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}
    assert "Set-Cookie" not in client.get("/").headers  # the client now sends route=s2
    other = Client(RouteCookie(_flask_app(), "s3"))
    other.set_cookie("route", "s2")
    assert other.get("/").headers["Set-Cookie"].startswith("route=s3;")


@pytest.mark.parametrize("name", ["", "s 1", "s1;x", "a" * 33, None])
def test_route_cookie_refuses_unsafe_server_names(name: object) -> None:
    with pytest.raises(BadSetup):
        RouteCookie(_flask_app(), name)  # type: ignore[arg-type]


def test_app_call_passes_options_and_the_server_name_as_literals() -> None:
    assert (app_call("labsupport.serve:create_app", {"strategy": "store", "ttl": 60}, "s1")
            == "labsupport.serve:create_app(strategy='store', ttl=60, server='s1')")


@pytest.mark.parametrize("app, options", [
    ("labsupport.serve", {}),
    ("labsupport.serve:create_app()", {}),
    ("x:y; rm -rf /", {}),
    ("m:f", {"server": "s9"}),
    ("m:f", {"not an identifier": 1}),
    ("m:f", {"key": [1, 2]}),
    ("m:f", {"key": float("nan")}),
])
def test_app_call_refuses_what_gunicorn_could_not_call(app: str, options: dict[str, object]) -> None:
    with pytest.raises(BadSetup):
        app_call(app, options, "s1")  # type: ignore[arg-type]


def test_sticky_config_maps_the_route_cookie_with_the_other_servers_as_backups(tmp_path: Path) -> None:
    servers = {"s1": tmp_path / "s1.sock", "s2": tmp_path / "s2.sock"}
    text = nginx_config(folder=tmp_path, port=8123, servers=servers, routing="sticky", failover=True,
                        upstream_timeout=5)
    assert "map $cookie_route $sticky_backend {" in text
    assert "        s1 route_s1;" in text and "        default all_servers;" in text
    assert f"server unix:{tmp_path}/s2.sock max_fails=0 backup;" in text
    assert "proxy_pass http://$sticky_backend;" in text
    assert "proxy_next_upstream error timeout;" in text
    assert "listen 127.0.0.1:8123;" in text
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f"{kind}_temp_path {tmp_path}/nginx-temp/{kind};" in text
    assert ("user root " in text) == (os.geteuid() == 0)


def test_older_nginx_and_redis_get_only_options_they_know(tmp_path: Path) -> None:
    folder = DeploymentFolder(tmp_path)
    nginx = Nginx(folder, binary="nginx", servers={"s1": tmp_path / "s1.sock"})
    assert nginx.argv((1, 22, 1))[1:3] == ["-e", str(tmp_path / "nginx.log")]
    assert nginx.argv((1, 18, 0)) == ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    server = RedisServer(folder, binary="redis-server")
    server.version = (7, 0, 15)
    assert "proc-title-template" in server.config_text()
    server.version = (6, 0, 16)
    assert "proc-title-template" not in server.config_text()
    assert "port 0\n" in server.config_text() and 'save ""\n' in server.config_text()


def test_round_robin_config_without_failover(tmp_path: Path) -> None:
    text = nginx_config(folder=tmp_path, port=8123, servers={"s1": tmp_path / "s1.sock"},
                        routing="round-robin", failover=False, upstream_timeout=2.5)
    assert "map " not in text and "proxy_pass http://all_servers;" in text
    assert "proxy_next_upstream off;" in text and "proxy_read_timeout 2.5s;" in text
    with pytest.raises(UnknownChoice):
        nginx_config(folder=tmp_path, port=1, servers={}, routing="random", failover=True, upstream_timeout=1)


@pytest.mark.parametrize("options", [
    {"app": "m:f", "servers": 0},
    {"app": "m:f", "servers": 17},
    {"app": "m:f", "servers": True},
    {"servers": 2},
    {},
    {"redis": True, "ready_timeout": 0},
    {"redis": True, "upstream_timeout": "5"},
    {"app": "m:f", "threads": 0},
    {"app": "m:f", "app_options": {"key": object()}},
    {"app": "not an app"},
])
def test_deployment_refuses_setups_that_cannot_work(options: dict[str, object]) -> None:
    with pytest.raises(BadSetup):
        Deployment(**options)  # type: ignore[arg-type]


def test_deployment_refuses_an_unknown_routing() -> None:
    with pytest.raises(UnknownChoice):
        Deployment(app="m:f", routing="random")


def test_deployment_repr_is_stable() -> None:
    deployment = Deployment(app="m:f", servers=2, routing="sticky")
    assert repr(deployment) == "Deployment(app='m:f', servers=2, routing='sticky', redis=False, not started)"


# --- redis-server --------------------------------------------------------------------------------

@needs_redis
def test_redis_stop_kill_pause_resume_restart_without_persistence(base_dir: Path) -> None:
    with Deployment(redis=True, base_dir=base_dir) as deployment:
        server = deployment.redis
        assert server is not None and server.url.startswith("unix://")
        server.client().set("k", "v")
        server.pause()
        with pytest.raises(redis.TimeoutError):
            server.client(timeout=0.3).get("k")
        server.resume()
        assert server.client().get("k") == b"v"
        pid = server.pid
        server.kill()
        assert not server.running and pid is not None and procfs.read(pid) is None
        with pytest.raises(redis.ConnectionError):
            server.client().ping()
        server.start()
        assert server.client().get("k") is None  # no persistence: a crash loses everything
        server.client().set("k", "v")
        server.restart()
        assert server.client().get("k") is None  # ... and so does a graceful restart
        assert repr(server) == "RedisServer(running, appendonly=False)"


@needs_redis
def test_redis_with_appendonly_keeps_data_over_a_graceful_restart(base_dir: Path) -> None:
    with Deployment(redis=True, appendonly=True, redis_tcp=True, base_dir=base_dir) as deployment:
        server = deployment.redis
        assert server is not None and server.url.startswith("redis://127.0.0.1:")
        url = server.url
        server.client().set("k", "kept")
        server.restart()
        assert server.client().get("k") == b"kept"
        assert server.url == url  # same port after a restart


# --- gunicorn behind nginx -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def round_robin(base_dir: Path) -> Iterator[Deployment]:
    if MISSING:
        pytest.skip(install_hint(MISSING))
    with Deployment(app="demo_apps:memory_app", servers=3, base_dir=base_dir) as deployment:
        yield deployment


@needs_programs
def test_round_robin_spreads_requests_evenly_over_the_servers(round_robin: Deployment) -> None:
    served = Counter(round_robin.request("/").json()["server"] for _ in range(30))
    assert served == {"s1": 10, "s2": 10, "s3": 10}


@needs_programs
def test_each_server_has_its_own_memory(round_robin: Deployment) -> None:
    replies = [round_robin.request("/").json() for _ in range(6)]
    counts: dict[str, list[int]] = {}
    for reply in replies:
        counts.setdefault(reply["server"], []).append(reply["count"])
    assert len(counts) == 3
    for server, seen in counts.items():
        assert seen[1] == seen[0] + 1  # each process counts only what it served itself
        assert round_robin.server(server).request("/").json()["count"] == seen[1] + 1  # straight to its socket
    assert len({reply["pid"] for reply in replies}) == 3


@needs_programs
def test_a_32_kib_body_passes_through_nginx(round_robin: Deployment) -> None:
    body = os.urandom(32 * 1024)  # over nginx's 16 KiB buffer: written to its client_body temp folder
    reply = round_robin.request("/echo", method="POST", body=body)
    assert reply.status == 200
    assert reply.json()["length"] == len(body)
    assert reply.json()["sha256"] == hashlib.sha256(body).hexdigest()


@needs_programs
def test_servers_never_inherit_the_notebooks_redis_url(base_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://notebook-redis.invalid:6379/0")
    with Deployment(app="demo_apps:memory_app", servers=1, base_dir=base_dir) as alone:
        assert alone.request("/redis-url").json()["redis_url"] is None
    with Deployment(app="demo_apps:memory_app", servers=1, redis=True, base_dir=base_dir) as with_redis:
        assert with_redis.redis is not None
        assert with_redis.request("/redis-url").json()["redis_url"] == with_redis.redis.url


@needs_programs
def test_servers_and_pids_are_reported(round_robin: Deployment) -> None:
    pids = round_robin.pids()
    assert list(pids) == ["s1", "s2", "s3", "nginx"]
    for name in ("s1", "s2", "s3"):
        server = round_robin.server(name)
        assert server.master_pid is not None and server.worker_pid is not None
        assert pids[name] == sorted([server.master_pid, server.worker_pid])
        assert procfs.children(server.master_pid)[0].pid == server.worker_pid
    assert len(pids["nginx"]) == 2  # master and one worker
    with pytest.raises(UnknownServer):
        round_robin.server("s9")


@needs_programs
def test_a_killed_worker_is_respawned_empty_by_its_master(round_robin: Deployment) -> None:
    server = round_robin.server("s3")
    first = server.request("/").json()["count"]
    assert server.request("/").json()["count"] == first + 1
    master, worker = server.master_pid, server.worker_pid
    assert server.kill_worker() == worker
    assert server.master_pid == master and server.worker_pid not in (None, worker)
    reply = server.request("/").json()
    assert reply["count"] == 1 and reply["pid"] == server.worker_pid  # a fresh worker: empty memory
    server.restart()
    assert server.master_pid != master and server.request("/").json()["count"] == 1
    served = Counter(round_robin.request("/").json()["server"] for _ in range(6))
    assert served == {"s1": 2, "s2": 2, "s3": 2}  # back in the rotation


@needs_programs
def test_nginx_restarts_on_the_same_port(round_robin: Deployment) -> None:
    balancer = round_robin.balancer
    assert balancer is not None
    url, pid = round_robin.url, balancer.pid
    balancer.restart()
    assert round_robin.url == url and balancer.pid != pid
    assert round_robin.request("/").status == 200
    assert repr(balancer) == "Nginx(routing='round-robin', failover=True, running)"


@pytest.fixture(scope="module")
def sticky(base_dir: Path) -> Iterator[Deployment]:
    if MISSING:
        pytest.skip(install_hint(MISSING))
    with Deployment(app="demo_apps:memory_app", servers=2, routing="sticky", base_dir=base_dir) as deployment:
        yield deployment


@needs_programs
def test_sticky_routing_follows_the_route_cookie(sticky: Deployment) -> None:
    fresh = [sticky.request("/") for _ in range(4)]
    assert Counter(reply.json()["server"] for reply in fresh) == {"s1": 2, "s2": 2}  # no cookie: round robin
    for reply in fresh:
        assert reply.set_cookies() == {"route": reply.json()["server"]}
    kept = [sticky.request("/", headers={"Cookie": "route=s2"}) for _ in range(8)]
    assert {reply.json()["server"] for reply in kept} == {"s2"}
    counts = [reply.json()["count"] for reply in kept]
    assert counts == list(range(counts[0], counts[0] + 8))  # one memory, kept between requests
    assert all(reply.set_cookies() == {} for reply in kept)


@needs_programs
def test_a_killed_server_loses_its_memory_and_its_users_move_on(sticky: Deployment) -> None:
    user = {"Cookie": "route=s1"}
    counts = [sticky.request("/", headers=user).json()["count"] for _ in range(3)]
    assert counts[1:] == [counts[0] + 1, counts[0] + 2]
    s1 = sticky.server("s1")
    group = sticky.pids()["s1"]
    s1.kill()  # the master and its worker, at once
    assert not s1.running and s1.worker_pid is None
    assert [pid for pid in group if procfs.read(pid) is not None] == []
    with socket.socket(socket.AF_UNIX) as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(str(s1.socket))  # nothing can take a request in any more: a POST fails over too
    moved = sticky.request("/", headers=user)
    assert moved.status == 200 and moved.json()["server"] == "s2"
    assert moved.set_cookies() == {"route": "s2"}  # a new server: with in-memory sessions, logged out
    assert sticky.request("/", headers={"Cookie": "route=s2"}).json()["server"] == "s2"
    s1.start()
    back = sticky.request("/", headers=user).json()
    assert back["server"] == "s1" and back["count"] == 1  # a restarted server starts empty
    assert back["pid"] not in group


@needs_programs
def test_without_failover_a_dead_server_answers_502_at_once(base_dir: Path) -> None:
    with Deployment(app="demo_apps:memory_app", servers=2, failover=False, base_dir=base_dir) as deployment:
        deployment.server("s2").kill()
        started = time.monotonic()
        statuses = Counter(deployment.request("/").status for _ in range(4))
        assert statuses == {200: 2, 502: 2}
        assert time.monotonic() - started < 2.0


@needs_programs
def test_a_store_backed_app_survives_a_killed_server(base_dir: Path) -> None:
    with Deployment(app="demo_apps:redis_app", servers=2, redis=True, base_dir=base_dir) as deployment:
        before = [deployment.request("/").json() for _ in range(4)]
        assert [reply["count"] for reply in before] == [1, 2, 3, 4]
        assert {reply["server"] for reply in before} == {"s1", "s2"}
        deployment.server("s1").kill()
        after = [deployment.request("/") for _ in range(4)]
        assert [reply.status for reply in after] == [200] * 4
        assert [reply.json()["count"] for reply in after] == [5, 6, 7, 8]  # nothing lost: the state is in Redis
        assert {reply.json()["server"] for reply in after} == {"s2"}
        folder, pids = deployment.path, all_pids(deployment)
        assert len(pids) == 5  # redis, s2's master and worker, nginx's master and worker
        assert leftovers(folder, []) and set(leftovers(folder, [])) <= set(pids)
    assert leftovers(folder, pids) == []  # a normal exit leaves nothing running ...
    assert not folder.exists()  # ... and no folder


# --- readiness -------------------------------------------------------------------------------------

@needs_programs
def test_an_app_that_cannot_start_fails_fast_with_its_log(own_base_dir: Path) -> None:
    started = time.monotonic()
    with pytest.raises(NotReady) as caught:
        Deployment(app="demo_apps:broken_app", servers=1, base_dir=own_base_dir).start()
    assert time.monotonic() - started < 15
    assert caught.value.name == "s1" and "exited with code" in str(caught.value)
    assert "refuses to start" in caught.value.log_tail
    assert not [p for p in procfs.processes() if p.mentions(str(own_base_dir))]


@needs_programs
def test_an_app_that_does_not_answer_in_time_is_stopped(own_base_dir: Path) -> None:
    started = time.monotonic()
    with pytest.raises(NotReady) as caught:
        Deployment(app="demo_apps:slow_app", servers=1, ready_timeout=2, base_dir=own_base_dir).start()
    assert time.monotonic() - started < 10
    assert "did not answer HTTP on its socket within 2 s" in str(caught.value)
    assert not [p for p in procfs.processes() if p.mentions(str(own_base_dir))]


# --- cleanup -----------------------------------------------------------------------------------------

@needs_programs
def test_nothing_is_left_after_an_exception_inside_the_with(base_dir: Path) -> None:
    with pytest.raises(RuntimeError, match="a failing cell"):
        with Deployment(app="demo_apps:memory_app", servers=1, redis=True, base_dir=base_dir) as deployment:
            folder, pids = deployment.path, all_pids(deployment)
            raise RuntimeError("a failing cell")
    assert leftovers(folder, pids) == []
    assert not folder.exists()


def _leave_running(base_dir: Path, ending: str) -> dict[str, object]:
    result = subprocess.run([sys.executable, str(APPS / "leave_running.py"), str(base_dir), ending],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout, result.stderr
    data: dict[str, object] = json.loads(result.stdout.splitlines()[0])
    return data


@needs_programs
def test_a_python_that_ends_without_closing_is_cleaned_up_by_atexit(base_dir: Path) -> None:
    left = _leave_running(base_dir, "exit")
    folder, pids = Path(str(left["folder"])), list(left["pids"])  # type: ignore[call-overload]
    assert len(pids) == 5
    assert leftovers(folder, pids) == []
    assert not folder.exists()


@needs_programs
def test_processes_of_a_killed_python_are_cleaned_by_the_next_start(base_dir: Path) -> None:
    left = _leave_running(base_dir, "killed")
    folder, pids = Path(str(left["folder"])), list(left["pids"])  # type: ignore[call-overload]
    assert sorted(leftovers(folder, pids)) == sorted(pids)  # still running: nobody stopped them
    with Deployment(redis=True, base_dir=base_dir) as deployment:
        assert leftovers(folder, pids) == []
        assert not folder.exists()
        assert cleanup_leftovers(base_dir) == []  # a live owner's deployment is left alone
        assert deployment.redis is not None and deployment.redis.client().ping()


# --- as an unprivileged user -----------------------------------------------------------------------

def _runuser_prefix() -> list[str]:
    """How to run a command as ``nobody`` from root, or a skip when that cannot work here."""
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("runuser is missing (util-linux): cannot switch to an unprivileged user")
    env = ["env", f"PYTHONPATH={os.environ['PYTHONPATH']}", "HOME=/tmp", "TMPDIR=/tmp"]
    prefix = [runuser, "-u", "nobody", "--", *env, sys.executable]
    finds = "import importlib.util as u, sys; sys.exit(not (u.find_spec('labsupport') and u.find_spec('gunicorn')))"
    probe = subprocess.run([*prefix, "-c", finds], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"user nobody cannot run this Python with labsupport and gunicorn ({sys.executable}): "
                    "run the tests from a venv every user can read, e.g. made with /usr/bin/python3")
    return prefix


@needs_programs
def test_a_deployment_runs_as_an_unprivileged_user() -> None:
    script = str(APPS / "unprivileged_check.py")
    if os.geteuid() == 0:
        result = subprocess.run([*_runuser_prefix(), script], capture_output=True, text=True, timeout=90)
    else:
        result = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["uid"] != 0
    assert seen["process_uids"] == [seen["uid"]]
    assert seen["servers"] == ["s1", "s1"]
    assert seen["echo_ok"] is True
    assert seen["nginx_user_line"] is False
    assert seen["leftovers"] == [] and seen["folder_exists"] is False
