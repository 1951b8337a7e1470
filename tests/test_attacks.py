"""The attack lab's package (lesson 04): each classic attack beats the vulnerable verifier and
not PyJWT used the hardened way; the cracker finds weak secrets and only those; nothing else imports
the package; and every later attack family, side by side, beats its vulnerable verifier and not
the hardened one. Each later family's details are tested in test_attacks_<family>.py."""
from __future__ import annotations

import ast
import hashlib
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

import labsupport as lab
from attack_support import (
    ATTACKER_KEY,
    ORDERS_KEY,
    ORDERS_PEM,
    PUBLIC_PEM,
    claims,
    hardened,
    hardened_orders,
    hardened_staff,
    mint,
)
from labsupport import attacks
from labsupport.attacks import Rejected, vulnerable_verify

PACKAGE = Path(lab.__file__).parent
ALLOWED_IMPORTERS = {"__init__.py", "exercises/lesson04.py"}
"""The re-export and the attack lab's own exercise checks (besides the package's own modules)."""
MARKER = "DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else"


# --- the marking ----------------------------------------------------------------------------

def test_package_and_verifier_are_marked_deliberately_vulnerable() -> None:
    assert attacks.__doc__ is not None and attacks.__doc__.startswith(MARKER)
    assert vulnerable_verify.__doc__ is not None and vulnerable_verify.__doc__.startswith(MARKER)


def test_every_module_of_the_package_is_marked_deliberately_vulnerable() -> None:
    modules = sorted((PACKAGE / "attacks").glob("*.py"))
    assert len(modules) >= 8
    for file in modules:
        doc = ast.get_docstring(ast.parse(file.read_text(encoding="utf-8")))
        assert doc is not None and doc.startswith(MARKER), file.name


@pytest.mark.parametrize("name", ["vulnerable_verify", "verify_with_header_jwk", "verify_with_jku",
                                  "verify_with_kid_path", "TokenHashDenylist"])
def test_each_deliberate_mistake_is_marked_where_it_is_defined(name: str) -> None:
    doc = getattr(attacks, name).__doc__
    assert doc is not None and doc.startswith(MARKER)


def test_the_package_re_exports_every_public_name_of_its_modules() -> None:
    import importlib
    for file in sorted((PACKAGE / "attacks").glob("*.py")):
        if file.stem == "__init__":
            continue
        module = importlib.import_module(f"labsupport.attacks.{file.stem}")
        for name in module.__all__:
            assert getattr(attacks, name) is getattr(module, name), f"{file.stem}.{name}"
            assert name in attacks.__all__, name


def _imports_attacks(source: str, path: str) -> bool:
    """True if ``source`` (a module at ``path`` inside labsupport) imports ``labsupport.attacks``."""
    depth = path.count("/")  # how many packages below labsupport the module sits
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            if any(a.name == "labsupport.attacks" or a.name.startswith("labsupport.attacks.") for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                module = node.module or ""
            elif node.level == depth + 1:  # relative to labsupport itself
                module = "labsupport" + (f".{node.module}" if node.module else "")
            else:  # relative to a subpackage (or above labsupport): never labsupport.attacks
                continue
            if module == "labsupport.attacks" or module.startswith("labsupport.attacks."):
                return True
            if module == "labsupport" and any(a.name == "attacks" for a in node.names):
                return True
        elif isinstance(node, ast.Call):  # importlib.import_module("labsupport.attacks") or __import__
            if any(isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "attacks" in arg.value
                   for arg in node.args):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in {"import_module", "__import__"}:
                    return True
    return False


@pytest.mark.parametrize("source, path", [
    ("from . import attacks", "shop.py"),
    ("from .attacks import vulnerable_verify", "tokens.py"),
    ("from .. import attacks", "sessions/jwt.py"),
    ("from ..attacks import vulnerable_verify as verify", "sessions/jwt.py"),
    ("import labsupport.attacks", "shop.py"),
    ("from labsupport import keys, attacks", "sessions/jwt.py"),
    ("from labsupport.attacks import forge_unsigned", "exercises/lesson05.py"),
    ("import importlib\nv = importlib.import_module('labsupport.attacks')", "shop.py"),
    ("def f():\n    from .attacks import tamper\n    return tamper", "tokens.py"),
])
def test_the_import_check_catches_each_way_of_importing(source: str, path: str) -> None:
    assert _imports_attacks(source, path)


@pytest.mark.parametrize("source, path", [
    ("from . import keys, plots", "shop.py"),
    ("from .base import Exercise", "exercises/lesson03.py"),
    ("from . import attacks", "sessions/base.py"),  # would be labsupport.sessions.attacks, not ours
    ("import jwt\nattacks = ['none']", "tokens.py"),
])
def test_the_import_check_lets_other_imports_pass(source: str, path: str) -> None:
    assert not _imports_attacks(source, path)


def test_nothing_else_in_labsupport_imports_attacks() -> None:
    offenders = []
    for file in sorted(PACKAGE.rglob("*.py")):
        rel = file.relative_to(PACKAGE).as_posix()
        if rel.startswith("attacks/"):
            continue  # the package's own modules
        if rel not in ALLOWED_IMPORTERS and _imports_attacks(file.read_text(encoding="utf-8"), rel):
            offenders.append(rel)
    assert offenders == [], f"only the attack lab may use the deliberately vulnerable verifier: {offenders}"


def test_the_allowed_importers_really_import_it_so_the_list_cannot_go_stale() -> None:
    for rel in ALLOWED_IMPORTERS:
        assert _imports_attacks((PACKAGE / rel).read_text(encoding="utf-8"), rel), rel


# --- honest traffic ------------------------------------------------------------------------

def test_a_genuine_token_passes_both_verifiers_with_the_same_claims() -> None:
    with lab.SimClock():
        token = mint()
        assert vulnerable_verify(token, PUBLIC_PEM) == hardened(token) == claims()


def test_a_genuine_hs256_token_passes_the_vulnerable_verifier_and_a_wrong_secret_does_not() -> None:
    token = jwt.encode(claims(), lab.keys.DEMO_HMAC_SECRET, algorithm="HS256")
    assert vulnerable_verify(token, lab.keys.DEMO_HMAC_SECRET)["sub"] == "ana"
    assert vulnerable_verify(token, lab.keys.DEMO_HMAC_SECRET.encode())["sub"] == "ana"
    with pytest.raises(Rejected, match="HS256 signature does not match"):
        vulnerable_verify(token, lab.keys.DEMO_HMAC_SECRET + "x")


def test_tokens_minted_in_simulated_time_reproduce_byte_for_byte() -> None:
    def everything() -> list[str]:
        with lab.SimClock():
            genuine = mint()
            return [genuine, attacks.tamper(genuine, role="admin"), attacks.forge_unsigned(claims(role="admin")),
                    attacks.sign_hs256(claims(role="admin"), PUBLIC_PEM)]
    assert everything() == everything()


# --- each attack -------------------------------------------------------------------------------

def _none(alg: str) -> Callable[[], str]:
    return lambda: attacks.forge_unsigned(claims("mallory", "admin"), alg=alg)


ATTACKS: dict[str, tuple[Callable[[], str], type[jwt.PyJWTError]]] = {
    **{f"alg {alg}": (_none(alg), jwt.InvalidAlgorithmError) for alg in attacks.NONE_CASINGS},
    "HS/RS confusion": (lambda: attacks.sign_hs256(claims("mallory", "admin"), PUBLIC_PEM), jwt.InvalidAlgorithmError),
    "no exp": (lambda: mint(lifetime=None), jwt.MissingRequiredClaimError),
    "wrong audience": (lambda: mint(role="admin", aud=attacks.OTHER_AUDIENCE), jwt.InvalidAudienceError),
    "wrong issuer": (lambda: mint(iss="https://login.evil.example"), jwt.InvalidIssuerError),
    "expired": (lambda: mint(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), jwt.ExpiredSignatureError),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_the_vulnerable_verifier_accepts_and_pyjwt_hardened_rejects(name: str) -> None:
    make, error = ATTACKS[name]
    with lab.SimClock():
        token = make()
        assert vulnerable_verify(token, PUBLIC_PEM)["sub"] in {"ana", "mallory"}
        with pytest.raises(error):
            hardened(token)
        record = attacks.side_by_side(name, token, vulnerable_key=PUBLIC_PEM, hardened=hardened)
    assert record["vulnerable"] == "accepted" and record["vulnerable reason"] == ""
    assert record["hardened"] == "rejected" and record["reason"].startswith(f"{error.__name__}: ")


def test_none_tokens_are_unsigned_and_carry_the_casing_asked_for() -> None:
    for alg in attacks.NONE_CASINGS:
        token = attacks.forge_unsigned({"sub": "mallory"}, alg=alg)
        assert token.endswith(".") and token.count(".") == 2
        assert jwt.get_unverified_header(token) == {"alg": alg, "typ": "JWT"}
        assert vulnerable_verify(token, "any key at all") == {"sub": "mallory"}


def test_the_verifier_grants_admin_to_the_forged_tokens() -> None:
    with lab.SimClock():
        for name in ["alg nOnE", "HS/RS confusion"]:
            assert vulnerable_verify(ATTACKS[name][0](), PUBLIC_PEM)["role"] == "admin"


def test_the_vulnerable_verifier_skips_exp_forever() -> None:
    with lab.SimClock() as clock:
        expiring, forever = mint(lifetime=900), mint(lifetime=None)
        clock.advance(365 * 24 * 3600)
        assert vulnerable_verify(expiring, PUBLIC_PEM)["sub"] == "ana"
        assert vulnerable_verify(forever, PUBLIC_PEM)["sub"] == "ana"
        with pytest.raises(jwt.ExpiredSignatureError):
            hardened(expiring)
        with pytest.raises(jwt.MissingRequiredClaimError, match='"exp"'):
            hardened(forever)
        # the lesson's point: without `require`, PyJWT checks exp only when it is present
        assert jwt.decode(forever, PUBLIC_PEM, algorithms=["RS256"], audience=attacks.SHOP_AUDIENCE,
                          issuer=attacks.SHOP_ISSUER)["sub"] == "ana"


def test_pyjwt_refuses_to_sign_or_verify_with_a_public_key_as_hmac_secret() -> None:
    with pytest.raises(jwt.InvalidKeyError):
        jwt.encode({"sub": "mallory"}, PUBLIC_PEM, algorithm="HS256")
    with lab.SimClock():
        confused = ATTACKS["HS/RS confusion"][0]()
        with pytest.raises(jwt.InvalidKeyError):
            jwt.decode(confused, PUBLIC_PEM, algorithms=["RS256", "HS256"], audience=attacks.SHOP_AUDIENCE,
                       issuer=attacks.SHOP_ISSUER)


def test_a_plain_tamper_is_caught_even_by_the_vulnerable_verifier() -> None:
    """The control row: the signature holds; the attacks go around the verifier instead."""
    with lab.SimClock():
        tampered = attacks.tamper(mint(), role="admin")
        assert jwt.decode(tampered, options={"verify_signature": False})["role"] == "admin"
        with pytest.raises(Rejected, match="RS256 signature does not match"):
            vulnerable_verify(tampered, PUBLIC_PEM)
        with pytest.raises(jwt.InvalidSignatureError):
            hardened(tampered)
        record = attacks.side_by_side("tamper", tampered, vulnerable_key=PUBLIC_PEM, hardened=hardened)
    assert (record["vulnerable"], record["hardened"]) == ("rejected", "rejected")
    assert record["vulnerable reason"] == "RS256 signature does not match"
    assert record["reason"] == "InvalidSignatureError: Signature verification failed"


def test_tamper_keeps_header_and_signature_and_changes_only_the_claims() -> None:
    with lab.SimClock():
        genuine = mint()
        tampered = attacks.tamper(genuine, role="admin", extra=1)
    g, t = genuine.split("."), tampered.split(".")
    assert (g[0], g[2]) == (t[0], t[2]) and g[1] != t[1]
    before = jwt.decode(genuine, options={"verify_signature": False})
    assert jwt.decode(tampered, options={"verify_signature": False}) == {**before, "role": "admin", "extra": 1}


def test_a_weak_secret_is_cracked_and_its_forgery_beats_even_the_hardened_verifier() -> None:
    weak = "your-256-bit-secret"
    with lab.SimClock():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            victim = jwt.encode(claims("bob", "picker"), weak, algorithm="HS256")
        assert [w.category for w in caught] == [jwt.warnings.InsecureKeyLengthWarning]
        cracked = attacks.crack_hs256(victim)
        assert cracked.found and cracked.secret == weak
        forged = attacks.sign_hs256(claims("mallory", "admin"), cracked.secret)

        def hardened_weak(token: str) -> dict[str, Any]:
            return hardened(token, weak, algorithm="HS256")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            assert hardened_weak(forged)["role"] == "admin"
        assert vulnerable_verify(forged, weak)["role"] == "admin"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # side_by_side must catch PyJWT's warning, not let it out
            record = attacks.side_by_side("weak", forged, vulnerable_key=weak, hardened=hardened_weak)
    assert (record["vulnerable"], record["hardened"]) == ("accepted", "accepted")
    assert record["reason"] == "PyJWT warned: InsecureKeyLengthWarning"


# --- the later families, side by side ----------------------------------------------------------

def _staff(**extra: Any) -> dict[str, Any]:
    return claims("mallory", "admin", audience=attacks.STAFF_AUDIENCE, **extra)


def _orders_confusion() -> str:
    genuine = [jwt.encode(claims(sub, audience=attacks.ORDERS_AUDIENCE), ORDERS_KEY, algorithm="RS256")
               for sub in ("ana", "bob")]
    forms = attacks.confusion_tokens(claims("mallory", "admin", audience=attacks.ORDERS_AUDIENCE),
                                     attacks.recover_rsa_modulus(genuine))
    return forms["SubjectPublicKeyInfo (BEGIN PUBLIC KEY)"]


LATER: dict[str, tuple[Callable[[], str], Callable[[str], Any], Callable[[str], Any], str]] = {
    "jwk header injection": (
        lambda: attacks.sign_with_embedded_jwk(claims("mallory", "admin"), ATTACKER_KEY),
        attacks.verify_with_header_jwk, hardened, "InvalidSignatureError: Signature verification failed"),
    "jku header injection": (
        lambda: attacks.sign_with_jku(claims("mallory", "admin"), ATTACKER_KEY),
        lambda token: attacks.verify_with_jku(token, fetch=attacks.fake_web()), hardened,
        "InvalidSignatureError: Signature verification failed"),
    "kid path traversal to /dev/null": (
        lambda: attacks.sign_hs256(_staff(), b"", kid=attacks.TRAVERSAL_KID),
        attacks.verify_with_kid_path, hardened_staff, "InvalidKeyError: unknown kid '../../../../dev/null'"),
    "kid naming a public file": (
        lambda: attacks.sign_hs256(_staff(), attacks.ROBOTS_TXT, kid=attacks.ROBOTS_TXT_PATH),
        attacks.verify_with_kid_path, hardened_staff,
        f"InvalidKeyError: unknown kid {attacks.ROBOTS_TXT_PATH!r}"),
    "HS/RS confusion, key recovered from two tokens": (
        _orders_confusion, lambda token: attacks.vulnerable_verify(token, ORDERS_PEM), hardened_orders,
        "InvalidAlgorithmError: The specified alg value is not allowed"),
}


@pytest.mark.parametrize("name", list(LATER))
def test_each_later_attack_beats_its_vulnerable_verifier_and_not_the_hardened_one(name: str) -> None:
    make, vulnerable, strict, reason = LATER[name]
    with lab.SimClock():
        token = make()
        assert vulnerable(token)["role"] == "admin"
        with pytest.raises(jwt.PyJWTError):
            strict(token)
        record = attacks.side_by_side(name, token, vulnerable=vulnerable, hardened=strict)
    assert record == {"attack": name, "vulnerable": "accepted", "vulnerable reason": "",
                      "hardened": "rejected", "reason": reason}


@pytest.mark.parametrize("name", list(LATER))
def test_each_later_vulnerable_verifier_still_rejects_a_plain_tamper(name: str) -> None:
    """Each has one named mistake, not none: a tampered token fails its signature check."""
    make, vulnerable, _, _ = LATER[name]
    with lab.SimClock():
        tampered = attacks.tamper(make(), sub="someone-else")
        with pytest.raises(Rejected, match="signature|Signature"):
            vulnerable(tampered)


def test_the_later_rows_have_the_shape_of_the_classic_ones() -> None:
    with lab.SimClock():
        classic = attacks.side_by_side("alg none", attacks.forge_unsigned(claims()), vulnerable_key=PUBLIC_PEM,
                                       hardened=hardened)
        later = attacks.side_by_side("jwk", LATER["jwk header injection"][0](),
                                     vulnerable=attacks.verify_with_header_jwk, hardened=hardened)
    assert list(classic) == list(later) == ["attack", "vulnerable", "vulnerable reason", "hardened", "reason"]


# --- the cracker ----------------------------------------------------------------------------

@pytest.mark.parametrize("secret", ["secret", "password", "changeme", "your-256-bit-secret", "shhhhh"])
def test_the_cracker_finds_each_weak_secret_of_its_list(secret: str) -> None:
    token = attacks.sign_hs256({"sub": "bob"}, secret)
    result = attacks.crack_hs256(token)
    assert result == attacks.CrackResult(secret, attacks.COMMON_SECRETS.index(secret) + 1)
    assert repr(result) == f"CrackResult(secret={secret!r}, tried={result.tried})"


@pytest.mark.parametrize("strong", [hashlib.sha256(b"a strong, random-looking secret").digest(),
                                    lab.keys.DEMO_HMAC_SECRET.encode(), b"secret!"])
def test_the_cracker_does_not_find_a_secret_outside_its_list(strong: bytes) -> None:
    result = attacks.crack_hs256(attacks.sign_hs256({"sub": "bob"}, strong))
    assert not result.found and result == attacks.CrackResult(None, len(attacks.COMMON_SECRETS))


def test_the_cracker_takes_any_word_list_and_stops_at_the_first_hit() -> None:
    token = attacks.sign_hs256({"sub": "bob"}, "hunter2")
    assert attacks.crack_hs256(token, ["a", "b", "hunter2", "never tried"]) == attacks.CrackResult("hunter2", 3)
    assert attacks.crack_hs256(token, iter(["a", "b"])) == attacks.CrackResult(None, 2)
    assert attacks.crack_hs256(token, []) == attacks.CrackResult(None, 0)


def test_the_cracker_compares_in_constant_time_and_only_cracks_hs256() -> None:
    import inspect
    assert "hmac.compare_digest" in inspect.getsource(attacks.crack_hs256)
    with pytest.raises(Rejected, match="not an HS256 token"):
        attacks.crack_hs256(mint())
    with pytest.raises(Rejected, match="not an HS256 token"):
        attacks.crack_hs256(attacks.forge_unsigned({"sub": "x"}))


def test_the_word_list_holds_the_secrets_the_lesson_names() -> None:
    for word in ["your-256-bit-secret", "secret", "password", "changeme"]:
        assert word in attacks.COMMON_SECRETS
    assert len(set(attacks.COMMON_SECRETS)) == len(attacks.COMMON_SECRETS)


# --- robustness of the hand-written parts -----------------------------------------------------

@pytest.mark.parametrize("token", [
    "", "a.b", "a.b.c.d", "!!!.???.###", "e30.e30", "W10.e30.", "e30.W10.", "bm90IGpzb24.e30.",
    attacks.forge_unsigned({"sub": "x"}, alg="HS512"),
    "eyJ0eXAiOiJKV1QifQ.e30.",  # no alg at all: not treated as "none"
    attacks.b64url_encode(b"[" * 100_000) + ".e30.",  # nested deeper than Python's stack
])
def test_malformed_or_unsupported_tokens_are_rejected_with_a_reason(token: str) -> None:
    with pytest.raises(Rejected) as info:
        vulnerable_verify(token, PUBLIC_PEM)
    assert info.value.reason and isinstance(info.value, lab.LabError)


def test_an_rs256_token_with_a_plain_secret_configured_is_rejected() -> None:
    with pytest.raises(Rejected, match="not an RSA public key"):
        vulnerable_verify(mint(), "a plain secret")
    ed_pem = lab.keys.public_pem(lab.keys.ed25519_private_key(0))
    with pytest.raises(Rejected, match="not an RSA public key"):
        vulnerable_verify(mint(), ed_pem)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80) | st.lists(st.text(alphabet="abcAB09-_=", max_size=20), min_size=3, max_size=3).map(".".join))
def test_the_vulnerable_verifier_only_ever_raises_rejected(token: str) -> None:
    try:
        vulnerable_verify(token, PUBLIC_PEM)
    except Rejected:
        pass


@pytest.mark.parametrize("value", [b"", b"\x00\xff", b"abc", bytes(range(256))])
def test_b64url_round_trips_without_padding(value: bytes) -> None:
    text = attacks.b64url_encode(value)
    assert "=" not in text and "+" not in text and "/" not in text
    assert attacks.b64url_decode(text) == value


def test_side_by_side_needs_a_key_or_a_vulnerable_verifier() -> None:
    with pytest.raises(lab.LabError, match="vulnerable_key"):
        attacks.side_by_side("x", attacks.forge_unsigned({}), hardened=hardened)


def test_side_by_side_lets_a_bug_in_the_hardened_callable_surface() -> None:
    def broken(token: str) -> None:
        raise ZeroDivisionError("bug")
    with pytest.raises(ZeroDivisionError):
        attacks.side_by_side("x", attacks.forge_unsigned({}), vulnerable_key=PUBLIC_PEM, hardened=broken)


def test_a_tampered_token_gets_in_only_where_claims_are_read_unverified() -> None:
    tampered = attacks.tamper(mint(), role="admin")

    def careless_read(token: str) -> dict[str, Any]:
        return jwt.decode(token, options={"verify_signature": False})

    def hardened(token: str) -> dict[str, Any]:
        return jwt.decode(token, PUBLIC_PEM, algorithms=["RS256"], audience=attacks.SHOP_AUDIENCE)

    control = attacks.side_by_side("t", tampered, vulnerable_key=PUBLIC_PEM, hardened=hardened)
    careless = attacks.side_by_side("t", tampered, vulnerable_key=PUBLIC_PEM, hardened=hardened,
                                    vulnerable=careless_read)
    assert (control["vulnerable"], control["hardened"]) == ("rejected", "rejected")
    assert (careless["vulnerable"], careless["hardened"]) == ("accepted", "rejected")
    assert careless["reason"].startswith("InvalidSignatureError")


# --- the plot ------------------------------------------------------------------------------

def test_verdict_grid_colours_the_bad_verdicts() -> None:
    fig = lab.plots.verdict_grid(["a", "b"], {"left": ["accepted", "rejected"], "right": ["rejected", "rejected"]},
                                 bad="accepted", title="t")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    colours = [p.get_facecolor() for p in ax.patches]
    assert len(colours) == 4
    from matplotlib.colors import to_rgba
    assert colours.count(to_rgba(lab.plots.LOST_COLOR)) == 1
    assert colours.count(to_rgba(lab.plots.KEPT_COLOR)) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert fig._repr_png_().startswith(b"\x89PNG")
