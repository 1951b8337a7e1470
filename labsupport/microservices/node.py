"""A second, independent verifier: a few lines of Node.js checking the gateway's Ed25519 signature (lesson 07).

The article's last bullet, *technology heterogeneity*: a service written in another language
verifies the same token with its own standard library. The Node source uses only what Node 12
and later have built in (``crypto.createPublicKey`` with an SPKI DER key, ``crypto.verify``
with a ``null`` digest for Ed25519); base64url is decoded by hand, since Buffer learned it
only in Node 15.7. Where ``node`` is not installed, ``NodeUnavailable`` says so, and
``RECORDED_RESULT`` is what Node answered for the lesson's tokens where it is.
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import LabError
from ..tables import Table

NODE_VERIFIER = r"""
const crypto = require("crypto");

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Buffer.from(base64 + "=".repeat((4 - (base64.length % 4)) % 4), "base64");
}

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const { tokens, spki } = JSON.parse(input);
  const publicKey = crypto.createPublicKey({ key: Buffer.from(spki, "base64"), format: "der", type: "spki" });
  for (const [label, token] of tokens) {
    const [header, payload, signature] = token.split(".");
    const signed = Buffer.from(header + "." + payload);
    const valid = crypto.verify(null, signed, publicKey, fromBase64url(signature));
    const claims = JSON.parse(fromBase64url(payload).toString());
    console.log(JSON.stringify({ token: label, valid: valid, alg: JSON.parse(fromBase64url(header)).alg,
                                 sub: claims.sub }));
  }
});
"""
"""The Node.js verifier: reads ``{"tokens": [[label, token], ...], "spki": <base64 DER>}`` on stdin,
prints one JSON line per token."""

RECORDED_RESULT: tuple[dict[str, Any], ...] = (
    {"token": "as the gateway signed it", "valid": True, "alg": "EdDSA", "sub": "user000"},
    {"token": "payload edited (sub: admin)", "valid": False, "alg": "EdDSA", "sub": "admin"},
)
"""What Node answered for lesson 07's two tokens (its Node cell), recorded where Node is installed;
a test runs that cell and checks that Node still answers exactly this."""

TIMEOUT_SECONDS = 30


class NodeUnavailable(LabError):
    """``node`` is not installed here."""

    def __init__(self) -> None:
        super().__init__("Node.js is not installed here (no `node` on the PATH), so below is the answer it gave "
                         "where it is installed.")


class NodeFailed(LabError):
    """``node`` ran but did not answer as expected."""


def spki_der(public_key: Ed25519PublicKey) -> bytes:
    """The public key as DER-encoded SubjectPublicKeyInfo: the format ``crypto.createPublicKey`` reads."""
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def with_claims(token: str, **changes: Any) -> str:
    """``token`` with its payload edited and its signature kept: a forgery, for the verifier to catch."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited = base64.urlsafe_b64encode(json.dumps({**claims, **changes}, separators=(",", ":")).encode())
    return f"{header}.{edited.decode().rstrip('=')}.{signature}"


def verify_with_node(tokens: Mapping[str, str], public_key: Ed25519PublicKey, *,
                     timeout: float = TIMEOUT_SECONDS) -> Table:
    """Each token checked by Node.js's own ``crypto`` against ``public_key``: valid or not, and what it claims.

    Raises ``NodeUnavailable`` where ``node`` is not installed, ``NodeFailed`` if it errs or hangs.
    """
    node = shutil.which("node")
    if node is None:
        raise NodeUnavailable()
    document = json.dumps({"tokens": list(tokens.items()), "spki": base64.b64encode(spki_der(public_key)).decode()})
    try:
        done = subprocess.run([node, "-e", NODE_VERIFIER], input=document, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise NodeFailed(f"node did not answer within {timeout:g} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no error message"])[-1]
        raise NodeFailed(f"node exited with status {done.returncode}: {last[:200]}")
    try:
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    except ValueError:
        raise NodeFailed("node printed something that is not one JSON object per line") from None
    return Table(rows, columns=["token", "valid", "alg", "sub"], title="verified by Node.js's own crypto module")


def recorded_result() -> Table:
    """``RECORDED_RESULT`` as the table ``verify_with_node`` returns."""
    return Table(RECORDED_RESULT, columns=["token", "valid", "alg", "sub"],
                 title="verified by Node.js's own crypto module (recorded where node is installed)")


__all__ = ["NODE_VERIFIER", "RECORDED_RESULT", "NodeFailed", "NodeUnavailable", "recorded_result", "spki_der",
           "verify_with_node", "with_claims"]
