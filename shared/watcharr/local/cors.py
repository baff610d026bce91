"""The HttpApi's CorsConfiguration, read from template.yaml and played by the local gateway.

With a CorsConfiguration, API Gateway answers a preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) itself, without calling any function, and puts the CORS headers on
every answer to an allowed ``Origin``, in place of any the function sent. Without one, nothing is
added and a preflight goes to the route like any request. Local mode does the same, from the same
template property (``AllowedOrigins`` decides it, ``--parameter AllowedOrigins=...`` overrides it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from watcharr.local.intrinsics import TemplateError, is_literal

# What API Gateway answers a preflight with: no content.
PREFLIGHT_STATUS = 204
_WILDCARD = "*"
_SAM_KEYS = frozenset(
    {"AllowOrigins", "AllowHeaders", "AllowMethods", "ExposeHeaders", "MaxAge", "AllowCredentials"}
)


@dataclass(frozen=True)
class CorsSpec:
    """An HttpApi's CORS configuration (SAM's CorsConfiguration property, resolved)."""

    allow_origins: tuple[str, ...]
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    def allowed_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for a request from ``origin``; None when not allowed."""
        if not origin:
            return None
        if _WILDCARD in self.allow_origins:
            return _WILDCARD
        wanted = origin.rstrip("/").lower()
        return origin if any(o.rstrip("/").lower() == wanted for o in self.allow_origins) else None

    def preflight_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """The headers of the answer to a preflight from ``origin`` (none for an origin not allowed)."""
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return []
        headers = [("Access-Control-Allow-Origin", allowed)]
        if self.allow_methods:
            headers.append(("Access-Control-Allow-Methods", ",".join(self.allow_methods)))
        if self.allow_headers:
            headers.append(("Access-Control-Allow-Headers", ",".join(self.allow_headers)))
        if self.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(self.max_age)))
        if self.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers

    def response_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """The CORS headers added to an ordinary answer to ``origin`` (none for an origin not allowed)."""
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return []
        headers = [("Access-Control-Allow-Origin", allowed)]
        if self.expose_headers:
            headers.append(("Access-Control-Expose-Headers", ",".join(self.expose_headers)))
        if self.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    """Whether a request is a CORS preflight as API Gateway tells one (``headers`` keyed in lower case)."""
    return method == "OPTIONS" and bool(headers.get("origin")) and "access-control-request-method" in headers


def with_cors(
    headers: Iterable[tuple[str, str]], cors: CorsSpec | None, origin: str | None
) -> list[tuple[str, str]]:
    """An answer's headers as API Gateway sends them: the function's own CORS headers replaced."""
    if cors is None:
        return list(headers)
    kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
    return kept + cors.response_headers(origin)


def read_cors(resources: Mapping[str, Any], resolve: Callable[[Any], Any]) -> CorsSpec | None:
    """The CORS configuration of the template's one HttpApi, if it has one (``resolve``: the intrinsics)."""
    apis = {k: resolve(r) for k, r in resources.items() if r.get("Type") == "AWS::Serverless::HttpApi"}
    if len(apis) > 1:
        raise TemplateError(f"local mode plays one HttpApi, the template has {len(apis)}")
    if not apis:
        return None
    ((logical_id, api),) = apis.items()
    config = (api.get("Properties") or {}).get("CorsConfiguration")
    where = f"{logical_id} CorsConfiguration"
    if config is None or config is False:
        return None
    if config is True:
        return CorsSpec(allow_origins=(_WILDCARD,))
    if not isinstance(config, dict) or not all(is_literal(value) for value in config.values()):
        raise TemplateError(f"{where}: local mode cannot read {config!r}")
    unknown = set(config) - _SAM_KEYS
    if unknown:
        raise TemplateError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    max_age = config.get("MaxAge")
    return CorsSpec(
        allow_origins=_texts(config.get("AllowOrigins"), where),
        allow_headers=_texts(config.get("AllowHeaders"), where),
        allow_methods=tuple(m.upper() for m in _texts(config.get("AllowMethods"), where)),
        expose_headers=_texts(config.get("ExposeHeaders"), where),
        max_age=None if max_age is None else int(max_age),
        allow_credentials=str(config.get("AllowCredentials", False)).lower() == "true",
    )


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TemplateError(f"{where}: expected a list, found {value!r}")
    return tuple(str(item) for item in value if str(item))
