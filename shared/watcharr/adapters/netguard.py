"""The SSRF guard: which URLs a function may fetch on a user's behalf.

On AWS a feed or page URL comes from a user, so a fetch must not reach the instance metadata service
(169.254.169.254), the loopback interface or anything else inside a private network. The guard resolves
the host the way the socket layer will (``socket.getaddrinfo``), so numeric spellings such as
``http://2130706433/`` or ``http://0x7f.1/`` are judged by the address they really reach, and it refuses
the URL when ANY of the addresses is not a public unicast one. Local mode (``allow_private``) fetches
from 127.0.0.1 on purpose and so permits every http(s) URL.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (family, sockaddr) as getaddrinfo returns them, ready for socket(family).connect(sockaddr).
ResolvedAddress = tuple[socket.AddressFamily, tuple[str, int] | tuple[str, int, int, int]]

ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Prefixes that carry an IPv4 address inside an IPv6 one; the embedded address is what gets reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class BlockedUrl(ValueError):
    """A URL the guard refuses to fetch; ``reason`` is readable by the user who sent it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why fetching from ``ip`` is refused (e.g. "a loopback address"), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(inner)
            return f"{problem} (inside {ip})" if problem else None
    # Checked one by one for a precise reason; is_global last catches what has no flag of its own
    # (100.64.0.0/10 shared space, 192.0.0.0/24 protocol assignments, Teredo…).
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    for flagged, problem in checks:
        if flagged:
            return problem
    return None


def _split(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedUrl(f"not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"'{scheme}'" if scheme else "a URL without a scheme"
        raise BlockedUrl(f"only http and https URLs can be fetched, not {shown}")
    host = parts.hostname
    if not host:
        raise BlockedUrl(f"the URL {url!r} has no host")
    return host, port if port is not None else _DEFAULT_PORTS[scheme]


def resolve_fetchable(url: str, *, allow_private: bool) -> list[ResolvedAddress]:
    """Resolve the host of ``url`` and return the addresses a fetch may connect to.

    Connecting to exactly these addresses (not resolving again) keeps a DNS answer that changes
    between the check and the connection from slipping past the guard. Raises ``BlockedUrl`` for a
    refused URL and ``OSError`` (``socket.gaierror``) when the host cannot be resolved at all.
    """
    host, port = _split(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        # The IDNA codec refuses the name (an empty or over-long label) before any look-up.
        raise BlockedUrl(f"{host!r} is not a valid host name") from exc
    resolved: list[ResolvedAddress] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        if not allow_private:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            problem = address_problem(ip)
            if problem:
                raise BlockedUrl(f"{host} resolves to {ip}, {problem}")
        resolved.append((family, sockaddr))
    if not resolved:
        raise BlockedUrl(f"{host} has no IPv4 or IPv6 address")
    return resolved
