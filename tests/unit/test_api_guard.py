"""The API's guard on its own: the one body decoder and the order of its checks (no I/O)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.lambda_env import http_event
from watcharr import limits
from watcharr.api.guard import Admitted, Refused, admit, decode_body
from watcharr.logic.auth import NotAuthenticated, User

ALICE = User(id=7, username="alice")
TOKEN = "a" * 64


def alice_only(token: str | None) -> User:
    if token != TOKEN:
        raise NotAuthenticated("invalid API token")
    return ALICE


@pytest.mark.parametrize(
    ("raw", "headers", "status"),
    [
        (b"\xff", {}, 400),
        (b'{"a": 1', {}, 400),
        (b"[" * (limits.MAX_JSON_DEPTH + 1) + b"]" * (limits.MAX_JSON_DEPTH + 1), {}, 400),
        (b"[" * 5000 + b"]" * 5000, {}, 400),
        (b"1" * 4301, {}, 422),
        (b"{}", {"content-encoding": "gzip"}, 415),
        (b"{}", {"content-type": "application/json; charset=utf-16"}, 415),
    ],
)
def test_unreadable_bodies_are_refused_with_a_status(
    raw: bytes, headers: dict[str, str], status: int
) -> None:
    with pytest.raises(Refused) as refused:
        decode_body(raw, headers)
    assert refused.value.status == status


def test_a_body_as_deep_as_allowed_and_long_numbers_below_the_limit_are_read() -> None:
    deep = "[" * limits.MAX_JSON_DEPTH + "]" * limits.MAX_JSON_DEPTH
    assert decode_body(deep.encode(), {"content-type": "text/plain; charset=us-ascii"}) is not None
    assert decode_body(b"9" * 4300, {}) == int("9" * 4300)


def test_the_route_gets_the_decoded_body_as_json_and_knows_the_caller() -> None:
    event = http_event(
        "POST",
        "/api/shortcuts/add-episode",
        raw_body='{"url": "x"}',
        token=TOKEN,
        headers={"Content-Type": "json"},
    )
    admitted = admit(event, alice_only)
    assert isinstance(admitted, Admitted) and admitted.user == ALICE
    assert admitted.event["headers"]["content-type"] == "application/json"
    assert json.loads(admitted.event["body"]) == {"url": "x"}


def status_of(answer: Admitted | dict[str, Any]) -> int:
    assert isinstance(answer, dict)
    return int(answer["statusCode"])


def test_nothing_about_a_body_is_answered_without_a_token() -> None:
    event = http_event(
        "POST", "/api/podcasts", raw_body="\udcff", token="b" * 64, headers={"content-encoding": "gzip"}
    )
    assert status_of(admit(event, alice_only)) == 401


def test_size_and_paths_outside_the_api_are_answered_before_the_token_is_looked_up() -> None:
    def no_lookup(token: str | None) -> User:
        raise AssertionError("the token was looked up")

    big = http_event("POST", "/api/shortcuts/add-episode", raw_body="x" * (limits.MAX_BODY_BYTES + 1))
    assert status_of(admit(big, no_lookup)) == 413
    assert status_of(admit(http_event("GET", "/robots.txt"), no_lookup)) == 404
    assert isinstance(admit(http_event("GET", "/api/openapi.json"), no_lookup), Admitted)


def test_only_the_declared_file_routes_take_a_body_that_is_not_json() -> None:
    opml = "<opml><body/></opml>"
    xml = {"content-type": "text/x-opml"}
    # A file route gets the bytes untouched, the event labelled JSON and bodiless for the resolver.
    admitted = admit(
        http_event("POST", "/api/podcasts/import", raw_body=opml, token=TOKEN, headers=xml), alice_only
    )
    assert isinstance(admitted, Admitted)
    assert admitted.file == opml.encode() and "body" not in admitted.event
    assert admitted.context() == {"user": ALICE, "file": opml.encode()}
    # Every other route still reads its body as JSON, whatever the label says.
    refused = admit(http_event("POST", "/api/podcasts", raw_body=opml, token=TOKEN, headers=xml), alice_only)
    assert not isinstance(refused, Admitted) and refused["statusCode"] == 400
    # A file route's cap is its own: past the JSON limit is fine for OPML, past OPML's is a 413.
    big = "<opml>" + " " * limits.MAX_BODY_BYTES + "</opml>"
    assert isinstance(
        admit(http_event("POST", "/api/podcasts/import", raw_body=big, token=TOKEN, headers=xml), alice_only),
        Admitted,
    )
    huge = "<opml>" + " " * (2 * 1024 * 1024) + "</opml>"
    too_big = admit(
        http_event("POST", "/api/podcasts/import", raw_body=huge, token=TOKEN, headers=xml), alice_only
    )
    assert not isinstance(too_big, Admitted) and too_big["statusCode"] == 413
