"""Signed links to the customer's public pages (a choice while an order waits, a return): the token
carries what it names and an HMAC-SHA256 of it with the stack's key, per purpose. A guessed or
altered token is refused before anything is read, exactly like an unknown one. Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

LINK_PATTERN = r"^[A-Za-z0-9_-]{4,400}\.[A-Za-z0-9_-]{24}$"
_LINK = re.compile(LINK_PATTERN)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, payload: str) -> str:
    return _b64(hmac.new(key, f"{purpose}:".encode() + payload.encode(), hashlib.sha256).digest()[:18])


def sign(key: bytes, purpose: str, text: str) -> str:
    payload = _b64(text.encode())
    return f"{payload}.{_mac(key, purpose, payload)}"


def verify(key: bytes, purpose: str, token: str) -> str | None:
    """What a genuine token for ``purpose`` names, else None (the same for every bad token)."""
    if not _LINK.match(token):
        return None
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(key, purpose, payload)):
        return None
    try:
        return _unb64(payload).decode()
    except ValueError:
        return None
