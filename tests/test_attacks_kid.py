"""kid injection (lesson 04): a kid used as a file path reads an empty /dev/null or a public file as the
HMAC key; a kid looked up in the configured keys does not. The "disk" is a dict: no file is opened."""
from __future__ import annotations

import builtins
import io
import os
import pathlib
from collections.abc import Iterator, Mapping
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labsupport as lab
from attack_support import claims, hardened_staff
from labsupport import attacks
from labsupport.attacks import Rejected
from labsupport.attacks.common import json_segment


def staff(**extra: Any) -> dict[str, Any]:
    return claims("mallory", "admin", audience=attacks.STAFF_AUDIENCE, **extra)


class RecordingFolder(Mapping[str, bytes]):
    """A fake disk that remembers every path looked up."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = dict(files)
        self.looked_up: list[str] = []

    def __getitem__(self, path: str) -> bytes:
        self.looked_up.append(path)
        return self.files[path]

    def __contains__(self, path: object) -> bool:
        self.looked_up.append(str(path))
        return path in self.files

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


@pytest.mark.parametrize("kid, path", [
    (attacks.STAFF_KID, f"{attacks.KEY_FOLDER}/{attacks.STAFF_KID}"),
    ("../../../../dev/null", "/dev/null"),
    ("../../../../../../../../dev/null", "/dev/null"),  # more .. than folders: the root stops the climb
    ("/dev/null", "/dev/null"),  # an absolute kid replaces the folder altogether
    ("./2024-06", f"{attacks.KEY_FOLDER}/2024-06"),
    ("x/../../keys/2024-06", f"{attacks.KEY_FOLDER}/2024-06"),
    ("../../../srv/staff-api/static/robots.txt", attacks.ROBOTS_TXT_PATH),
])
def test_kid_path_resolves_dots_as_the_operating_system_would(kid: str, path: str) -> None:
    assert attacks.kid_path(kid) == path


def test_the_fake_disk_holds_the_key_files_dev_null_and_a_public_file() -> None:
    folder = attacks.key_folder()
    assert folder[attacks.kid_path(attacks.STAFF_KID)] == attacks.staff_keys()[attacks.STAFF_KID]
    assert len(attacks.staff_keys()[attacks.STAFF_KID]) == 32
    assert folder["/dev/null"] == b""
    assert folder[attacks.ROBOTS_TXT_PATH] == attacks.ROBOTS_TXT
    assert attacks.kid_path(attacks.TRAVERSAL_KID) == "/dev/null"
    folder.clear()
    assert attacks.key_folder() != folder  # a fresh dict each call


def test_pyjwt_refuses_an_empty_hmac_key_which_is_why_the_lab_signs_by_hand() -> None:
    with pytest.raises(jwt.InvalidKeyError, match="empty"):
        jwt.encode({"sub": "x"}, b"", algorithm="HS256")
    with pytest.raises(jwt.InvalidKeyError, match="empty"):
        jwt.decode(attacks.sign_hs256({"sub": "x"}, b""), b"", algorithms=["HS256"])


def test_a_genuine_staff_token_passes_both_verifiers() -> None:
    with lab.SimClock():
        secret = attacks.staff_keys()[attacks.STAFF_KID]
        token = attacks.sign_hs256(staff(), secret, kid=attacks.STAFF_KID)
        assert attacks.verify_with_kid_path(token) == hardened_staff(token) == staff()
        by_pyjwt = jwt.encode(staff(), secret, algorithm="HS256", headers={"kid": attacks.STAFF_KID})
        assert attacks.verify_with_kid_path(by_pyjwt) == hardened_staff(by_pyjwt) == staff()


@pytest.fixture
def no_file_system(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the kid verifier must not touch the real file system")
    for module, name in [(builtins, "open"), (io, "open"), (os, "open"), (os, "stat"), (os, "lstat"),
                         (os, "listdir"), (os, "scandir"), (os.path, "exists"), (os.path, "isfile")]:
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(pathlib.Path, "open", refuse)
    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)


def test_the_file_system_guard_catches_a_real_read(no_file_system: None) -> None:
    with pytest.raises(AssertionError, match="real file system"):
        open("/dev/null", "rb")
    with pytest.raises(AssertionError, match="real file system"):
        pathlib.Path("/dev/null").read_bytes()


def test_the_traversal_reads_only_the_fake_disk_and_never_the_real_file_system(no_file_system: None) -> None:
    folder = RecordingFolder(attacks.key_folder())
    with lab.SimClock():
        token = attacks.sign_hs256(staff(), b"", kid=attacks.TRAVERSAL_KID)
        assert attacks.verify_with_kid_path(token, folder=folder)["role"] == "admin"
    assert set(folder.looked_up) == {"/dev/null"}


def test_the_folder_given_is_the_only_source_of_keys() -> None:
    """On a disk whose /dev/null is not empty, the empty-key token fails and a token for those bytes passes."""
    odd_disk = {**attacks.key_folder(), "/dev/null": b"not empty here"}
    with lab.SimClock():
        empty = attacks.sign_hs256(staff(), b"", kid=attacks.TRAVERSAL_KID)
        with pytest.raises(Rejected, match="HS256 signature does not match"):
            attacks.verify_with_kid_path(empty, folder=odd_disk)
        matching = attacks.sign_hs256(staff(), b"not empty here", kid=attacks.TRAVERSAL_KID)
        assert attacks.verify_with_kid_path(matching, folder=odd_disk)["role"] == "admin"
        with pytest.raises(Rejected, match="no key file /dev/null"):
            attacks.verify_with_kid_path(empty, folder={})


@pytest.mark.parametrize("make, reason", [
    (lambda: attacks.sign_hs256(staff(), b"", kid="../dev/null"), "no key file /etc/staff-api/dev/null"),
    (lambda: attacks.sign_hs256(staff(), b""), "no kid in the header"),
    (lambda: attacks.sign_hs256(staff(), b"x", kid=attacks.TRAVERSAL_KID), "HS256 signature does not match"),
    (lambda: attacks.forge_unsigned({**staff(), "kid": "x"}), "alg 'none' is not allowed"),
    (lambda: attacks.sign_hs256(staff(exp=0), b"", kid=attacks.TRAVERSAL_KID), "ExpiredSignatureError"),
    (lambda: attacks.sign_hs256(staff(aud=attacks.SHOP_AUDIENCE), b"", kid=attacks.TRAVERSAL_KID),
     "InvalidAudienceError"),
    (lambda: attacks.sign_hs256({"sub": "mallory", "role": "admin"}, b"", kid=attacks.TRAVERSAL_KID),
     "MissingRequiredClaimError"),
])
def test_the_kid_verifier_makes_only_its_one_mistake(make: Any, reason: str) -> None:
    with lab.SimClock():
        with pytest.raises(Rejected, match=reason):
            attacks.verify_with_kid_path(make())


def test_the_hardened_staff_verifier_rejects_every_kid_it_was_not_configured_with() -> None:
    with lab.SimClock():
        for kid in [attacks.TRAVERSAL_KID, attacks.ROBOTS_TXT_PATH, "2024-05", f"./{attacks.STAFF_KID}"]:
            with pytest.raises(jwt.InvalidKeyError, match="unknown kid"):
                hardened_staff(attacks.sign_hs256(staff(), b"", kid=kid))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(alg=st.sampled_from(["HS256", "none", "RS256"]) | JSON,
       kid=st.sampled_from([attacks.TRAVERSAL_KID, attacks.STAFF_KID, "..", "/", ""]) | st.text(max_size=30) | JSON,
       payload=st.dictionaries(st.text(max_size=4), JSON, max_size=4), signature=st.binary(max_size=40))
def test_the_kid_verifier_only_ever_raises_rejected(alg: Any, kid: Any, payload: dict[str, Any],
                                                     signature: bytes) -> None:
    token = f"{json_segment({'alg': alg, 'kid': kid})}.{json_segment(payload)}.{attacks.b64url_encode(signature)}"
    with pytest.raises(Rejected):
        attacks.verify_with_kid_path(token)
