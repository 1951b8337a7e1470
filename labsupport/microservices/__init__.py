"""Microservices (lesson 07): a gateway signs Ed25519 tokens and publishes its public keys; services verify
them locally, each scaling and failing on its own; a Node.js verifier checks the same tokens.

``jwks`` (the key document and a service's cache of it), ``gateway``, ``services``, ``system``
(the whole shop and its scenarios), ``node`` (the second verifier).
"""
from __future__ import annotations

from .gateway import GATEWAY_ISSUER, SERVICES_AUDIENCE, TOKEN_LIFETIME, Gateway
from .jwks import CACHE_MAX_AGE, JWKS_PATH, JWKSCache, public_jwk
from .node import (NODE_VERIFIER, RECORDED_RESULT, NodeFailed, NodeUnavailable, recorded_result, spki_der,
                   verify_with_node, with_claims)
from .services import PATHS, SERVICES, Instance, Service, TokenVerifier
from .system import (ROTATION_STEPS, Microservices, cart_outage, check_everywhere, gateway_load, rotation_timeline,
                     scale_out)

__all__ = [
    "CACHE_MAX_AGE", "GATEWAY_ISSUER", "JWKS_PATH", "NODE_VERIFIER", "PATHS", "RECORDED_RESULT", "ROTATION_STEPS",
    "SERVICES", "SERVICES_AUDIENCE", "TOKEN_LIFETIME", "Gateway", "Instance", "JWKSCache", "Microservices",
    "NodeFailed", "NodeUnavailable", "Service", "TokenVerifier", "cart_outage", "check_everywhere", "gateway_load",
    "public_jwk", "recorded_result", "rotation_timeline", "scale_out", "spki_der", "verify_with_node", "with_claims",
]
