"""API tokens: 256 random bits shown once, stored only as a SHA-256 hash.

A fast hash is enough here: the token is uniformly random and too long to guess, so there is no
dictionary to slow down, and every request can look its user up by the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_TOKEN = re.compile(r"[0-9a-fA-F]{64}")


def new_token() -> str:
    """A fresh token: 64 lowercase hex characters (256 bits)."""
    return secrets.token_hex(32)


def is_well_formed(token: str) -> bool:
    return _TOKEN.fullmatch(token) is not None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.lower().encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented token with a stored hash."""
    return hmac.compare_digest(hash_token(token), stored_hash)
