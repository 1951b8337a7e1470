"""Fuzzing the shop as a real gunicorn process, over real HTTP, for every session strategy it can run.

A seeded generator writes raw HTTP requests (odd methods and paths, bodies up to and past the 64 KiB
cap, JSON nested thousands deep, bytes that are not UTF-8, junk cookies and Authorization headers,
and real session cookies and tokens, some of them tampered with) and sends each, on its own
connection, straight to gunicorn's Unix socket. No answer may be a 5xx. Every request gunicorn's
own HTTP parser refuses (a plain 4xx, before Flask sees it) is counted apart; every refusal by the
shop must be a JSON 4xx. ``replicated`` is not fuzzed: it copies sessions between the strategy
objects of one Python process (the simulator's servers); a real process has no peers.

    python tests/test_fuzz_real.py      prints each strategy's counts and request rate
"""
from __future__ import annotations

import base64
import json
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from labsupport import real
from labsupport.shop import MAX_BODY_BYTES

STRATEGIES = ("memory", "signed-cookie", "jwt", "jwt-cookie", "jwt-revocable", "store")
REQUESTS_PER_STRATEGY = 4000
"""6 strategies x 4,000 = 24,000 generated requests."""
CLIENTS = 8
"""Connections in flight at once (gunicorn: one worker with 4 threads)."""
TIME_LIMIT = 60.0
"""Seconds one strategy's fuzzing may take before the test fails instead of running on."""
SOCKET_TIMEOUT = 10.0

MISSING = [name for name, path in real.available().items() if path is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=real.install_hint(MISSING) if MISSING else "")

PATHS = ("/", "/login", "/profile", "/cart", "/logout", "/refresh", "/logout-everywhere", "/healthz", "/cart/",
         "//cart", "/%00", "/%ff%fe", "/..%2f..%2fetc/passwd", "/cart?item=%ff", "/login?x=" + "a" * 300, "*",
         "http://shop.example/cart", "/profile;jsessionid=1", "/CART", "/%E2%82%AC")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO", "get", "G\x00T", "")
COOKIE_NAMES = ("sid", "session", "access_token", "refresh_token", "route", "lb", "", "sid ", "a=b")


@dataclass
class Credentials:
    """Real cookies and tokens from real logins, for requests that reach the code behind a valid session."""

    cookies: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


@dataclass
class Report:
    """What one strategy's fuzzing got back."""

    strategy: str
    sent: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    parser_rejected: int = 0
    """Plain 4xx from gunicorn's parser: the request never reached Flask."""
    shop_rejected: int = 0
    """JSON 4xx from the shop."""
    no_answer: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (f"{self.strategy:>13}: {self.sent} requests in {self.seconds:.1f} s ({self.rate:.0f}/s); "
                f"{self.shop_rejected} JSON 4xx from the shop, {self.parser_rejected} plain 4xx from gunicorn's "
                f"parser, {self.statuses.get(200, 0)} 200, 5xx: {sum(n for s, n in self.statuses.items() if s >= 500)}")


# --- generating requests ---------------------------------------------------------------------------

def junk(rng: random.Random, size: int) -> bytes:
    """Bytes of every kind: printable, control, and high bytes that are not UTF-8."""
    kind = rng.random()
    if kind < 0.3:
        return bytes(rng.choice(b"abcdefXYZ0123456789-_.~") for _ in range(size))
    if kind < 0.6:
        return bytes(rng.randrange(0x80, 0x100) for _ in range(size))
    return bytes(rng.randrange(0x20, 0x100) for _ in range(size))


def header_safe(value: bytes) -> bytes:
    """``value`` without CR and LF: a header line stays one line (gunicorn's parser sees the rest as is)."""
    return value.replace(b"\r", b"").replace(b"\n", b"")


def json_value(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice([None, True, False, 0, -1, 2 ** 70, 1.5e308, "", "tea", "x" * rng.randrange(0, 200),
                           "\ud800", "\u0000", "é€😀", "<script>", "sid_" + "a" * 22])
    if roll < 0.7:
        return [json_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    keys = ["user", "password", "item", "refresh_token", "round", "cart", rng.choice(["", "\ud800", "k" * 50])]
    return {rng.choice(keys): json_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def fake_jwt(rng: random.Random) -> bytes:
    """Something shaped like a JWT: random or hostile header and payload, any signature."""
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    header = rng.choice([{"alg": "none"}, {"alg": "HS256", "typ": "JWT"}, {"alg": "RS256", "kid": "../../x"},
                         {"alg": "HS256", "crit": ["b64"], "b64": False}, [], "x", {"alg": "EdDSA", "jku": "http://x"}])
    payload = rng.choice([{"sub": "user000", "exp": 2 ** 40, "jti": "x", "sid": "s", "token_use": "access",
                           "roles": [], "cart": [], "ver": 0, "iss": "x", "aud": "y", "iat": 0},
                          {"sub": 1, "exp": "soon"}, [1, 2], None, {"cart": "x" * 3000}])
    signature = base64.urlsafe_b64encode(rng.randbytes(rng.randrange(0, 40))).rstrip(b"=").decode()
    return rng.choice([f"{part(header)}.{part(payload)}.{signature}", f"{part(header)}.{part(payload)}.",
                       f"{part(header)}.{part(payload)}", "a.b.c", "....", part(payload)]).encode()


def tampered(rng: random.Random, value: str) -> bytes:
    if not value or rng.random() < 0.4:
        return value.encode()
    position = rng.randrange(len(value))
    return (value[:position] + rng.choice("AZaz09-_.%") + value[position + 1:]).encode()


def cookie_header(rng: random.Random, known: Credentials) -> bytes:
    parts = []
    for _ in range(rng.randrange(1, 4)):
        roll = rng.random()
        if roll < 0.35 and known.cookies:
            parts.append(tampered(rng, rng.choice(known.cookies)))
        elif roll < 0.5:
            parts.append(rng.choice(COOKIE_NAMES).encode() + b"=" + fake_jwt(rng))
        else:
            parts.append(rng.choice(COOKIE_NAMES).encode() + b"=" + junk(rng, rng.randrange(0, 120)))
    return header_safe(b"; ".join(parts))


def authorization_header(rng: random.Random, known: Credentials) -> bytes:
    roll = rng.random()
    if roll < 0.35 and known.tokens:
        return b"Bearer " + tampered(rng, rng.choice(known.tokens))
    if roll < 0.6:
        return b"Bearer " + fake_jwt(rng)
    return header_safe(rng.choice([b"Bearer", b"Bearer  ", b"Basic dXNlcjpwYXNz", b"bearer x.y.z", b"Token abc",
                                   b"Bearer " + junk(rng, rng.randrange(0, 300)), junk(rng, rng.randrange(0, 50))]))


def body_for(rng: random.Random, known: Credentials) -> tuple[bytes, bytes | None]:
    """A body and its content type (``None``: no Content-Type header)."""
    roll = rng.random()
    if roll < 0.15:
        return b"", None
    if roll < 0.45:
        body = json.dumps(json_value(rng)).encode()
    elif roll < 0.55:
        body = json.dumps({"user": f"user{rng.randrange(0, 1200):03d}", "password": f"pass{rng.randrange(0, 1000):03d}",
                           "item": rng.choice(["tea", "x" * 65, "", 5]),
                           "refresh_token": rng.choice(known.tokens or ["none"])}).encode()
    elif roll < 0.65:  # nested deeper than any parser goes, under the cap or over it
        depth = rng.choice([2_000, 30_000, 40_000])
        body = rng.choice([b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth, b"[" * depth])
    elif roll < 0.75:  # the cap: just under, just over, far over
        size = rng.choice([MAX_BODY_BYTES - 20, MAX_BODY_BYTES + 1, 3 * MAX_BODY_BYTES])
        body = b'{"item": "' + b"a" * size + b'"}'
    elif roll < 0.9:
        body = b'{"item": "' + junk(rng, rng.randrange(1, 80)) + b'", "user": "\xff\xfe"}'
    else:
        body = junk(rng, rng.randrange(1, 3000))
    kind = rng.choice([b"application/json", b"application/json; charset=latin-1", b"text/plain",
                       b"application/x-www-form-urlencoded", b"multipart/form-data; boundary=x", None])
    return body, kind


def generate(rng: random.Random, known: Credentials) -> bytes:
    """One raw HTTP/1.1 request."""
    method = rng.choice(METHODS) if rng.random() < 0.25 else rng.choice(("GET", "POST"))
    path = rng.choice(PATHS).encode()
    if rng.random() < 0.05:
        path = b"/" + junk(rng, rng.randrange(1, 40)).replace(b" ", b"")
    if rng.random() < 0.02:
        path = b"/" + b"a" * 5000
    headers = [b"Host: localhost"] if rng.random() < 0.9 else []
    if rng.random() < 0.6:
        headers.append(b"Cookie: " + cookie_header(rng, known))
    if rng.random() < 0.5:
        headers.append(b"Authorization: " + authorization_header(rng, known))
    if rng.random() < 0.05:
        headers.append(header_safe(rng.choice([b"X Bad: 1", b"X-Long: " + b"v" * 9000, b"\xff: x", b"X-Null: a\x00b",
                                               b"Content-Length: -1", b"Content-Length: 1, 2",
                                               b"Expect: 100-continue"])))
    body, kind = body_for(rng, known) if method not in ("GET", "HEAD") or rng.random() < 0.1 else (b"", None)
    if kind is not None:
        headers.append(b"Content-Type: " + kind)
    if body and rng.random() < 0.1:
        headers.append(b"Transfer-Encoding: chunked")
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    else:
        headers.append(b"Content-Length: %d" % len(body))
    headers.append(b"Connection: close")
    return method.encode("latin-1") + b" " + path + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + body


# --- sending them ---------------------------------------------------------------------------------

def exchange(socket_path: str, request: bytes) -> bytes:
    """Send ``request`` on a new connection and read until the server closes it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(SOCKET_TIMEOUT)
        sock.connect(socket_path)
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything (a refused body): read its answer
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def classify(report: Report, request: bytes, answer: bytes) -> None:
    """Count one answer; a 5xx, a missing answer or a non-JSON refusal by the shop is a problem."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        report.no_answer += 1
        report.problems.append(f"no HTTP answer to {request[:120]!r}: {answer[:120]!r}")
        return
    status = int(parts[1])
    report.statuses[status] += 1
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    from_flask = b"x-served-by" in headers
    if status >= 500:
        report.problems.append(f"{status} for {request[:160]!r}: {body[:200]!r}")
    elif status >= 400 and not from_flask:
        report.parser_rejected += 1
    elif status >= 400:
        report.shop_rejected += 1
        head_request = request.startswith(b"HEAD ")
        try:
            found = None if head_request else json.loads(body)
        except ValueError:
            found = "not JSON"
        if not headers.get(b"content-type", b"").startswith(b"application/json") or (
                not head_request and not (isinstance(found, dict) and {"error", "reason"} <= found.keys())):
            report.problems.append(f"{status} without a JSON error for {request[:160]!r}: {body[:200]!r}")


def log_in(socket_path: str, strategy: str, users: int = 6) -> Credentials:
    """Real logins (and one cart item each): their cookies and tokens feed the generator."""
    known = Credentials()
    for i in range(users):
        body = json.dumps({"user": f"user{i:03d}", "password": f"pass{i:03d}"}).encode()
        reply = real.unix_request(socket_path, "/login", method="POST", body=body,
                                  headers={"Content-Type": "application/json"})
        assert reply.status == 200, (strategy, reply.body)
        known.cookies += [f"{name}={value}" for name, value in reply.set_cookies().items()]
        known.tokens += [v for k, v in reply.json().items() if k.endswith("_token")]
    return known


def fuzz(socket_path: str, strategy: str, *, requests: int, seed: int) -> Report:
    """Send ``requests`` generated requests, ``CLIENTS`` at a time; stop (and say so) after ``TIME_LIMIT`` s."""
    known = log_in(socket_path, strategy)
    rng = random.Random(f"fuzz {strategy} {seed}")
    batch = [generate(rng, known) for _ in range(requests)]
    report = Report(strategy)
    lock = threading.Lock()
    started = time.monotonic()

    def send(request: bytes) -> None:
        if time.monotonic() - started > TIME_LIMIT:
            return
        try:
            answer = exchange(socket_path, request)
        except OSError as error:
            answer = f"<{type(error).__name__}>".encode()
        with lock:
            report.sent += 1
            classify(report, request, answer)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(send, batch))
    report.seconds = time.monotonic() - started
    return report


@pytest.fixture(scope="module")
def base_dir() -> Iterator[Path]:
    """A private base folder for this module's deployments: whatever they started must be gone at the end."""
    path = Path(tempfile.mkdtemp(prefix="lf-"))
    yield path
    left = real.procfs.mentioning(str(path))
    real.cleanup_leftovers(path)
    shutil.rmtree(path, ignore_errors=True)
    assert left == [], f"processes outlived the fuzzing: {left}"


def run_strategy(strategy: str, base: Path | None = None) -> Report:
    options: dict[str, str | float] = {"strategy": strategy}
    if strategy == "jwt-revocable":
        options["refresh_grace"] = 1.0
    with real.Deployment(app="labsupport.serve:create_app", app_options=options, servers=1,
                         redis=strategy in ("store", "jwt-revocable"), base_dir=base) as deployment:
        report = fuzz(str(deployment.server("s1").socket), strategy, requests=REQUESTS_PER_STRATEGY, seed=8)
        report.problems += [f"gunicorn logged: {line}" for line in deployment.server("s1").log_tail(200).splitlines()
                            if "Traceback" in line or "[ERROR]" in line]
    return report


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_fuzzing_the_shop_under_gunicorn_gives_no_5xx_and_only_json_refusals(
        strategy: str, base_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = run_strategy(strategy, base_dir)
    with capsys.disabled():
        print(f"\n{report.line()}")
    assert report.sent == REQUESTS_PER_STRATEGY, f"only {report.sent} sent within {TIME_LIMIT} s"
    assert report.problems == [], "\n".join(report.problems[:10])
    assert report.no_answer == 0
    assert report.shop_rejected > REQUESTS_PER_STRATEGY // 3  # most requests reach the shop and are refused there
    assert report.parser_rejected > 0 and report.statuses.get(200, 0) > 0


def test_replicated_sessions_are_not_fuzzed_as_a_real_process() -> None:
    pytest.skip("replicated copies sessions between the strategy objects of one Python process (the simulator's "
                "servers); a real process has no peers to copy to, so it would only fuzz memory again")


if __name__ == "__main__":
    total = 0
    for name in STRATEGIES:
        found = run_strategy(name)
        total += found.sent
        print(found.line(), *found.problems[:5], sep="\n    ")
    print(f"{total} requests in all")
    sys.exit(0)
