"""Real processes for lesson 08: redis-server, gunicorn servers and nginx on 127.0.0.1.

``real.available()`` says which programs are installed; ``real.Deployment(...)`` starts them
(as a context manager) and stops them by pid; ``real.RouteCookie`` is the middleware that
makes nginx's sticky routing work. Missing programs raise ``MissingBinaries``, a ``LabError``.
``real.experiments`` holds the lesson's experiments (each starts and stops its own deployment),
``real.crowd`` and ``real.load`` the users and the load generator that talk to nginx over HTTP;
those load on first use, so a gunicorn worker importing the middleware loads none of them.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from .app_server import AppServer, app_call
from .binaries import available, install_hint, require
from .client import Reply, request, unix_request
from .deployment import Deployment
from .errors import BadSetup, MissingBinaries, NotReady, RealProcessError
from .folder import cleanup_leftovers, default_base_dir
from .middleware import ROUTE_COOKIE, RouteCookie
from .nginx import ROUTINGS, Nginx, nginx_config
from .redis_server import RedisServer

__all__ = [
    "ROUTE_COOKIE",
    "ROUTINGS",
    "AppServer",
    "BadSetup",
    "Deployment",
    "MissingBinaries",
    "Nginx",
    "NotReady",
    "RealProcessError",
    "RedisServer",
    "Reply",
    "RouteCookie",
    "app_call",
    "available",
    "cleanup_leftovers",
    "default_base_dir",
    "install_hint",
    "nginx_config",
    "request",
    "require",
    "unix_request",
]

if TYPE_CHECKING:  # what type checkers and editors see; loaded lazily at run time
    from . import cart_race, crowd, experiments, faults, findings, load, races

LAZY_MODULES = ("cart_race", "crowd", "experiments", "faults", "findings", "load", "races")
"""Submodules reachable as ``real.<name>``, loaded the first time they are used."""


def __getattr__(name: str) -> ModuleType:
    if name in LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
