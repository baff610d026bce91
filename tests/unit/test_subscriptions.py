"""Subscribing and unsubscribing with an in-memory query client and publisher (no queues, no network)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from watcharr.domain.links.cleaning import UnsupportedLink
from watcharr.logic.podcasts import check_feed_url, subscribe, unsubscribe
from watcharr.models.messages import ExtractRequest, ResultMessage
from watcharr.models.queries import Query


class Subscriptions:
    """Answers ListSubscriptions from a fixed list, as the QueryFunction would."""

    def __init__(self, *subscriptions: dict[str, Any]) -> None:
        self.subscriptions = list(subscriptions)

    def __call__(self, query: Query) -> dict[str, Any]:
        return {"subscriptions": self.subscriptions}


class Sent:
    def __init__(self) -> None:
        self.results: list[ResultMessage] = []
        self.requests: list[ExtractRequest] = []

    def send_results(self, messages: Sequence[ResultMessage]) -> None:
        self.results.extend(messages)

    def send_extract_requests(self, requests: Sequence[ExtractRequest]) -> None:
        self.requests.extend(requests)


def test_subscribing_sends_the_subscription_before_its_first_sync() -> None:
    sent = Sent()
    plan = subscribe(Subscriptions(), sent, 3, "https://feeds.example.com/a.xml", "pods", 5)
    assert [m.type for m in sent.results] == ["SubscriptionAdded"]
    (sync,) = sent.requests
    assert sync.feed is not None and (sync.feed.subscription_id, sync.feed.backfill) == (
        plan.subscription_id,
        5,
    )


def test_a_feed_already_followed_keeps_its_subscription_id() -> None:
    mine = Subscriptions({"id": "0" * 20, "feedUrl": "https://feeds.example.com/a.xml"})
    plan = subscribe(mine, Sent(), 3, "https://feeds.example.com/a.xml", None, None)
    assert plan.subscription_id == "0" * 20


def test_only_an_own_subscription_is_removed() -> None:
    sent = Sent()
    mine = Subscriptions({"id": "1" * 20, "feedUrl": "https://feeds.example.com/a.xml"})
    assert unsubscribe(mine, sent, 3, "2" * 20) is False
    assert sent.results == []
    assert unsubscribe(mine, sent, 3, "1" * 20) is True
    assert [(m.type, m.subscription_id) for m in sent.results] == [("SubscriptionRemoved", "1" * 20)]


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1",
        "http://a:99999/",
        "http://a:0/",
        "https://exa\x00mple.com/",
        "https://example.com/a\u2028b",
        "https://example.com/\u202egnp.xml",
        "http://exa mple.com/",
        "ftp://example.com/feed.xml",
        "https://user:pw@example.com/feed.xml",
        "https:///feed.xml",
    ],
)
def test_malformed_feed_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedLink):
        check_feed_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://feeds.example.com/show.xml?format=audio",
        "http://127.0.0.1:8080/feed",
        "https://[2001:db8::1]/rss",
    ],
)
def test_well_formed_feed_urls_pass(url: str) -> None:
    check_feed_url(url)
