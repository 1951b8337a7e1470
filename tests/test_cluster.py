"""The simulated cluster: server lifecycle, scaling, and servers that share nothing mutable."""
from __future__ import annotations

import gc
import importlib
import inspect
import sys
import types
from itertools import combinations

import pytest
from werkzeug.test import Client

from labsupport import (
    DEMO_SECRET_KEY,
    Cluster,
    ClusterError,
    InMemorySessions,
    LabError,
    LoadBalancer,
    ServerContext,
    SessionStrategy,
    UnknownServer,
)

ALICE = {"user": "alice", "password": "alice-password"}
STRATEGY_NAMES = ["memory", "replicated", "signed-cookie", "jwt", "jwt-cookie"]


def login_on(cluster: Cluster, name: str, credentials: dict = ALICE) -> Client:
    client = Client(cluster.server(name).app)
    assert client.post("/login", json=credentials).status_code == 200
    return client


def login_everywhere(cluster: Cluster) -> None:
    for i, name in enumerate(cluster.alive_names()):
        login_on(cluster, name, {"user": f"user{i:03d}", "password": f"pass{i:03d}"})


def closed_over(app, view: str, name: str) -> object:
    """The object the view function ``view`` of ``app`` closes over as ``name``
    (directly, or through the shop's own helper functions it calls)."""
    found = inspect.getclosurevars(app.view_functions[view]).nonlocals
    if name in found:
        return found[name]
    for helper in found.values():
        if inspect.isfunction(helper):
            inner = inspect.getclosurevars(helper).nonlocals
            if name in inner:
                return inner[name]
    raise KeyError(f"{view} does not close over {name!r}")


# --- lifecycle ------------------------------------------------------------------------


def test_a_new_cluster_has_live_servers_named_in_order() -> None:
    cluster = Cluster(3)
    assert cluster.alive_names() == ["s1", "s2", "s3"]
    assert all(s.alive and s.boots == 1 for s in cluster.servers.values())
    assert cluster.strategy_name == "memory"
    assert repr(cluster) == "Cluster(strategy='memory', servers=[s1, s2, s3])"
    assert repr(cluster.server("s2")) == "Server('s2', up, sessions_held=0)"
    assert Cluster(0, strategy="signed-cookie").strategy_name == "signed-cookie"
    assert Cluster(0).alive_names() == []


def test_kill_loses_memory_and_takes_the_server_out_of_rotation() -> None:
    cluster = Cluster(3)
    client = login_on(cluster, "s2")
    sid = client.get_cookie("sid").value
    assert cluster.sessions_held() == {"s1": 0, "s2": 1, "s3": 0}

    cluster.kill("s2")
    assert not cluster.server("s2").alive
    assert cluster.alive_names() == ["s1", "s3"]
    assert cluster.sessions_held() == {"s1": 0, "s2": 0, "s3": 0}
    assert cluster.memory()["s2"] == 0
    assert repr(cluster) == "Cluster(strategy='memory', servers=[s1, s2 (down), s3])"

    balancer = Client(LoadBalancer(cluster, "round-robin"))
    served = {balancer.get("/").headers["X-Served-By"] for _ in range(9)}
    assert served == {"s1", "s3"}

    cluster.revive("s2")
    r = Client(cluster.server("s2").app).get("/profile", headers={"Cookie": f"sid={sid}"})
    assert r.status_code == 401  # the revived process never heard of that session


def test_revive_boots_a_fresh_empty_process() -> None:
    cluster = Cluster(3)
    login_on(cluster, "s1")
    before = cluster.server("s1")
    old_app, old_strategy = before.app, before.strategy
    cluster.kill("s1")
    cluster.revive("s1")
    server = cluster.server("s1")
    assert server.alive and server.boots == 2
    assert server.app is not old_app and server.strategy is not old_strategy
    assert server.strategy.sessions_held() == 0
    assert cluster.alive_names() == ["s1", "s2", "s3"]  # back in its place in the order
    assert Client(server.app).get("/").headers["X-Served-By"] == "s1"


def test_reviving_a_live_server_changes_nothing() -> None:
    cluster = Cluster(2)
    login_on(cluster, "s1")
    strategy = cluster.server("s1").strategy
    cluster.revive("s1")
    assert cluster.server("s1").boots == 1
    assert cluster.server("s1").strategy is strategy and strategy.sessions_held() == 1


def test_restart_reboots_one_server() -> None:
    cluster = Cluster(3)
    login_on(cluster, "s1")
    login_on(cluster, "s2")
    cluster.restart("s2")
    assert cluster.server("s2").alive and cluster.server("s2").boots == 2
    assert cluster.sessions_held() == {"s1": 1, "s2": 0, "s3": 0}
    assert [cluster.server(n).boots for n in ["s1", "s3"]] == [1, 1]


def test_rolling_restart_reboots_every_live_server_and_forgets_all_memory_sessions() -> None:
    cluster = Cluster(4)
    login_everywhere(cluster)
    cluster.kill("s4")
    assert sum(cluster.sessions_held().values()) == 3
    old = {n: cluster.server(n).strategy for n in cluster.servers}
    cluster.rolling_restart()
    assert cluster.alive_names() == ["s1", "s2", "s3"]
    assert {n: cluster.server(n).boots for n in cluster.servers} == {"s1": 2, "s2": 2, "s3": 2, "s4": 1}
    assert all(cluster.server(n).strategy is not old[n] for n in ["s1", "s2", "s3"])
    assert sum(cluster.sessions_held().values()) == 0
    assert sum(cluster.memory().values()) == 0


def test_add_and_remove_servers() -> None:
    cluster = Cluster(2)
    assert cluster.add_server() == "s3"
    assert cluster.alive_names() == ["s1", "s2", "s3"]
    assert cluster.server("s3").boots == 1 and cluster.server("s3").strategy.sessions_held() == 0
    cluster.remove_server("s1")
    assert cluster.alive_names() == ["s2", "s3"]
    assert list(cluster.servers) == ["s2", "s3"]
    with pytest.raises(UnknownServer):
        cluster.server("s1")
    new = cluster.add_server()
    assert new not in {"s2", "s3"} and cluster.alive_names() == ["s2", "s3", new]


def test_scale_up_and_down_removes_the_newest_first() -> None:
    cluster = Cluster(2)
    cluster.scale(5)
    assert cluster.alive_names() == ["s1", "s2", "s3", "s4", "s5"]
    cluster.scale(3)
    assert cluster.alive_names() == ["s1", "s2", "s3"]
    assert list(cluster.servers) == ["s1", "s2", "s3"]  # removed for good, not just down
    cluster.scale(3)
    assert cluster.alive_names() == ["s1", "s2", "s3"]
    cluster.scale(0)
    assert cluster.alive_names() == [] and cluster.servers == {}


def test_scale_counts_live_servers() -> None:
    cluster = Cluster(3)
    cluster.kill("s2")
    cluster.scale(3)
    assert len(cluster.alive_names()) == 3 and "s2" not in cluster.alive_names()
    cluster.scale(1)
    assert cluster.alive_names() == ["s1"]


def test_negative_sizes_are_cluster_errors() -> None:
    cluster = Cluster(2)
    with pytest.raises(ClusterError, match="negative"):
        cluster.scale(-1)
    assert cluster.alive_names() == ["s1", "s2"]
    with pytest.raises(ClusterError):
        Cluster(-1)


@pytest.mark.parametrize("operation", ["server", "kill", "revive", "restart", "remove_server"])
def test_unknown_server_names_the_known_ones(operation: str) -> None:
    cluster = Cluster(3)
    with pytest.raises(UnknownServer) as caught:
        getattr(cluster, operation)("s9")
    error = caught.value
    assert str(error) == "no server named 's9'; the cluster has s1, s2, s3"
    assert error.name == "s9" and error.known == ["s1", "s2", "s3"]
    assert isinstance(error, ClusterError) and isinstance(error, LabError) and isinstance(error, KeyError)
    assert cluster.alive_names() == ["s1", "s2", "s3"]


def test_unknown_server_in_an_empty_cluster() -> None:
    with pytest.raises(UnknownServer, match="the cluster has none"):
        Cluster(0).kill("s1")


def test_memory_and_sessions_held_per_server() -> None:
    cluster = Cluster(3)
    login_on(cluster, "s3")
    login_on(cluster, "s3", {"user": "bob", "password": "bob-password"})
    assert cluster.sessions_held() == {"s1": 0, "s2": 0, "s3": 2}
    memory = cluster.memory()
    assert memory["s1"] == memory["s2"] == 0 and memory["s3"] > 0
    assert memory["s3"] == cluster.server("s3").strategy.bytes_held()


# --- shared nothing mutable -----------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_servers_share_the_secret_key(strategy: str) -> None:
    cluster = Cluster(3, strategy=strategy)
    assert {s.app.config["SECRET_KEY"] for s in cluster.servers.values()} == {DEMO_SECRET_KEY}
    other = Cluster(2, strategy=strategy, secret_key="k" * 40)
    assert {s.app.config["SECRET_KEY"] for s in other.servers.values()} == {"k" * 40}


def per_server_objects(server) -> dict[str, object]:
    objects = {
        "app": server.app,
        "config": server.app.config,
        "strategy": server.strategy,
        "view functions": server.app.view_functions,
        "accounts": closed_over(server.app, "login", "accounts"),
        "strategy in the app": closed_over(server.app, "login", "strategy"),
    }
    if isinstance(server.strategy, InMemorySessions):
        objects["session dict"] = server.strategy.sessions
    return objects


def assert_pairwise_distinct(cluster: Cluster) -> None:
    for a, b in combinations(cluster.servers.values(), 2):
        mine, theirs = per_server_objects(a), per_server_objects(b)
        for what in mine:
            assert mine[what] is not theirs[what], f"{a.name} and {b.name} share their {what}"


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_servers_share_no_app_config_strategy_or_accounts(strategy: str) -> None:
    cluster = Cluster(4, strategy=strategy)
    for server in cluster.servers.values():
        assert closed_over(server.app, "login", "strategy") is server.strategy  # the app uses its own
    assert_pairwise_distinct(cluster)
    cluster.kill("s2")
    cluster.revive("s2")
    cluster.add_server()
    cluster.restart("s1")
    assert_pairwise_distinct(cluster)


@pytest.mark.parametrize("strategy", ["memory", "replicated"])
def test_mutating_one_servers_memory_leaves_the_others_alone(strategy: str) -> None:
    cluster = Cluster(3, strategy=strategy)
    login_everywhere(cluster)  # replicated: every server holds all three
    before = {n: {sid: dict(d) for sid, d in cluster.server(n).strategy.sessions.items()} for n in ["s2", "s3"]}

    s1 = cluster.server("s1").strategy.sessions
    s1["sid_injected"] = {"user": "mallory", "cart": []}
    for data in s1.values():
        data["cart"].append("mutated")

    after = {n: cluster.server(n).strategy.sessions for n in ["s2", "s3"]}
    assert after == before
    accounts = closed_over(cluster.server("s1").app, "login", "accounts")
    with pytest.raises(TypeError):
        accounts.passwords["mallory"] = "x"  # the directory cannot be changed in place
    assert accounts is not closed_over(cluster.server("s2").app, "login", "accounts")


MUTABLE = (dict, list, set, bytearray)


def module_level_ids() -> set[int]:
    """Objects bound to a module-level name anywhere: shared by design, not by accident."""
    ids: set[int] = set()
    for module in list(sys.modules.values()):
        for value in list(getattr(module, "__dict__", {}).values()):
            ids.add(id(value))
    return ids


def owned_mutables(server, *, max_depth: int = 12, limit: int = 200_000) -> dict[int, object]:
    """Every mutable container reachable from one server's strategy, config and view closures.

    The walk follows ``gc.get_referents`` but does not enter classes, modules, objects bound
    at module level (shared by design), a function's globals (only its closure cells), or
    another server's strategy (a replication peer is a reference to another server, not state).
    """
    roots: list[object] = [server.strategy, server.app.config, *server.app.view_functions.values()]
    roots += [f for funcs in server.app.after_request_funcs.values() for f in funcs]
    roots += [f for spec in server.app.error_handler_spec.values() for codes in spec.values()
              for f in codes.values()]
    skip = module_level_ids()
    found: dict[int, object] = {}
    seen: set[int] = set()
    stack = [(root, 0) for root in roots]
    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen or depth > max_depth:
            continue
        seen.add(id(obj))
        assert len(seen) < limit, "object graph walk did not stay bounded"
        if isinstance(obj, (type, types.ModuleType)) or id(obj) in skip:
            continue
        if isinstance(obj, SessionStrategy) and obj is not server.strategy:
            continue
        if isinstance(obj, types.FunctionType):
            children = [cell.cell_contents for cell in obj.__closure__ or ()]
        else:
            if isinstance(obj, MUTABLE):
                found[id(obj)] = obj
            children = gc.get_referents(obj)
        stack.extend((child, depth + 1) for child in children)
    return found


def shared_mutables(cluster: Cluster) -> list[tuple[str, str, str]]:
    """(server, server, type) for every mutable container two servers can both reach."""
    owned = {name: owned_mutables(server) for name, server in cluster.servers.items()}
    shared = []
    for a, b in combinations(owned, 2):
        for key in owned[a].keys() & owned[b].keys():
            shared.append((a, b, type(owned[a][key]).__name__))
    return shared


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_no_mutable_object_is_reachable_from_two_servers(strategy: str) -> None:
    cluster = Cluster(3, strategy=strategy)
    login_everywhere(cluster)
    cluster.kill("s3")
    cluster.revive("s3")
    cluster.add_server()
    login_everywhere(cluster)

    for server in cluster.servers.values():  # the walk really reaches the state that matters
        owned = owned_mutables(server)
        accounts = closed_over(server.app, "login", "accounts")
        assert all(id(table) in owned for table in gc.get_referents(accounts.passwords))  # the dict behind the proxy
        assert id(server.app.config) in owned
        if isinstance(server.strategy, InMemorySessions):
            assert id(server.strategy.sessions) in owned
            assert all(id(data) in owned for data in server.strategy.sessions.values())
    assert shared_mutables(cluster) == []


def test_the_checker_catches_one_dict_shared_by_every_server() -> None:
    shared: dict[str, dict[str, object]] = {}

    class LeakyMemory(InMemorySessions):
        def __init__(self, server: ServerContext) -> None:
            super().__init__(server)
            self.sessions = shared  # the bug: every server gets the same dict

    cluster = Cluster(3, strategy=LeakyMemory.configured())
    login_on(cluster, "s1")
    assert cluster.sessions_held() == {"s1": 1, "s2": 1, "s3": 1}  # the symptom: s2 "remembers" s1's login
    assert ("s1", "s2", "dict") in shared_mutables(cluster)
    with pytest.raises(AssertionError, match="session dict"):
        assert_pairwise_distinct(cluster)


def test_the_checker_catches_a_shared_object_deep_inside_a_strategy() -> None:
    audit_log: list[str] = []  # reachable only as strategy.extras["log"]: identity checks miss it

    class AuditedMemory(InMemorySessions):
        def __init__(self, server: ServerContext) -> None:
            super().__init__(server)
            self.extras = {"log": audit_log}

    cluster = Cluster(2, strategy=AuditedMemory.configured())
    assert_pairwise_distinct(cluster)  # the shallow check passes...
    assert shared_mutables(cluster) == [("s1", "s2", "list")]  # ...the walk does not


def test_the_checker_catches_a_shared_strategy_instance() -> None:
    one = InMemorySessions(ServerContext("s1"))

    class Singleton(InMemorySessions):
        def __new__(cls, server: ServerContext) -> InMemorySessions:  # type: ignore[misc]
            return one  # the bug: every server gets the same instance

    cluster = Cluster(2, strategy=Singleton.configured())
    assert shared_mutables(cluster) != []
    with pytest.raises(AssertionError, match="strategy"):
        assert_pairwise_distinct(cluster)


CORE_MODULES = ["labsupport.shop", "labsupport.cluster", "labsupport.balancer", "labsupport.clients",
                "labsupport.clock", "labsupport.errors", "labsupport.sessions", "labsupport.sessions.base",
                "labsupport.sessions.memory", "labsupport.sessions.signed_cookie", "labsupport.sessions.carriers",
                "labsupport.sessions.jwt_stateless", "labsupport.sessions.jwt_revocable", "labsupport.sessions.store",
                "labsupport.accounts", "labsupport.ids", "labsupport.store", "labsupport.scenario"]


def test_core_modules_hold_no_hidden_mutable_state() -> None:
    # The walk above cannot see module globals, so list them: only the name tables are allowed.
    # (Dunder names such as __all__ and __path__ are the import system's, not the lab's.)
    allowed = {"STRATEGIES", "POLICIES", "CARRIERS"}
    for name in CORE_MODULES:
        module = importlib.import_module(name)
        mutable = {k for k, v in vars(module).items()
                   if isinstance(v, MUTABLE) and not (k.startswith("__") and k.endswith("__"))}
        assert mutable <= allowed, (name, mutable - allowed)
