"""``RedisServer``: a real redis-server on 127.0.0.1 for lesson 08, started and stopped by pid."""
from __future__ import annotations

import signal

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .binaries import program_version
from .errors import NotReady, RealProcessError
from .folder import DeploymentFolder
from .ports import ATTEMPTS, BUSY, HOST, free_port
from .process import ManagedProcess

PING_TIMEOUT = 0.5
"""Seconds one PING may take while waiting for the server."""


class RedisServer:
    """redis-server for one deployment, listening on a Unix socket (default) or a free TCP port.

    By default it keeps nothing on disk (``save ''``, ``appendonly no``): a restart empties it.
    ``appendonly=True`` writes every change to an append-only file in its data folder, so a
    graceful ``restart()`` keeps the data. The config file, data folder, socket, pid file and
    log live in the deployment folder and stay the same across restarts.
    """

    def __init__(self, folder: DeploymentFolder, *, binary: str, appendonly: bool = False,
                 tcp: bool = False) -> None:
        self.folder = folder
        self.appendonly = appendonly
        self.tcp = tcp
        self.config = folder.file("redis.conf")
        self.data_dir = folder.file("redis-data")
        self.socket = folder.file("redis.sock")
        self.pidfile = folder.file("redis.pid")
        self.port: int | None = None
        self.binary = binary
        self.version: tuple[int, ...] = ()
        self._process = ManagedProcess("redis", [binary, str(self.config)], folder=folder)
        self._paused = False

    @property
    def url(self) -> str:
        """The ``REDIS_URL`` apps use to reach this server."""
        if self.tcp:
            if self.port is None:
                raise RealProcessError("redis has no port before its first start")
            return f"redis://{HOST}:{self.port}/0"
        return f"unix://{self.socket}?db=0"

    @property
    def pid(self) -> int | None:
        """The pid of redis-server while it runs."""
        return self._process.pid

    @property
    def running(self) -> bool:
        """True while redis-server has not exited (a paused server is running)."""
        return self._process.running

    @property
    def paused(self) -> bool:
        """True between ``pause()`` and ``resume()``."""
        return self._paused and self.running

    def config_text(self) -> str:
        """The redis.conf this server runs with."""
        lines = [
            "# redis-server for one labsupport.real deployment (lesson 08); generated.",
            f"bind {HOST}",
            f"port {self.port if self.tcp else 0}",
            f"unixsocket {self.socket}",
            "unixsocketperm 700",
            f"dir {self.data_dir}",
            'save ""',
            f"appendonly {'yes' if self.appendonly else 'no'}",
            "appendfsync everysec",
            "daemonize no",
            f"pidfile {self.pidfile}",
            'logfile ""',
        ]
        if self.version >= (6, 2):  # the config file's path in the process title: it names the deployment
            lines.append('proc-title-template "{title} {listen-addr} {config-file}"')
        return "\n".join(lines) + "\n"

    def client(self, *, timeout: float = 1.0) -> redis.Redis:
        """A redis-py client for this server that fails after ``timeout`` seconds, without retries."""
        if self.tcp:
            return redis.Redis(host=HOST, port=self.port or 0, socket_timeout=timeout,
                               socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=timeout,
                           socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))

    def _answers(self) -> bool:
        try:
            with self.client(timeout=PING_TIMEOUT) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def start(self, *, timeout: float = 10.0) -> None:
        """Start redis-server and wait until it answers PING (``NotReady`` after ``timeout`` s)."""
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.version = self.version or program_version([self.binary, "--version"])
        for attempt in range(ATTEMPTS):
            if self.tcp and (self.port is None or attempt > 0):
                self.port = free_port()
            self.config.write_text(self.config_text())
            self._paused = False
            self._process.start()
            try:
                self._process.wait_until(self._answers, what="answer PING", timeout=timeout)
                return
            except NotReady as error:
                if not (self.tcp and BUSY in error.log_tail and attempt + 1 < ATTEMPTS):
                    raise

    def stop(self) -> None:
        """Shut down gracefully (SIGTERM): with ``appendonly`` every acknowledged write is on disk."""
        self._process.stop(signal.SIGTERM)
        self._paused = False

    def kill(self) -> None:
        """Crash it (SIGKILL): nothing is flushed."""
        self._process.kill()
        self._paused = False

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections still open, but nothing answers until ``resume()``."""
        self._process.send(signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        """Let a paused server go on (SIGCONT)."""
        self._process.send(signal.SIGCONT)
        self._paused = False

    def restart(self, *, timeout: float = 10.0) -> None:
        """Stop gracefully and start again with the same config and data folder."""
        self.stop()
        self.start(timeout=timeout)

    def log_tail(self, lines: int = 20) -> str:
        """The end of redis-server's log."""
        return self._process.log_tail(lines)

    def __repr__(self) -> str:
        state = "paused" if self.paused else "running" if self.running else "stopped"
        return f"RedisServer({state}, appendonly={self.appendonly})"
