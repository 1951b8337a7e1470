"""labsupport.tokens: issuing and verifying with PyJWT, and every way a token is refused.

Time is simulated (``SimClock``), never faked inside PyJWT: its own exp and iat checks run.
"""
from __future__ import annotations

import base64
import json
import warnings
from datetime import timedelta

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labsupport import EPOCH, LabError, SessionRejected, SimClock, TokenRejected
from labsupport.keys import DEMO_HMAC_SECRET, ed25519_private_key, public_pem
from labsupport.tokens import (
    ALGORITHMS,
    AUDIENCE,
    ISSUER,
    MAX_TOKEN_LENGTH,
    REASONS,
    REQUIRED_CLAIMS,
    TokenKeys,
    Tokens,
    bearer_token,
    peek,
    rejection,
    remaining_lifetime,
)

FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True)
KEYS = {"HS256": TokenKeys.hs256, "EdDSA": TokenKeys.eddsa}


@pytest.fixture(params=ALGORITHMS)
def tokens(request: pytest.FixtureRequest) -> Tokens:
    return Tokens(KEYS[request.param]())


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def rejected(tokens: Tokens, token: object) -> TokenRejected:
    with pytest.raises(TokenRejected) as info:
        tokens.verify(token)
    assert info.value.status == 401 and info.value.reason
    return info.value


def claims_now(**overrides: object) -> dict:
    """A complete, valid claim set at the current (simulated) time."""
    now = int(EPOCH.timestamp())
    claims = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 60, "jti": "t-1"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


# --- issue and verify -----------------------------------------------------------------


def test_issue_then_verify_round_trips_the_claims(tokens: Tokens) -> None:
    with SimClock():
        token = tokens.issue("alice", lifetime=60, jti="t-1", claims={"roles": ["customer"], "cart": ["tea"]})
        claims = tokens.verify(token)
    now = int(EPOCH.timestamp())
    assert claims == {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 60,
                      "jti": "t-1", "roles": ["customer"], "cart": ["tea"]}
    assert jwt.get_unverified_header(token) == {"alg": tokens.algorithm, "typ": "JWT"}
    assert list(peek(token)["payload"])[:6] == ["iss", "sub", "aud", "iat", "exp", "jti"]


def test_signatures_reproduce_under_simulated_time(tokens: Tokens) -> None:
    minted = []
    for _ in range(2):
        with SimClock():
            minted.append(Tokens(KEYS[tokens.algorithm]()).issue("alice", lifetime=60, jti="t-1"))
    assert minted[0] == minted[1]
    with SimClock(EPOCH + timedelta(seconds=1)):
        assert Tokens(KEYS[tokens.algorithm]()).issue("alice", lifetime=60, jti="t-1") != minted[0]


def test_the_hs256_signature_is_an_hmac_of_header_dot_payload() -> None:
    import hashlib
    import hmac

    with SimClock():
        token = Tokens().issue("alice", lifetime=60, jti="t-1")
    header, payload, signature = token.split(".")
    mac = hmac.new(DEMO_HMAC_SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == signature
    naive = hashlib.sha256(f"{header}.{payload}{DEMO_HMAC_SECRET}".encode()).digest()  # the article's wording
    assert base64.urlsafe_b64encode(naive).rstrip(b"=").decode() != signature


def test_eddsa_keys_come_from_the_seed() -> None:
    with SimClock():
        a = Tokens(TokenKeys.eddsa(1)).issue("alice", lifetime=60, jti="t-1")
        b = Tokens(TokenKeys.eddsa(2)).issue("alice", lifetime=60, jti="t-1")
        assert a != b
        assert rejected(Tokens(TokenKeys.eddsa(2)), a).code == "bad-signature"


def test_a_public_key_verifies_but_cannot_sign() -> None:
    public = TokenKeys.eddsa(0).verify_only()
    assert not public.can_sign and TokenKeys.eddsa(0).can_sign
    with SimClock():
        token = Tokens(TokenKeys.eddsa(0)).issue("alice", lifetime=60, jti="t-1")
        assert Tokens(public).verify(token)["sub"] == "alice"
        with pytest.raises(LabError, match="cannot sign"):
            Tokens(public).issue("mallory", lifetime=60, jti="t-2")
        # the same public key as a PEM text, straight into PyJWT, as another service would
        assert jwt.decode(token, public_pem(ed25519_private_key(0)), algorithms=["EdDSA"], audience=AUDIENCE,
                          issuer=ISSUER)["sub"] == "alice"


def test_an_hmac_secret_has_no_verify_only_half() -> None:
    with pytest.raises(LabError, match="whoever can verify can also sign"):
        TokenKeys.hs256().verify_only()


def test_sub_must_be_a_non_empty_string() -> None:
    with SimClock():
        for bad in (1234567890, "", None):
            with pytest.raises(TypeError, match="sub must be"):
                Tokens().issue(bad, lifetime=60, jti="t-1")  # type: ignore[arg-type]
        numeric = jwt.encode(claims_now(sub=1234567890), DEMO_HMAC_SECRET, algorithm="HS256")
        assert rejected(Tokens(), numeric).code == "bad-claim"


def test_issue_refuses_to_override_registered_claims() -> None:
    with SimClock(), pytest.raises(ValueError, match="set by issue"):
        Tokens().issue("alice", lifetime=60, jti="t-1", claims={"exp": 0})


def test_short_hmac_keys_make_pyjwt_warn() -> None:
    with SimClock(), pytest.warns(jwt.warnings.InsecureKeyLengthWarning, match="below the minimum"):
        Tokens(TokenKeys.hs256("short")).issue("alice", lifetime=60, jti="t-1")
    with SimClock(), warnings.catch_warnings():
        warnings.simplefilter("error")
        Tokens().issue("alice", lifetime=60, jti="t-1")  # the demo secret is long enough: no warning


# --- time: expiry, leeway, iat in the future -------------------------------------------


def test_expiry_follows_simulated_time(tokens: Tokens) -> None:
    with SimClock() as clock:
        token = tokens.issue("alice", lifetime=60, jti="t-1")
        clock.advance(59)
        assert tokens.verify(token)["sub"] == "alice"
        clock.advance(1)  # exp == now: expired (PyJWT: exp <= now - leeway)
        error = rejected(tokens, token)
    assert error.code == "expired" and "expired" in error.reason
    assert isinstance(error.__cause__, jwt.ExpiredSignatureError)


def test_leeway_accepts_a_token_a_few_seconds_late(tokens: Tokens) -> None:
    lenient = Tokens(tokens.keys, leeway=5)
    with SimClock() as clock:
        token = tokens.issue("alice", lifetime=60, jti="t-1")
        clock.advance(61)
        assert rejected(tokens, token).code == "expired"
        assert lenient.verify(token)["sub"] == "alice"
        clock.advance(4)  # 65 s: exp + leeway == now
        assert rejected(lenient, token).code == "expired"


def test_a_token_issued_in_the_future_is_not_valid_yet(tokens: Tokens) -> None:
    with SimClock(EPOCH + timedelta(seconds=30)):
        token = tokens.issue("alice", lifetime=60, jti="t-1")
    with SimClock():
        assert rejected(tokens, token).code == "not-yet-valid"
        assert Tokens(tokens.keys, leeway=30).verify(token)["sub"] == "alice"


def test_remaining_lifetime_counts_down_and_never_reaches_zero() -> None:
    with SimClock() as clock:
        claims = Tokens().verify(Tokens().issue("alice", lifetime=60, jti="t-1"))
        assert remaining_lifetime(claims) == 60
        clock.advance(59.5)
        assert remaining_lifetime(claims) == 1
        clock.advance(10)
        assert remaining_lifetime(claims) == 1


def test_remaining_lifetime_with_leeway_lasts_until_a_lenient_verifier_refuses() -> None:
    with SimClock() as clock:
        claims = Tokens().verify(Tokens().issue("alice", lifetime=60, jti="t-1"))
        assert remaining_lifetime(claims, leeway=5) == 65
        clock.advance(62)
        assert remaining_lifetime(claims, leeway=5) == 3 and remaining_lifetime(claims) == 1


# --- tampering, claims, audience, issuer, algorithm -----------------------------------


def test_tampered_payload_is_a_bad_signature(tokens: Tokens) -> None:
    with SimClock():
        token = tokens.issue("bob", lifetime=60, jti="t-1", claims={"roles": ["customer"]})
        header, payload, signature = token.split(".")
        claims = peek(token)["payload"]
        claims["roles"] = ["customer", "admin"]
        forged = f"{header}.{b64(claims)}.{signature}"
        error = rejected(tokens, forged)
    assert error.code == "bad-signature" and isinstance(error.__cause__, jwt.InvalidSignatureError)


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_required_claim_is_required(claim: str) -> None:
    with SimClock():
        token = jwt.encode(claims_now(**{claim: None}), DEMO_HMAC_SECRET, algorithm="HS256")
        error = rejected(Tokens(), token)
    assert error.code == "missing-claim" and error.claim == claim and repr(claim) in error.reason


def test_extra_required_claims_are_required_too() -> None:
    with SimClock():
        token = Tokens().issue("alice", lifetime=60, jti="t-1")
        error = rejected(Tokens(required=(*REQUIRED_CLAIMS, "roles")), token)
    assert (error.code, error.claim) == ("missing-claim", "roles")


def test_wrong_audience_and_issuer() -> None:
    with SimClock():
        for_reports = Tokens(audience="reports-api").issue("alice", lifetime=60, jti="t-1")
        assert rejected(Tokens(), for_reports).code == "wrong-audience"
        elsewhere = Tokens(issuer="https://evil.example").issue("alice", lifetime=60, jti="t-1")
        assert rejected(Tokens(), elsewhere).code == "wrong-issuer"


def test_the_algorithm_is_pinned() -> None:
    with SimClock():
        hs = Tokens(TokenKeys.hs256()).issue("alice", lifetime=60, jti="t-1")
        ed = Tokens(TokenKeys.eddsa()).issue("alice", lifetime=60, jti="t-1")
        unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_now())}."
        hs512 = jwt.encode(claims_now(), "k" * 64, algorithm="HS512")
        for verifier, token in [(Tokens(TokenKeys.eddsa()), hs), (Tokens(TokenKeys.hs256()), ed),
                                (Tokens(), unsigned), (Tokens(), hs512)]:
            error = rejected(verifier, token)
            assert error.code == "algorithm-not-allowed", error.reason
            assert error.reason.endswith(verifier.algorithm)


# --- garbage ---------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "Bearer", "abc", "a.b", "a.b.c", "..", "eyJ!.eyJ.x", "e30.e30.",
                                   "x" * 500, "a.b.c.d", "é.é.é", "\ud800", "\x00.\x00.\x00"])
def test_garbage_tokens_are_rejected_with_a_reason(token: str) -> None:
    with SimClock():
        error = rejected(Tokens(), token)
    assert error.code in {"malformed", "algorithm-not-allowed", "bad-signature", "invalid"}


def test_non_text_and_oversized_tokens() -> None:
    assert rejected(Tokens(), b"a.b.c").code == "malformed"
    assert rejected(Tokens(), None).code == "malformed"
    assert rejected(Tokens(), "a" * (MAX_TOKEN_LENGTH + 1)).code == "too-long"


def test_deeply_nested_header_is_malformed_not_a_crash() -> None:
    nested = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).rstrip(b"=").decode()
    assert rejected(Tokens(), f"{nested}.e30.x").code in {"malformed", "too-long"}
    assert rejected(Tokens(), f"{nested[:6000]}.e30.x").code == "malformed"


@FUZZ
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200).map(lambda b: base64.urlsafe_b64encode(b).decode()),
                 st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=",
                                  max_size=60), min_size=1, max_size=5).map(".".join)))
def test_fuzzed_tokens_are_always_a_token_rejected(token: str) -> None:
    with pytest.raises(TokenRejected):
        Tokens().verify(token)


@FUZZ
@given(st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.integers(), st.text(max_size=8),
                                                      st.lists(st.integers(), max_size=3)), max_size=6),
       st.dictionaries(st.sampled_from(["alg", "typ", "kid", "crit", "b64"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=8), st.booleans()), max_size=3))
def test_fuzzed_headers_and_payloads_with_a_valid_signature_never_crash(payload: dict, header: dict) -> None:
    head = b64({"alg": "HS256", **header})
    body = b64(payload)
    import hashlib
    import hmac

    mac = hmac.new(DEMO_HMAC_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    token = f"{head}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with SimClock():
        try:
            Tokens().verify(token)
        except TokenRejected:
            pass


# --- the Authorization header ---------------------------------------------------------


@pytest.mark.parametrize("header, token", [(None, None), ("Bearer abc", "abc"), ("bearer abc", "abc"),
                                           ("  BEARER   abc  ", "abc")])
def test_bearer_token_reads_the_header(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header, code", [("", "no-token"), ("   ", "no-token"), ("Bearer", "no-token"),
                                          ("Bearer   ", "no-token"), ("Basic dXNlcjpwYXNz", "bad-scheme"),
                                          ("Token abc", "bad-scheme"), ("x" * 10_000, "bad-scheme")])
def test_bad_authorization_headers_are_401_with_a_reason(header: str, code: str) -> None:
    with pytest.raises(TokenRejected) as info:
        bearer_token(header)
    assert info.value.code == code and info.value.status == 401
    assert len(info.value.reason) < 200  # a huge header is not echoed back


# --- the rejection table ---------------------------------------------------------------


def test_every_pyjwt_error_maps_to_a_rejection() -> None:
    for cls, code, _reason in REASONS:
        error = cls("claim") if cls is jwt.MissingRequiredClaimError else cls("details")
        mapped = rejection(error, algorithm="HS256")
        assert isinstance(mapped, TokenRejected) and isinstance(mapped, SessionRejected)
        assert mapped.code == code and mapped.status == 401 and mapped.reason


def test_reprs_are_stable() -> None:
    assert repr(TokenKeys.hs256()) == "TokenKeys(HS256, shared secret)"
    assert repr(TokenKeys.eddsa(3)) == "TokenKeys(EdDSA, Ed25519 seed 3)"
    assert repr(TokenKeys.eddsa(3).verify_only()) == "TokenKeys(EdDSA, Ed25519 seed 3, public key only)"
    assert repr(Tokens(leeway=5)) == f"Tokens(HS256, iss={ISSUER!r}, aud={AUDIENCE!r}, leeway=5 s)"
