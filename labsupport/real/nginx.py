"""``Nginx``: the load balancer of lesson 08, in front of the gunicorn servers' Unix sockets.

Routing is ``round-robin`` or ``sticky``. Sticky uses the ``route`` cookie each server sets
(``RouteCookie``): ``map $cookie_route $sticky_backend`` sends a client that carries
``route=s2`` to an upstream whose primary is s2; a client without the cookie gets round robin.

What a dead server looks like is ``failover``'s choice:

- ``failover=True`` (the default, what production balancers do): a server whose socket
  refuses the connection, or that does not answer within ``upstream_timeout``, is skipped
  and the request goes to the next one (``proxy_next_upstream error timeout``). A sticky
  user of a killed server lands on another server (its ``backup`` entries) and gets that
  server's route cookie: with in-memory sessions, that user is logged out; with stateless
  sessions nothing visible happens. ``max_fails=0`` keeps nginx from benching a server,
  so a restarted server gets traffic with the very next request.
- ``failover=False``: every request routed to a dead server fails at once with 502.

A refused Unix-socket connection fails in microseconds, so neither choice hangs; a paused
server costs at most ``upstream_timeout`` seconds per request.
"""
from __future__ import annotations

import grp
import os
import pwd
import signal
from collections.abc import Mapping
from pathlib import Path

from ..errors import UnknownChoice
from .app_server import PROBE_PATH
from .binaries import program_version
from .client import Reply, request
from .errors import NotReady
from .folder import DeploymentFolder
from .ports import ATTEMPTS, BUSY, HOST, free_port
from .process import ManagedProcess

ROUTINGS = ("round-robin", "sticky")
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
"""Every nginx ``*_temp_path``: all are created at start, so all must be in the deployment folder."""
PROBE_TIMEOUT = 2.0


def nginx_user_line() -> str:
    """The ``user`` directive: only as root, naming root's own user and group.

    nginx started by root would drop its worker to ``nobody``, who cannot enter the private
    deployment folder (its sockets and temp folders: request bodies over 16 KiB are buffered
    to a file there). A normal user's nginx cannot switch users, so the line is left out.
    """
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"


def _upstream(name: str, primary: list[Path], backup: list[Path]) -> list[str]:
    lines = [f"    upstream {name} {{"]
    lines += [f"        server unix:{socket} max_fails=0;" for socket in primary]
    lines += [f"        server unix:{socket} max_fails=0 backup;" for socket in backup]
    return [*lines, "    }"]


def nginx_config(*, folder: Path, port: int, servers: Mapping[str, Path], routing: str,
                 failover: bool, upstream_timeout: float) -> str:
    """The nginx.conf for ``servers`` (name to Unix socket), listening on 127.0.0.1:``port``."""
    if routing not in ROUTINGS:
        raise UnknownChoice("routing", routing, list(ROUTINGS))
    sockets = list(servers.values())
    timeout = f"{upstream_timeout:g}s"
    lines = [
        "# nginx for one labsupport.real deployment (lesson 08); generated.",
        "worker_processes 1;",
        "daemon off;",
        f"pid {folder}/nginx.pid;",
        f"error_log {folder}/nginx.log notice;",
        nginx_user_line(),
        "events {",
        "    worker_connections 512;",
        "}",
        "http {",
        f"    access_log {folder}/nginx-access.log;",
        *(f"    {kind}_temp_path {folder}/nginx-temp/{kind};" for kind in TEMP_PATHS),
        *_upstream("all_servers", sockets, []),
    ]
    if routing == "sticky":
        for name, socket in servers.items():
            lines += _upstream(f"route_{name}", [socket], [s for s in sockets if s != socket])
        lines += ["    map $cookie_route $sticky_backend {", "        default all_servers;"]
        lines += [f"        {name} route_{name};" for name in servers]
        lines += ["    }"]
    target = "$sticky_backend" if routing == "sticky" else "all_servers"
    lines += [
        "    server {",
        f"        listen {HOST}:{port};",
        "        location / {",
        f"            proxy_pass http://{target};",
        "            proxy_set_header Host $http_host;",
        "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "            proxy_set_header X-Forwarded-Proto $scheme;",
        f"            proxy_connect_timeout {timeout};",
        f"            proxy_send_timeout {timeout};",
        f"            proxy_read_timeout {timeout};",
        f"            proxy_next_upstream {'error timeout' if failover else 'off'};",
        f"            proxy_next_upstream_timeout {timeout};",
        "        }",
        "    }",
        "}",
    ]
    return "\n".join(line for line in lines if line) + "\n"


class Nginx:
    """nginx (one master, one worker) balancing over the servers' sockets, on a free 127.0.0.1 port."""

    def __init__(self, folder: DeploymentFolder, *, binary: str, servers: Mapping[str, Path],
                 routing: str = "round-robin", failover: bool = True, upstream_timeout: float = 5.0) -> None:
        if routing not in ROUTINGS:
            raise UnknownChoice("routing", routing, list(ROUTINGS))
        self.folder = folder
        self.servers = dict(servers)
        self.routing = routing
        self.failover = failover
        self.upstream_timeout = upstream_timeout
        self.config = folder.file("nginx.conf")
        self.port: int | None = None
        self.binary = binary
        self._process = ManagedProcess("nginx", [], folder=folder)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: where clients send their requests."""
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The nginx master's pid (and process group) while it runs."""
        return self._process.pid

    @property
    def running(self) -> bool:
        """True while the nginx master runs."""
        return self._process.running

    def config_text(self) -> str:
        """The nginx.conf this balancer runs with."""
        return nginx_config(folder=self.folder.path, port=self.port or 0, servers=self.servers,
                            routing=self.routing, failover=self.failover, upstream_timeout=self.upstream_timeout)

    def argv(self, version: tuple[int, ...]) -> list[str]:
        """nginx's command line; ``-e`` (1.19.5+) keeps even its first log lines out of /var/log/nginx."""
        early_log = ["-e", str(self.folder.file("nginx.log"))] if version >= (1, 19, 5) else []
        return [self.binary, *early_log, "-p", str(self.folder.path), "-c", str(self.config)]

    def _answers(self) -> bool:
        try:
            request(self.url + PROBE_PATH, timeout=PROBE_TIMEOUT)
        except OSError:
            return False
        return True

    def start(self, *, timeout: float = 10.0) -> None:
        """Start nginx and wait until it answers HTTP; a port taken meanwhile is replaced by a new one."""
        self.folder.file("nginx-temp").mkdir(mode=0o700, exist_ok=True)
        self._process.argv = self.argv(program_version([self.binary, "-v"]))
        for attempt in range(ATTEMPTS):
            if self.port is None or attempt > 0:
                self.port = free_port()
            self.config.write_text(self.config_text())
            self._process.start()
            try:
                self._process.wait_until(self._answers, what="answer HTTP", timeout=timeout)
                return
            except NotReady as error:
                if not (BUSY in error.log_tail and attempt + 1 < ATTEMPTS):
                    raise

    def request(self, target: str = "/", *, method: str = "GET", headers: Mapping[str, str] | None = None,
                body: bytes | None = None, timeout: float = 10.0) -> Reply:
        """Send one request through the balancer."""
        return request(self.url + target, method=method, headers=headers, body=body, timeout=timeout)

    def stop(self) -> None:
        """Graceful shutdown (SIGQUIT: requests in flight finish)."""
        self._process.stop(signal.SIGQUIT, timeout=5.0)

    def kill(self) -> None:
        """SIGKILL master and worker together."""
        self._process.kill()

    def restart(self, *, timeout: float = 10.0) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start(timeout=timeout)

    def log_tail(self, lines: int = 20) -> str:
        """The end of nginx's error log."""
        return self._process.log_tail(lines)

    def __repr__(self) -> str:
        return f"Nginx(routing={self.routing!r}, failover={self.failover}, {'running' if self.running else 'stopped'})"
