"""DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else (lesson 04): kid as a file path.

The staff API signs HS256 tokens and rotates its secret: each secret is a file in
``KEY_FOLDER`` named by its key id, and the header's ``kid`` says which one signed the token.
``verify_with_kid_path`` joins the kid to the folder and reads whatever file that names.
``../../../../dev/null`` names an empty file, so the HMAC key is empty, and the attacker signs
with an empty key too; a public file (``ROBOTS_TXT``) works as well, because its bytes are known.

PyJWT refuses an empty HMAC key, so the attacker signs by hand (``classic.sign_hs256``) and the
verifier computes the HMAC by hand. Its disk is ``key_folder()``: a dict of path -> bytes in
this process. No file is ever opened; ``..`` is resolved with ``posixpath.normpath``, as the
operating system would.

The fix: look the kid up in the fixed set of keys the service was configured with
(``staff_keys()``), and reject an unknown kid.
"""
from __future__ import annotations

import hashlib
import hmac
import posixpath
from collections.abc import Mapping
from typing import Any

from ..keys import derived_secret
from .common import SHOP_ISSUER, Rejected, decode_strictly, split_token

KEY_FOLDER = "/etc/staff-api/keys"
"""Where the staff API keeps its secrets, one file per key id."""
STAFF_KID = "2024-06"
"""The key id of the staff API's current secret."""
STAFF_AUDIENCE = "staff-api"
"""The audience of the staff API's tokens (the login service issues them: ``SHOP_ISSUER``)."""
TRAVERSAL_KID = "../../../../dev/null"
"""The classic kid: up and out of the key folder, to a file that is always there and always empty."""
ROBOTS_TXT_PATH = "/srv/staff-api/static/robots.txt"
"""A file the staff API serves to anyone: its bytes are known, so it works as a key too."""
ROBOTS_TXT = b"User-agent: *\nDisallow: /\n"


def staff_keys() -> dict[str, bytes]:
    """The staff API's configured keys, kid -> secret (32 bytes each): what a careful verifier looks up."""
    return {STAFF_KID: derived_secret(f"staff-api-{STAFF_KID}")}


def key_folder() -> dict[str, bytes]:
    """The staff API's disk, in memory: absolute path -> file contents.

    The key folder with one file per configured key, ``/dev/null`` (empty) and the public
    ``robots.txt``. A fresh dict each call. It is the only thing ``verify_with_kid_path`` reads.
    """
    folder = {posixpath.join(KEY_FOLDER, kid): secret for kid, secret in staff_keys().items()}
    return {**folder, "/dev/null": b"", ROBOTS_TXT_PATH: ROBOTS_TXT}


def kid_path(kid: str) -> str:
    """The file a kid names when joined to ``KEY_FOLDER``, ``..`` resolved (an absolute kid wins)."""
    return posixpath.normpath(posixpath.join(KEY_FOLDER, kid))


def verify_with_kid_path(token: str, *, folder: Mapping[str, bytes] | None = None,
                         audience: str = STAFF_AUDIENCE, issuer: str = SHOP_ISSUER) -> dict[str, Any]:
    """DELIBERATELY VULNERABLE - for the attack lab only; used by nothing else.

    Its one mistake: the header's ``kid`` is used as a file path under ``KEY_FOLDER``, unchecked,
    and the file's bytes are the HMAC key, whatever they are (even none). ``folder`` is the disk
    (``key_folder()`` when not given): nothing else is read.

    Everything else is done right: HS256 is pinned, the HMAC is compared in constant time, and
    PyJWT checks expiry, audience, issuer and required claims (with its own signature check off,
    because PyJWT refuses the empty key this verifier happily uses). Returns the claims, or
    raises ``Rejected``.
    """
    disk = key_folder() if folder is None else folder
    header_b64, payload_b64, _, header, _, signature = split_token(token)
    if header.get("alg") != "HS256":
        raise Rejected(f"alg {header.get('alg')!r} is not allowed: HS256 only")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise Rejected("no kid in the header")
    path = kid_path(kid)  # the mistake: the token names the file that holds its key
    if path not in disk:
        raise Rejected(f"no key file {path}")
    expected = hmac.new(disk[path], f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise Rejected("HS256 signature does not match")
    return decode_strictly(token, None, algorithm="HS256", audience=audience, issuer=issuer, verify_signature=False)


__all__ = [
    "KEY_FOLDER", "ROBOTS_TXT", "ROBOTS_TXT_PATH", "STAFF_AUDIENCE", "STAFF_KID", "TRAVERSAL_KID",
    "key_folder", "kid_path", "staff_keys", "verify_with_kid_path",
]
