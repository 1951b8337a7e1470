"""The course's settings from the environment, read in this one place, and shown safely (lessons 00, 06, 08).

Only the standard library is used here, so ``lab.check_environment()`` can report a missing
package instead of crashing on an import.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

REDIS_URL_VARIABLE = "REDIS_URL"
"""Set it to a ``redis://`` URL to keep sessions in a real Redis instead of the embedded one."""

MASK = "***"


def redis_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The Redis URL the course should use (``REDIS_URL``), or ``None`` for the embedded store."""
    value = (os.environ if environ is None else environ).get(REDIS_URL_VARIABLE, "").strip()
    return value or None


def mask_url(url: str) -> str:
    """``url`` with every password replaced by ``***`` (in ``user:password@`` and in ``?password=``)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<a URL that cannot be parsed>"
    masked = url
    if password is not None:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        prefix = f"{parts.scheme}://" if parts.scheme else "//"
        masked = masked.replace(prefix + parts.netloc, f"{prefix}{userinfo.split(':', 1)[0]}:{MASK}@{hostport}", 1)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(key.lower() == "password" for key, _ in pairs):
            query = urlencode([(k, MASK if k.lower() == "password" else v) for k, v in pairs],
                              safe="*", quote_via=quote)
            masked = masked.replace("?" + parts.query, "?" + query, 1)
    return masked


def scrub(text: str, url: str) -> str:
    """``text`` (an error message about ``url``) with every password of ``url`` replaced by ``***``."""
    for secret in _secrets_in(url):
        text = text.replace(secret, MASK)
    return text


def _secrets_in(url: str) -> list[str]:
    """Every password ``url`` carries, raw and decoded, longest first."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
        if parts.password:
            found += [parts.password, unquote(parts.password)]
        found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() == "password" and v]
    except ValueError:
        pass
    return sorted({s for s in found if s}, key=len, reverse=True)


__all__ = ["MASK", "REDIS_URL_VARIABLE", "mask_url", "redis_url", "scrub"]
