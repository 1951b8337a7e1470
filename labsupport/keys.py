"""Demo key material for the JWT lessons (03, 04, 05, 07): public on purpose, never for real use.

HS256 needs a shared secret of at least 32 bytes (PyJWT warns below that). Ed25519 keys come
from bytes derived from a seed, so signatures reproduce run after run. RSA keys cannot be
derived from a seed, so the RSA keys are stored here as text: the login service's, an attacker's,
and a small-exponent key for lesson 04's modulus recovery.
"""
from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
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

ATTACKER_RSA_PRIVATE_PEM = """-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDewUnai0VIim0q
PDOQ8WUFI4zOUeORwqxbMUK5A2ujNBoQc4MZCP9sEcdro2pmqBOWyZo6L4rG9hHN
jk1blLF9dyhm+t/o21FGMVQIBGmVEevaTAUjFBiSqI8GpaZPYsPAly7f87bjDGN6
21aZoE2a3Ri6fHvL51bo9rCqAxpp7NMM2+u6QYzmYFPKe7gmfgav56lAqBx6RvAn
vCDxmcs7MUOcCxZtfefUDF/fztPmXuwu/5gGL0qaKgF4Q9yZjYlhykXscQW6iDlo
yWQpcNEYN4jn/+otqqi2jAfhAyQ9ovYCkaQ21rnytT4rfWEmEad56+rVDRtJHpPV
q8c76ZFPAgMBAAECggEAHFqSIgVUPlWQa63aCnsPlsXdqG14ABe9hKYSjiZHTzDU
mH97knY4vPLOZX8ZjhOa2riyrvFaQtUTkwyoAB4/MW83b1RDqAoyoDKrNZIKNnVf
hhvjE4H9Vr2p5viy4Kv7qsoTp2IIR4JOL1c4ALoM5sd53FL4Fw5NW7364skeVZkY
ovNJ20aNiL1r6gpDmjIu9T/Z9gdrDN1tcrumrq8PsMEsTyMpjXs+ueOUrEsjttYP
T7ezUHovkVkXYG+cC1cgowslSQNqHWhFFZPOmxwuDd47W4ygKQdNxGdHLTDhVaoF
Cqn64xEi/mr3VsFg3pAppvesQGp1ImxJ1h6JsT2YAQKBgQD+JZ1sJOvaoq6oU+Z3
maGUGj0kn9sw9WVM0IgHwgmy0ZJn5XJmmAU49RZO7egvoKsU1L0r3DwFFt9CCS9y
koT91zq051Hr8tlRewlB1uEXTY463/fY8euqBUt49Qo8h1909Xi5q1+STUH3JSZl
bl2KE7dW7+WJnxfUuruqjkl+AQKBgQDgYRQAVU6NRrvG2n95fkKafx2+0P/zrGSa
7Vt1XM4S5PXLrz9dBIW/9cihbaQcFE03Op6jpHjyi+0BDz3EWBNJX1vQ+BaYnoyk
mo73VL8x9vdWclXmtdb38zMRhA+Ja+VFIIWwRESzqLRX+R80L3pqJWmxKzlxed0g
IOFDyBmvTwKBgQCOiWIlCQAOezchyQx0/4ETozOvmshASSErV7kzQKxX0hoekxz6
VUB4lVyRn/Sc4auR307JjpdK82z7iFNIGszj4RZX53SWtHkVrb+fYXiUrTab5okG
74eQr6+Ig0XedL4gxpuS5n6Pey0IA5npQWDM1An7hEhkSwn+kUw3d93YAQKBgAwl
tUt/Us1bMvdFBPmy2DA9CYM3FWQ/xQKOLxFfgNiNBLGOP0Pt5r/Jsp7qrKPIhZWj
2srJMLMQ2Dfid1mV2xVx0Cq0A6UnkD2pEGxbbi5qTGGltvjSh1zNEcq095JdAQCJ
DjPIvl9rlrfciM/uchYlCF/LE0UNb+c5YHim8J0JAoGBAJCzvS7004mJJR3GTNdc
8s+Y+ZI+RxzbbI0TaxViKwF8GsKsJW9IpjN6bYg90wbh81p58Ixr6KaFmi3pGZ0L
ryAZdz0wdN5tW+EyIVQZYghisZJCVKhbeUaEPllDSx9iic43IFfC1MGP90vst1fP
YTCyC8gE80PfuhUlw73/EQgt
-----END PRIVATE KEY-----
"""
"""The attacker's own RSA key (2048 bits, e = 65537), for lesson 04's jwk and jku header injection.

Anyone can make such a key; it is stored only so that the attack tokens reproduce."""

SMALL_EXPONENT_RSA_PRIVATE_PEM = """-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCz2/ROcCPItty9
h2eyucysar4+ba8HyqLMQE5WNTbTwGfhaNpn0yBAwXPqDZnrbIrhH39mUJ6Lzlca
P5udq3XVakh0nvOj1WstA4+lHEribGfoFTKys1E6DGhYcEM5pqZscxLl3jqChXpz
nXh6U3Aza+SAsqeWy5lm4GEE7LXCZ/3XXJ0/aq9X7FUVPVkrh1gf4wCmeyeMGLHy
PfAT35csH50fFpLwuXfMD8M7oDHeEKTuYK52T9VBAd2RDJ8sCsPHolYyh7jQ80K4
op/hWAJdwDJ0qbpAE0TI2bgQU8Mcqq2/V/8neY/dIiXq5D8sOGFZmb2XlS1FI+0+
NLKjoI/fAgEDAoIBAHfn+DRKwoXPPdOvmncmiHLx1CmedK/cbIgq3uQjeeKARUDw
kZqMwCsropwJEUedsetqVO7gabKJj2bVEmkc+TjxhaMUom048h4CX8NoMexIRUVj
dyHM4NFdmuWgLNEZxEhMt0PpfFcDpve+UFGM9XedQwB3GmSHu5nq61idzoGZiqmM
YaQPW7UK90h7ELEgQhvsqCo2mpazXMjW8x3CyTY05HXhfMpyYF2N2VEpSsMSJDYJ
9meHspoX2iWFSyKDxItcKRg91xDu4wlEP+nbGyOrD/Zrxz3hPHtNITuowOOcA0jR
FnvguWIF1HOSv237+RrgP7/gP4uoHcuvEJxqvBsCgYEA4xpemZF/mv1OKJnU9wvI
yfCXre630I7YyXsJMFjw3qOYtf9z45J0wEVJM5/oiYPNk6lDG48xt2mmaz8C/v1e
Gwp6zLx0Vz4NCjXvkGXPP+9K0SqYlSpXz1+iRUsgARrM7w658Y+S9UNKvvqI5HVc
d8xtxYay+K5oZ2xwVUfAHVUCgYEAyr6rcTfUCssNuY6vyRYOKwVoVnhxbxsy3Uny
Uw5Kirc3kG7QdC6ZJvpxyaH5uDWn2vQOoUvSkfA3qxnBr3rnAewdS9G2nvl/4/TM
r5zAGbj0yVhvejjpmrBDwOu2oKxzucNka94VhIbOqEL/O5Hh8+TbmHER1UU/WSA9
xHFAWGMCgYEAl2bpu7ZVEf40GxE4pLKF2/W6c/R6iwnl26dbdZCglG0QeVT37QxN
1YOGImqbBlfeYnDXZ7TLz5vER39XVKjpZ1xR3dL4OileBs6ftZk01Uox4McQY3GP
35UW2NzAALyIn18moQph+NeHKfxbQvjoT92eg68h+x7wRPL1ji/VaOMCgYEAhynH
oM/isdyz0QnKhg60HK5Fjvr2ShIh6Nv24gmHByTPtZ81osm7b1GhMRames5v501f
FjKMYUrPx2aBH6dEq/K+MovPFKZVQqMzH73VZntN25BKUXtGZyAtK0fPFchNJoJC
8pQOWFnfGtdU0mFBTUM9EEthONjU5hV+gvYq5ZcCgYBAfLRuu9u35u63vTDZQowT
wZhkljySpKWF1ESUOe+sYlQI5dqZCwEKGnBcPOpmU+guX3YrfpRrP0E/a3ndziY1
+o2K+SkgUFw1NRNuE5n3pf92uSxygOubrh8LlVOK90okJkeK6LRmkfibCx24REww
gpeGVfDAEaitloyH41+r0Q==
-----END PRIVATE KEY-----
"""
"""An RSA key with public exponent 3 (2048 bits), for lesson 04's modulus recovery.

Generated once with ``cryptography``'s ``rsa.generate_private_key(public_exponent=3, key_size=2048)``:
the library generates and loads e = 3 (it allows 3 and 65537) and refuses keys under 1,024
bits. e = 3 keeps the recovery fast in plain Python: it raises two 2,048-bit signatures to the
power e, and with e = 65537 the numbers grow to 134 million bits and the gcd takes hours.
2,048 bits rather than 1,024 because PyJWT warns (``InsecureKeyLengthWarning``) on every use of
an RSA key under 2,048 bits. Real services use e = 65537; attackers recover their modulus the
same way with a fast big-number library (gmpy2).
"""


def ed25519_private_key(seed: int = 0) -> Ed25519PrivateKey:
    """An Ed25519 signing key derived from ``seed``: the same seed gives the same key."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"labsupport-ed25519-{seed}".encode()).digest())


def _load_rsa(pem: str, name: str) -> RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError(f"{name} does not hold an RSA private key")
    return key


def rsa_private_key() -> RSAPrivateKey:
    """The demo RSA key (2048 bits), for lesson 04's HS/RS confusion attack."""
    return _load_rsa(DEMO_RSA_PRIVATE_PEM, "DEMO_RSA_PRIVATE_PEM")


def attacker_rsa_private_key() -> RSAPrivateKey:
    """The attacker's RSA key (2048 bits), for lesson 04's jwk and jku header injection."""
    return _load_rsa(ATTACKER_RSA_PRIVATE_PEM, "ATTACKER_RSA_PRIVATE_PEM")


def small_exponent_rsa_private_key() -> RSAPrivateKey:
    """An RSA key with e = 3 (2048 bits), for lesson 04's modulus recovery."""
    return _load_rsa(SMALL_EXPONENT_RSA_PRIVATE_PEM, "SMALL_EXPONENT_RSA_PRIVATE_PEM")


def ec_p256_private_key(seed: int = 0) -> ec.EllipticCurvePrivateKey:
    """A P-256 (ES256) signing key derived from ``seed``, for lesson 05's malleability demo.

    The key reproduces; its signatures do not: ECDSA signs with a fresh random nonce each time.
    """
    digest = hashlib.sha256(f"labsupport-p256-{seed}".encode()).digest()
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(int.from_bytes(digest, "big") % (order - 1) + 1, ec.SECP256R1())


def derived_secret(label: str) -> bytes:
    """32 bytes derived from ``label``: a reproducible HMAC secret (lesson 04's key folder)."""
    return hashlib.sha256(f"labsupport-secret-{label}".encode()).digest()


def public_pem(key: Ed25519PrivateKey | RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    """The PEM text of ``key``'s public half, as a service would publish it."""
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
