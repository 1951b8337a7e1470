"""Demo key material for the JWT lessons (03, 04, 05, 07): public on purpose, never for real use.

HS256 needs a shared secret of at least 32 bytes (PyJWT warns below that). Ed25519 keys come
from bytes derived from a seed, so signatures reproduce run after run. RSA keys cannot be
derived from a seed, so the RSA demo key is stored here as text.
"""
from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

DEMO_HMAC_SECRET = "course-demo-jwt-secret-not-for-production-000001"
"""The HS256 secret every simulated server shares (48 bytes; public, demo only)."""

DEMO_RSA_PRIVATE_PEM = """-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDQTljORDAVPdN8
Nqmb5iQgAlH4bIB8kuW9FeORI/RmHSui+QnX5812uPrJWYwssvrUh/Eefgp0vINp
zD34XwLwS493UlBZ+TR9GxOryI7/ndtDDjYROUosRypvehRRSlSIYy01Q3z0/X7Y
6fyeP70YzJqjZIe0G4jZw7a2jB98Y3OQGYB1DW4F9x+gWmjtV0fTnG824IW/exeY
HQeRAoVrxyePRsFIPQzhwn17bUqGYkzPZt3fwPARoXi9V2WxAGsLASBg5a7BvVbT
UQ1KU+SVvcw0tHuufJv9FfsXzd4wWqd8mDvMBFhzO6l6E7zLbP2B3vUDXLE4c7Na
y0GejLkvAgMBAAECggEABv6RVM4EMZb4JvQoETpSxn4WmD3+uVSuiiWxcC7CBql1
OsjTFqVnEVTl5JKe5AgzC+65MVxY8PXzfxqC1+XdY/ecZ+gjFyJR4pYX4UjEbZaP
6jWizo3R6FdG08iRm8tykzHPCjo95iwITKFutzYpQZkPdevqzgRA9K7xqxU4RNxX
EUqgktfRSapN24WLsJKs+Sm5ZNH1ksgKh8GIHxsC8UNdLP782OB9rttsDpKquMxR
a2J66hSlNwOPIIixKPTuuO1jkzKcCOvZ9mwMgZhYYkmEQ2keqOT0C41VyUh3bK4J
VIwzqrsUVidUtENYOp8tasanxbvXmmS0N3MRIc/TIQKBgQDyPwVARKPhZh5sjw+U
V74inFsCiArwbYq5wYU6n1jawdhAnZF6JPZJRwmOp6ilZsi2OaxAPCgQRs8jU6Vi
5svQjDitEBQjctY5COg3IEwad5Kcyp5oAkiWk4EsQ3PppmnWYfYsTfy2XOBwafSF
LBEZIIDDr5yhXrrDLWrVM0xtVQKBgQDcIgQlXHDHrqbU0xLQ8pbWl902m5Cih3bD
CefJJa57COzj2CmHorBL49nD+95rjP+jHfNRhmYaEKoh4gnUEI9QfYHLVBZvtWwh
2N3kmQNfDP8DobLrWmp9JNE2S1kCO4c313JfQUiOVVkYeGrgYFeRDsvIDMxnZ9AZ
xgXhtrkscwKBgQCZILMeDAWXzmh+8PPFLq22zSVOdVaM4oGlqCmig+Wz6oLbXX7/
OewhJ/Fnpp2ZaF6Jqe0zcZNVrpzzVMWfvgqqGmkdJKPGQKofxXyclCLnPByGViJJ
1t+xpy4pH75evN38MVJecTHEyPLqvF9f6xonyv76M8EL1Ii0Jbp5aILwPQKBgFN2
UjwYIGqVPYvTu36de7NBQQ5DTUNSOSUZzFfngZAEgkyg2J4kgNNFQHueM2ZzvzkJ
UgfG/U9EojzWhwNwg+XwsBV3fEo+bxEmOHtDyJNxSf8Gf9/cGCP6oZgEWWsPRuVV
OngDOI8+rNkqTttjq8/D3F+s+pL6OVyMSA6cSPkhAoGBAIqi6slzdEiECcq7rJID
DkiDkAm0Fml3DUYPY/mJCj4O6PL5tPgjCvhhSMp72+ugoD1rORJXNkmr8zvCDMdg
AhpTtxAcu0/VqdKBefeGSiohrHYKoX4wEt6MQNlxOSgAkdZABqO6xWlXDC3cWcCZ
3253tj78RQrzIggZmP0IpPN0
-----END PRIVATE KEY-----
"""


def ed25519_private_key(seed: int = 0) -> Ed25519PrivateKey:
    """An Ed25519 signing key derived from ``seed``: the same seed gives the same key."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"labsupport-ed25519-{seed}".encode()).digest())


def ed25519_public_key(seed: int = 0) -> Ed25519PublicKey:
    """The public half of ``ed25519_private_key(seed)``: what a verifying service gets."""
    return ed25519_private_key(seed).public_key()


def rsa_private_key() -> RSAPrivateKey:
    """The demo RSA key (2048 bits), for lesson 04's HS/RS confusion attack."""
    key = serialization.load_pem_private_key(DEMO_RSA_PRIVATE_PEM.encode(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError("DEMO_RSA_PRIVATE_PEM does not hold an RSA private key")
    return key


def public_pem(key: Ed25519PrivateKey | RSAPrivateKey) -> bytes:
    """The PEM text of ``key``'s public half, as a service would publish it."""
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
