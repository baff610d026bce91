"""The SSRF guard on literal addresses and "localhost": no DNS server and no network needed.

getaddrinfo turns literal IPs (in every spelling the C library accepts) and "localhost" into addresses
without asking a DNS server, so these tests run offline and judge exactly what a socket would reach.
"""

from __future__ import annotations

import pytest

from watcharr.adapters.netguard import BlockedUrl, resolve_fetchable

BLOCKED = {
    "loopback": "http://127.0.0.1/feed.xml",
    "localhost": "http://localhost:8080/feed.xml",
    "loopback elsewhere in 127/8": "http://127.10.20.30/",
    "decimal": "http://2130706433/",
    "hex, short form": "http://0x7f.1/",
    "octal": "http://0177.0.0.1/",
    "short dotted": "http://127.1/",
    "metadata service": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "metadata service in decimal": "http://2852039166/latest/meta-data/",
    "private 10/8": "http://10.0.0.5/",
    "private 172.16/12": "https://172.16.3.4/",
    "private 192.168/16": "http://192.168.1.1/",
    "shared address space 100.64/10": "http://100.64.0.1/",
    "unspecified": "http://0.0.0.0/",
    "this network 0/8": "http://0.1.2.3/",
    "multicast": "http://224.0.0.1/",
    "reserved 240/4": "http://240.0.0.1/",
    "broadcast": "http://255.255.255.255/",
    "IPv6 loopback": "http://[::1]/",
    "IPv6 unspecified": "http://[::]/",
    "IPv6 unique local": "http://[fc00::1]/",
    "IPv6 unique local fd": "http://[fd12:3456::1]/",
    "IPv6 link local": "http://[fe80::1]/",
    "IPv6 multicast": "http://[ff02::1]/",
    "IPv4-mapped loopback": "http://[::ffff:127.0.0.1]/",
    "IPv4-mapped metadata": "http://[::ffff:169.254.169.254]/",
    "IPv4-compatible loopback": "http://[::127.0.0.1]/",
    "6to4 of loopback": "http://[2002:7f00:1::1]/",
    "6to4 of private 10/8": "http://[2002:a00:1::1]/",
    "NAT64 of loopback": "http://[64:ff9b::7f00:1]/",
    "NAT64 of metadata": "http://[64:ff9b::a9fe:a9fe]/",
    "Teredo": "http://[2001::1]/",
    "documentation range": "http://[2001:db8::1]/",
}


@pytest.mark.parametrize("url", BLOCKED.values(), ids=BLOCKED.keys())
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(BlockedUrl) as refused:
        resolve_fetchable(url, allow_private=False)
    # The reason names the address that was reached, so a user can see why.
    assert "resolves to" in refused.value.reason


def test_the_reason_says_what_kind_of_address_it_is() -> None:
    with pytest.raises(BlockedUrl, match=r"2130706433 resolves to 127\.0\.0\.1, a loopback address"):
        resolve_fetchable("http://2130706433/", allow_private=False)
    with pytest.raises(BlockedUrl, match="link-local"):
        resolve_fetchable("http://169.254.169.254/", allow_private=False)
    with pytest.raises(BlockedUrl, match=r"loopback address \(inside 64:ff9b::7f00:1\)"):
        resolve_fetchable("http://[64:ff9b::7f00:1]/", allow_private=False)


PUBLIC = {
    "public IPv4": "http://93.184.216.34/feed.xml",
    "public IPv4 with port and query": "https://8.8.8.8:8443/rss?format=xml",
    "public IPv6": "http://[2606:4700:4700::1111]/feed",
    "IPv4-mapped public": "http://[::ffff:8.8.8.8]/",
    "6to4 of a public address": "http://[2002:808:808::1]/",
    "NAT64 of a public address": "http://[64:ff9b::808:808]/",
}


@pytest.mark.parametrize("url", PUBLIC.values(), ids=PUBLIC.keys())
def test_public_addresses_pass(url: str) -> None:
    assert resolve_fetchable(url, allow_private=False)


def test_resolve_returns_the_vetted_address_to_connect_to() -> None:
    addresses = resolve_fetchable("http://0x08.0x08.0x08.0x08:8080/feed", allow_private=False)
    assert [sockaddr[:2] for _family, sockaddr in addresses] == [("8.8.8.8", 8080)]


NOT_HTTP = [
    "file:///etc/passwd",
    "ftp://example.com/feed.xml",
    "gopher://127.0.0.1:6379/_INFO",
    "javascript:alert(1)",
    "data:text/xml,<rss/>",
    "//example.com/feed.xml",
    "example.com/feed.xml",
]


@pytest.mark.parametrize("url", NOT_HTTP)
@pytest.mark.parametrize("allow_private", [False, True], ids=["aws", "local"])
def test_only_http_and_https_are_fetchable(url: str, allow_private: bool) -> None:
    with pytest.raises(BlockedUrl, match="only http and https"):
        resolve_fetchable(url, allow_private=allow_private)


@pytest.mark.parametrize("url", ["http:///feed.xml", "https://:443/x", "http://[::1/"])
def test_urls_without_a_usable_host_are_refused(url: str) -> None:
    with pytest.raises(BlockedUrl):
        resolve_fetchable(url, allow_private=True)


def test_an_invalid_host_name_is_refused_before_any_lookup() -> None:
    with pytest.raises(BlockedUrl, match="not a valid host name"):
        resolve_fetchable("http://" + "a" * 64 + ".example/feed", allow_private=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/feed.xml", "http://localhost/", "http://[::1]/"])
def test_local_mode_permits_private_addresses(url: str) -> None:
    assert resolve_fetchable(url, allow_private=True)
