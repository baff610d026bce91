"""Who is calling: a token from the X-API-Token header turned into a user, with a short cache."""

from __future__ import annotations

import time
from dataclasses import dataclass

from watcharr.adapters.query_client import QueryClient
from watcharr.domain.tokens import hash_token, is_well_formed, token_matches
from watcharr.models.queries import Authenticate

# A warm container asks the QueryFunction once a minute per token, not once a request; a rotated
# token stops working within this time.
AUTH_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class User:
    id: int
    username: str


class NotAuthenticated(Exception):
    """The reason is safe to show: it never contains the token."""


class Authenticator:
    def __init__(self, query: QueryClient) -> None:
        self.query = query
        self._cache: dict[str, tuple[float, User]] = {}

    def user_for(self, token: str | None) -> User:
        if not token:
            raise NotAuthenticated("missing X-API-Token header")
        if not is_well_formed(token):
            raise NotAuthenticated("X-API-Token must be 64 hexadecimal characters")
        token_hash = hash_token(token)
        cached = self._cache.get(token_hash)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        answer = self.query(Authenticate(token_hash=token_hash))
        # The lookup is by hash; comparing the stored hash in constant time as well costs nothing.
        if not answer.get("found") or not token_matches(token, answer["user"]["tokenHash"]):
            raise NotAuthenticated("invalid API token")
        user = User(id=answer["user"]["id"], username=answer["user"]["username"])
        self._cache[token_hash] = (now + AUTH_CACHE_SECONDS, user)
        return user
