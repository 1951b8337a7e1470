"""``Deployment``: redis-server, N gunicorn servers and nginx on 127.0.0.1, started and stopped together.

Lesson 08 runs the course's shop as real processes::

    with real.Deployment(app="labsupport.serve:create_app", app_options={"strategy": "memory"},
                         servers=3, routing="sticky") as d:
        d.request("/")              # through nginx
        d.server("s1").kill()       # a crashed server

Everything is stopped by pid when the ``with`` block ends (also on an exception), at exit of
the Python process (``atexit``), and, if that Python was killed, by the next deployment's
``cleanup_leftovers()``.
"""
from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from ..errors import UnknownChoice, UnknownServer
from ..settings import REDIS_URL_VARIABLE
from . import procfs
from .app_server import AppServer, OptionValue, app_call, check_threads
from .binaries import require
from .client import Reply
from .errors import BadSetup, RealProcessError
from .folder import DeploymentFolder, cleanup_leftovers
from .nginx import ROUTINGS, Nginx
from .redis_server import RedisServer

MAX_SERVERS = 16

_open_deployments: set[Deployment] = set()
"""Deployments started and not closed yet in this Python: the ``atexit`` guard closes them."""
_atexit_registered = False


def _close_open_deployments() -> None:
    for deployment in list(_open_deployments):
        if deployment.owner_pid == os.getpid():  # a forked child exiting must not stop its parent's processes
            deployment.close()


def _guard(deployment: Deployment) -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(_close_open_deployments)
        _atexit_registered = True
    _open_deployments.add(deployment)


class Deployment:
    """Real processes for one experiment, each with its pid file and log in one private folder.

    ``app`` is a factory as ``module:function``; server ``sN`` runs
    ``module:function(**app_options, server="sN")`` under gunicorn (one worker,
    ``threads`` threads), on a Unix socket. With ``redis=True`` a redis-server starts first
    and every server gets its URL in ``REDIS_URL``; without it the servers get no ``REDIS_URL`` at all
    (not the notebook's), so a store strategy keeps a private embedded store in each process. nginx balances over the servers
    (``routing``: ``"round-robin"`` or ``"sticky"``; ``failover``: see ``labsupport.real.nginx``).
    ``env`` adds environment variables for the servers. Every start waits until the process
    answers, at most ``ready_timeout`` seconds.
    """

    def __init__(self, *, app: str | None = None, app_options: Mapping[str, OptionValue] | None = None,
                 servers: int | None = None, routing: str = "round-robin", failover: bool = True,
                 redis: bool = False, appendonly: bool = False, redis_tcp: bool = False, threads: int = 4,
                 env: Mapping[str, str] | None = None, ready_timeout: float = 20.0,
                 upstream_timeout: float = 5.0, base_dir: Path | None = None) -> None:
        count = (3 if app is not None else 0) if servers is None else servers
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_SERVERS:
            raise BadSetup(f"servers={servers!r} must be a whole number from 1 to {MAX_SERVERS}")
        if (app is None) != (count == 0):
            raise BadSetup("give an app and at least one server, or neither (a lone redis-server)")
        if app is None and not redis:
            raise BadSetup("nothing to run: give an app (gunicorn servers behind nginx), redis=True, or both")
        if routing not in ROUTINGS:
            raise UnknownChoice("routing", routing, list(ROUTINGS))
        for timeout in (ready_timeout, upstream_timeout):
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
                raise BadSetup("ready_timeout and upstream_timeout must be seconds between 0 and 600")
        if app is not None:
            app_call(app, dict(app_options or {}), "s1")  # refuses a bad app or option now, not mid-start
        check_threads(threads)
        self.app = app
        self.app_options = dict(app_options or {})
        self.server_count = count
        self.routing = routing
        self.failover = failover
        self.use_redis = redis
        self.appendonly = appendonly
        self.redis_tcp = redis_tcp
        self.threads = threads
        self.env = dict(env or {})
        self.ready_timeout = ready_timeout
        self.upstream_timeout = upstream_timeout
        self.base_dir = base_dir
        self.folder: DeploymentFolder | None = None
        self.redis: RedisServer | None = None
        self.servers: dict[str, AppServer] = {}
        self.balancer: Nginx | None = None
        self.owner_pid: int | None = None
        self._closed = False

    def programs(self) -> list[str]:
        """The programs this deployment runs."""
        return [*(["redis-server"] if self.use_redis else []), *(["gunicorn", "nginx"] if self.app else [])]

    def start(self) -> Deployment:
        """Clean up what killed Pythons left, then start redis, the servers, nginx; each answers before the next.

        Raises ``MissingBinaries`` before starting anything when a program is not installed, and
        ``NotReady`` (with the log tail) when one does not answer; either way nothing stays running.
        """
        if self.folder is not None or self._closed:
            raise RealProcessError("a Deployment starts once; make a new one to start again")
        paths = require(self.programs())
        cleanup_leftovers(self.base_dir)
        self.folder = DeploymentFolder.create(self.base_dir)
        self.owner_pid = os.getpid()
        _guard(self)
        try:
            self._start_all(paths)
        except BaseException:
            self.close()
            raise
        return self

    def _start_all(self, paths: Mapping[str, str]) -> None:
        folder = self.folder
        if folder is None:
            raise RealProcessError("the deployment folder is missing")
        # The notebook's own REDIS_URL is not passed on: servers use this deployment's redis-server or none.
        env = {**{k: v for k, v in os.environ.items() if k != REDIS_URL_VARIABLE}, **self.env}
        if self.use_redis:
            self.redis = RedisServer(folder, binary=paths["redis-server"], appendonly=self.appendonly,
                                     tcp=self.redis_tcp)
            self.redis.start(timeout=self.ready_timeout)
            env[REDIS_URL_VARIABLE] = self.redis.url
        if self.app is None:
            return
        for number in range(1, self.server_count + 1):
            name = f"s{number}"
            self.servers[name] = AppServer(name, app=self.app, app_options=self.app_options, folder=folder,
                                           threads=self.threads, env=env)
        for server in self.servers.values():  # boot all at once: they import the app in parallel
            server.start(wait=False)
        for server in self.servers.values():
            server.wait_ready(timeout=self.ready_timeout)
        self.balancer = Nginx(folder, binary=paths["nginx"], routing=self.routing, failover=self.failover,
                              upstream_timeout=self.upstream_timeout,
                              servers={name: server.socket for name, server in self.servers.items()})
        self.balancer.start(timeout=self.ready_timeout)

    def close(self) -> None:
        """Stop nginx, the servers, then redis (gracefully, SIGKILL after a bound), and remove the folder.

        Safe to call again; if it is interrupted, the folder and its record stay, so a later
        ``close()``, the ``atexit`` guard or ``cleanup_leftovers()`` finishes the job.
        """
        if self._closed:
            return
        if self.balancer is not None:
            self.balancer.stop()
        for server in self.servers.values():
            server.stop(wait=False)
        for server in self.servers.values():
            server.wait_stopped()
        if self.redis is not None:
            self.redis.stop()
        self._closed = True
        _open_deployments.discard(self)
        if self.folder is not None:
            self.folder.remove()

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    @property
    def path(self) -> Path:
        """The deployment folder: configs, sockets, pid files, logs."""
        if self.folder is None:
            raise RealProcessError("the deployment has not started")
        return self.folder.path

    @property
    def url(self) -> str:
        """Where clients send requests: nginx on ``http://127.0.0.1:<port>``."""
        if self.balancer is None:
            raise RealProcessError("this deployment has no load balancer (no app) or has not started")
        return self.balancer.url

    def server(self, name: str) -> AppServer:
        """The gunicorn server called ``name`` (``"s1"``, ...)."""
        if name not in self.servers:
            raise UnknownServer(name, list(self.servers))
        return self.servers[name]

    def request(self, target: str = "/", *, method: str = "GET", headers: Mapping[str, str] | None = None,
                body: bytes | None = None, timeout: float = 10.0) -> Reply:
        """Send one request through nginx."""
        if self.balancer is None:
            raise RealProcessError("this deployment has no load balancer (no app) or has not started")
        return self.balancer.request(target, method=method, headers=headers, body=body, timeout=timeout)

    def pids(self) -> dict[str, list[int]]:
        """The live pids of each program's process group (a master and its workers), in ascending order."""
        groups: dict[str, int | None] = {name: server.master_pid for name, server in self.servers.items()}
        if self.redis is not None:
            groups = {"redis": self.redis.pid, **groups}
        if self.balancer is not None:
            groups["nginx"] = self.balancer.pid
        return {name: sorted(p.pid for p in procfs.group(pgid)) if pgid is not None else []
                for name, pgid in groups.items()}

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self.folder is not None else "not started"
        parts = [f"app={self.app!r}", f"servers={self.server_count}", f"routing={self.routing!r}",
                 f"redis={self.use_redis}", state]
        return f"Deployment({', '.join(parts)})"
